"""The documentation: the site builds with warnings as errors, every file a
page names exists, and the API reference lists the whole public API."""
import ast
import glob
import importlib
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The pages users read: the README, the docs' sources (not the paper pages
# the build copies from configs/) and each algorithm's README.
PAGES = sorted(
    ['README.md']
    + [os.path.relpath(p, ROOT) for p in glob.glob(f'{ROOT}/docs/**/*.md',
                                                    recursive=True)
       if '/papers/' not in p and '/_build/' not in p]
    + [os.path.relpath(p, ROOT)
       for p in glob.glob(f'{ROOT}/configs/*/README.md')])

# A repository path in a command or a code span: it starts at one of these
# folders, not inside another path (``$T/tools/train.py`` is mmpretrain's).
REPO_PATH = re.compile(
    r'(?<![\w./$~-])((?:configs|tools|demo|docs|requirements|tests|mmvit_ext)'
    r'/[^\s\'"`),\]]*)')
# Placeholders and outputs are not files of the repository.
NOT_A_FILE = re.compile(r'[<>*{}]|\.\.\.|^docs/_build|^docs/papers')


def code_of(text):
    """The fenced blocks and inline code spans of a markdown page."""
    fenced = re.findall(r'^```[^\n]*\n(.*?)^```', text, re.M | re.S)
    prose = re.sub(r'^```[^\n]*\n.*?^```', '', text, flags=re.M | re.S)
    return fenced + re.findall(r'`([^`\n]+)`', prose)


def named_paths(page):
    with open(os.path.join(ROOT, page)) as f:
        text = f.read()
    paths = set()
    for code in code_of(text):
        for path in REPO_PATH.findall(code):
            path = path.rstrip('.,;:')
            if not NOT_A_FILE.search(path):
                paths.add(path)
    return paths


def test_the_pages_are_found():
    assert 'README.md' in PAGES and 'docs/index.md' in PAGES
    assert 'configs/pit/README.md' in PAGES
    assert len(PAGES) >= 20


@pytest.mark.parametrize('page', PAGES)
def test_commands_name_files_that_exist(page):
    """Every config, tool or file a page's commands and code name exists,
    and every ``tests/x.py::test_name`` names a test of that file."""
    paths = named_paths(page)
    missing = sorted(p for p in paths if not os.path.exists(
        os.path.join(ROOT, p.split('::')[0])))
    assert not missing, f'{page} names files that do not exist: {missing}'
    with open(os.path.join(ROOT, page)) as f:
        text = f.read()
    for file, name in re.findall(r'(tests/[\w/]+\.py)::(\w+)', text):
        with open(os.path.join(ROOT, file)) as f:
            assert re.search(rf'^def {name}\(', f.read(), re.M), \
                f'{page} names {file}::{name}, which does not exist'


@pytest.mark.parametrize('page', PAGES)
def test_links_point_at_files_that_exist(page):
    """Relative links of the README and the pages (the docs build checks
    its own pages' links; the README's are checked only here)."""
    with open(os.path.join(ROOT, page)) as f:
        text = f.read()
    folder = os.path.dirname(os.path.join(ROOT, page))
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+://|#|mailto:', target):
            continue
        path = target.split('#')[0]
        if page.startswith('docs/') and path.startswith('papers/'):
            continue  # written by the docs build
        assert os.path.exists(os.path.join(folder, path)), \
            f'{page} links {target}, which does not exist'


def test_the_check_finds_a_missing_file():
    paths = REPO_PATH.findall(
        'python tools/train.py configs/pit/nope.py $T/tools/x.py '
        'work_dirs/a/configs/b.py')
    assert paths == ['tools/train.py', 'configs/pit/nope.py']


def api_names():
    with open(os.path.join(ROOT, 'docs', 'api.md')) as f:
        return set(re.findall(r'^\.\. auto(?:class|function|data):: (\S+)$',
                              f.read(), re.M))


def resolve(dotted):
    module, _, name = dotted.rpartition('.')
    return getattr(importlib.import_module(module), name)


def test_the_api_reference_has_every_registered_class_and_public_name():
    from mmengine.registry import Registry

    import mmvit_ext.registry
    documented = {name.rsplit('.', 1)[1] for name in api_names()}
    objects = {id(resolve(name)) for name in api_names()}
    registered = {}
    for registry in vars(mmvit_ext.registry).values():
        if isinstance(registry, Registry) and registry.scope == 'mmvit_ext':
            registered.update(registry.module_dict)
    assert {'DeiT3', 'PiT', 'LCAClsHead', 'Pretrained'} <= set(registered)
    missing = sorted(name for name, obj in registered.items()
                     if id(obj) not in objects)
    assert not missing, f'registered but not in docs/api.md: {missing}'

    # Each package's __all__ (the packages are read from the sources, so a
    # new one is not forgotten).
    packages = sorted(
        os.path.relpath(os.path.dirname(p), ROOT).replace(os.sep, '.')
        for p in glob.glob(f'{ROOT}/mmvit_ext/**/__init__.py', recursive=True))
    public = set()
    for package in packages:
        names = getattr(importlib.import_module(package), '__all__', [])
        public.update(n for n in names if n != '__version__')
    # mmvit_ext.analysis has no __all__: its modules' public functions and
    # classes are its API.
    for path in sorted(glob.glob(f'{ROOT}/mmvit_ext/analysis/*.py')):
        with open(path) as f:
            public.update(
                node.name for node in ast.parse(f.read()).body
                if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                and not node.name.startswith('_'))
    assert not public - documented, \
        f'public but not in docs/api.md: {sorted(public - documented)}'


@pytest.mark.slow
def test_the_docs_build_with_warnings_as_errors(tmp_path):
    """What ``make docs`` runs: a broken link or image, an unknown API name
    or a docstring Sphinx cannot parse fails."""
    proc = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-n', '-W', '--keep-going', '-q',
         '-b', 'html', 'docs', str(tmp_path / 'html')],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (tmp_path / 'html' / 'api.html').read_text()
    assert 'mmvit_ext.models.DeiT3' in html
    assert (tmp_path / 'html' / 'papers' / 'pit.html').exists()
