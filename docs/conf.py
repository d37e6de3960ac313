"""Sphinx configuration: ``make docs`` builds the HTML into docs/_build/html
with warnings as errors (``pip install -e '.[docs]'`` for the toolchain)."""
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import mmvit_ext  # noqa: E402

project = 'mmvit_ext'
author = 'mmvit_ext contributors'
copyright = '2026, mmvit_ext contributors'
version = release = mmvit_ext.__version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
]
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build']

# GitHub-style anchors, so that [x](page.md#a-heading) links work as on
# GitHub; ``{toctree}`` and ``{eval-rst}`` blocks are MyST directives.
myst_heading_anchors = 3
myst_enable_extensions = ['colon_fence']

autodoc_member_order = 'bysource'
# A method that overrides mmengine's without a docstring of its own is not
# listed with mmengine's text.
autodoc_inherit_docstrings = False
autodoc_typehints = 'description'
autodoc_default_options = {'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Every cross-reference must resolve (-n with -W): a renamed class or
# function breaks the build. The other libraries' names are left as text,
# since the build reaches no other site for their inventories; so are
# mmvit_ext's internal base classes.
nitpicky = True
nitpick_ignore_regex = [
    (r'py:.*', r'(torch|mmengine|mmcv|mmpretrain|numpy|_pickle)\..*'),
    (r'py:class', r'mmvit_ext\.models\.backbones\.base_vit\.\w+'),
    (r'py:class', r'Tensor|tensor|Module|nn\.Module|optional|Config|'
                  r'MMLogger|BaseDataset|DataSample|InputsType'),
]

html_theme = 'furo'
html_title = f'mmvit_ext {release}'


def copy_paper_pages():
    """Each ``configs/<algo>/README.md`` becomes ``papers/<algo>.md``, as
    mmpretrain's docs do; links to a config beside the README become the
    config's path in the repository."""
    out = DOCS / 'papers'
    out.mkdir(exist_ok=True)
    for readme in sorted((ROOT / 'configs').glob('*/README.md')):
        algo = readme.parent.name
        text = readme.read_text()
        text = re.sub(r'\[([\w.-]+\.py)\]\(\./[\w.-]+\.py\)',
                      rf'`configs/{algo}/\1`', text)
        target = out / f'{algo}.md'
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


copy_paper_pages()
