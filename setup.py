import os
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

HERE = Path(__file__).parent


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` without comments."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


def mim_files():
    """``configs/``, ``tools/`` and ``model-index.yml``, shipped inside the
    package as ``mmvit_ext/.mim`` (links in the repository), as mmpretrain
    does: ``mim train mmvit_ext CONFIG`` runs ``.mim/tools/train.py``."""
    files = ['.mim/model-index.yml']
    for folder, suffixes in (('configs', ('.py', '.yml')),
                             ('tools', ('.py', '.sh'))):
        for path in sorted((HERE / folder).rglob('*')):
            if path.suffix in suffixes and '__pycache__' not in path.parts:
                files.append('.mim/' + path.relative_to(HERE).as_posix())
    return files


SCOPE_PTH = 'mmvit_ext-scope.pth'


class BuildPy(build_py):
    """Also put ``mmvit_ext-scope.pth`` at the top of the wheel, that is in
    site-packages: Python runs its import line at start-up, so that mmdet's
    and mmseg's own tools resolve ``mmvit_ext::`` configs before anything
    imports mmvit_ext (see ``mmvit_ext_scope.py``)."""

    def run(self):
        super().run()
        self.copy_file(str(HERE / SCOPE_PTH),
                       os.path.join(self.build_lib, SCOPE_PTH))


class EditableWheel(editable_wheel):
    """The same for an editable install, whose wheel holds no build
    output: the file goes beside setuptools' own ``__editable__`` .pth."""

    def _configure_build(self, name, unpacked_wheel, *args, **kwargs):
        super()._configure_build(name, unpacked_wheel, *args, **kwargs)
        shutil.copy(HERE / SCOPE_PTH, unpacked_wheel)


version = {}
exec((HERE / 'mmvit_ext' / 'version.py').read_text(), version)

setup(
    name='mmvit_ext',
    version=version['__version__'],
    description='DeiT III, DeepViT, CeiT and PiT for the OpenMMLab ecosystem',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmvit_ext', 'mmvit_ext.*']),
    py_modules=['mmvit_ext_scope'],
    cmdclass={'build_py': BuildPy, 'editable_wheel': EditableWheel},
    package_data={'mmvit_ext': mim_files()},
    install_requires=read_requirements('runtime'),
    extras_require={
        'tools': read_requirements('tools'),
        'tests': (read_requirements('tests') + read_requirements('tools')
                  + read_requirements('docs')),
        'docs': read_requirements('docs'),
        'teacher': read_requirements('teacher'),
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
