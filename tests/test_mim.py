"""``mim train`` and ``mim test`` (openmim, OpenMMLab's launcher) on our
configs, with the package installed as a user installs it (not editable:
mim looks for ``<site-packages>/mmvit_ext/.mim/tools``), and openmim
installed as requirements/mim.txt says, which leaves setuptools alone."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIM = os.path.join(os.path.dirname(sys.executable), 'mim')
SOURCES = ['setup.py', 'README.md', 'model-index.yml', 'mmvit_ext_scope.py',
           'mmvit_ext-scope.pth', 'requirements', 'mmvit_ext', 'configs',
           'tools']


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The package built from a copy of the sources (so no build output
    lands in the repository) and installed into a folder."""
    src = tmp_path_factory.mktemp('src')
    for name in SOURCES:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name, symlinks=True,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy(path, src / name)
    target = tmp_path_factory.mktemp('site')
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q',
                    '--disable-pip-version-check', '--no-deps',
                    '--no-build-isolation', '--target', str(target),
                    str(src)], check=True, capture_output=True)
    return target


def mim(target, *args):
    # The console script, as a user runs it: ``python -m mim`` would put the
    # checkout first on sys.path, where mim finds its egg-info instead of
    # the installed package.
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run([MIM, *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


@pytest.mark.slow
def test_mim_trains_and_tests_a_config_by_name(installed, tmp_path):
    work_dir = tmp_path / 'work'
    config = 'deit3-tiny-p7_1xb128_fashion-mnist.py'  # found in .mim
    out = mim(installed, 'train', 'mmvit_ext', config, '--work-dir',
              str(work_dir), '--cfg-options',
              'train_dataloader.dataset.indices=256',
              'val_dataloader.dataset.indices=128', 'train_cfg.max_epochs=1')
    assert f'{installed}/mmvit_ext/.mim/tools/train.py' in out
    assert 'Training finished successfully' in out
    assert 'Epoch(train) [1][2/2]' in out
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.exists()
    out = mim(installed, 'test', 'mmvit_ext', config, '--checkpoint',
              str(checkpoint), '--work-dir', str(tmp_path / 'test'),
              '--cfg-options', 'test_dataloader.dataset.indices=128')
    assert 'Testing finished successfully' in out
    assert 'accuracy/top1' in out


def test_openmim_left_torchs_setuptools_alone():
    """Installing openmim as make test does keeps every installed package's
    requirements met: setuptools stays within what torch and we require
    (openmim's own dependencies would pin it to 60.2), and mim's run-time
    imports are there."""
    from importlib.metadata import distribution, distributions
    from packaging.requirements import Requirement

    def name(n):
        return n.lower().replace('_', '-')

    installed = {name(d.metadata['Name']): d.version
                 for d in distributions()}
    checked = []
    for dist in distributions():
        for line in dist.requires or []:
            req = Requirement(line)
            if req.name.lower() != 'setuptools' or (
                    req.marker and not req.marker.evaluate({'extra': ''})):
                continue
            assert req.specifier.contains(installed['setuptools']), (
                dist.metadata['Name'], line, installed['setuptools'])
            checked.append(name(dist.metadata['Name']))
    assert {'torch', 'mmvit-ext'} <= set(checked)
    with open(os.path.join(ROOT, 'requirements', 'mim.txt')) as f:
        needed = [Requirement(line.strip()).name for line in f
                  if line.strip() and not line.startswith('#')]
    missing = [n for n in needed if name(n) not in installed]
    assert not missing, missing
    # openmim itself, at the version the Makefile installs (--no-deps).
    with open(os.path.join(ROOT, 'Makefile')) as f:
        pinned, = re.findall(r'--no-deps openmim==([\d.]+)', f.read())
    assert distribution('openmim').version == pinned
