from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` without comments."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


def mim_files():
    """``configs/`` and ``model-index.yml``, shipped inside the package as
    ``mmvit_ext/.mim`` (links in the repository), as mmpretrain does."""
    files = ['.mim/model-index.yml']
    for path in sorted((HERE / 'configs').rglob('*')):
        if path.suffix in ('.py', '.yml'):
            files.append('.mim/' + path.relative_to(HERE).as_posix())
    return files


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
    package_data={'mmvit_ext': mim_files()},
    install_requires=read_requirements('runtime'),
    extras_require={
        'tools': read_requirements('tools'),
        'tests': read_requirements('tests') + read_requirements('tools'),
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
