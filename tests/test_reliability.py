"""Crash-safe checkpoints, exact resume and the non-finite guard, through
tools/train.py as a user runs it."""
import glob
import os
import subprocess
import sys

import pytest
import torch

from mmvit_ext.engine import load_checkpoint_file
from mmvit_ext.engine.hooks import is_intact

# The demo config with its augmentation and stochastic depth, on a subset.
CONFIG = 'tests/configs/demo_subset.py'
EPOCHS = ['train_cfg.max_epochs=3', 'param_scheduler.1.end=3']


pytestmark = [pytest.mark.slow,
              pytest.mark.usefixtures('fashion_mnist')]


def train(repo_root, work_dir, *args, crash=None):
    env, options = dict(os.environ), list(EPOCHS)
    if crash:
        # ``sitecustomize`` runs at start-up: tests/crash_at.py arms the kill.
        site = work_dir.parent / f'{work_dir.name}-site'
        site.mkdir(exist_ok=True)
        (site / 'sitecustomize.py').write_text('import crash_at\n')
        env.update(PYTHONPATH=f'{site}:{os.path.join(repo_root, "tests")}',
                   CRASH_AT_NAME=crash[0], CRASH_AT_COUNT=str(crash[1]))
    return subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir',
         str(work_dir), *args, '--cfg-options', *options],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)


def weights(path):
    return load_checkpoint_file(str(path))['state_dict']


@pytest.fixture(scope='module')
def uninterrupted(repo_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('full')
    proc = train(repo_root, work_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir


def test_resumed_run_equals_uninterrupted_run(uninterrupted, repo_root,
                                              tmp_path):
    """Random flips and stochastic depth on: RNG states travel with the
    checkpoint."""
    (tmp_path / 'epoch_1.pth').write_bytes(
        (uninterrupted / 'epoch_1.pth').read_bytes())
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    proc = train(repo_root, tmp_path, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr
    full, resumed = weights(uninterrupted / 'epoch_3.pth'), \
        weights(tmp_path / 'epoch_3.pth')
    for key, value in full.items():
        assert torch.equal(resumed[key], value), key


@pytest.mark.parametrize('moment', [
    ('epoch_1.pth', 1),  # the first write
    ('epoch_2.pth', 2),  # the same-epoch re-save after a new best
    ('best_accuracy_top1_epoch_2.pth', 1),  # the best write
])
def test_sigkill_while_saving_leaves_a_run_that_resumes(
        moment, uninterrupted, repo_root, tmp_path):
    proc = train(repo_root, tmp_path, crash=moment)
    assert proc.returncode == -9, proc.stderr[-3000:]
    # Nothing partial, and last_checkpoint names a complete file.
    for path in glob.glob(str(tmp_path / '*.pth')):
        assert is_intact(path), path
    if (tmp_path / 'last_checkpoint').exists():
        assert is_intact((tmp_path / 'last_checkpoint').read_text())
    if moment[0].startswith('best'):  # the old best is still there
        assert (tmp_path / 'best_accuracy_top1_epoch_1.pth').exists()

    proc = train(repo_root, tmp_path, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    full = weights(uninterrupted / 'epoch_3.pth')
    resumed = weights(tmp_path / 'epoch_3.pth')
    for key, value in full.items():
        assert torch.equal(resumed[key], value), key
    assert not glob.glob(str(tmp_path / '.*.part'))


def test_auto_resume_skips_a_damaged_checkpoint(uninterrupted, repo_root,
                                                tmp_path):
    for name in ('epoch_2.pth', 'epoch_3.pth'):
        (tmp_path / name).write_bytes((uninterrupted / name).read_bytes())
    (tmp_path / 'epoch_3.pth').write_bytes(
        (tmp_path / 'epoch_3.pth').read_bytes()[:1000])  # truncated
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    proc = train(repo_root, tmp_path, '--resume')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'Skipping damaged checkpoint(s)' in log and 'epoch_3.pth' in log
    assert 'resumed epoch: 2' in log
    for key, value in weights(uninterrupted / 'epoch_3.pth').items():
        assert torch.equal(weights(tmp_path / 'epoch_3.pth')[key], value)


def test_nan_run_stops_with_an_error_and_no_checkpoint(repo_root, tmp_path):
    proc = train(repo_root, tmp_path, '--cfg-options',
                 'optim_wrapper.optimizer.lr=1e6')
    assert proc.returncode != 0
    assert 'NonFiniteError: non-finite training at epoch 1, iteration' \
        in proc.stderr
    message = proc.stderr.split('NonFiniteError: ')[1]
    assert 'loss terms loss=' in message
    assert 'loss=nan' in message or 'non-finite gradients in' in message
    assert not glob.glob(str(tmp_path / '*.pth'))


def test_damaged_checkpoint_errors_name_the_file(tmp_path):
    from mmvit_ext.engine import CorruptCheckpointError
    empty, text = tmp_path / 'empty.pth', tmp_path / 'text.pth'
    empty.write_bytes(b'')
    text.write_text('not a checkpoint')
    for path in (empty, text):
        with pytest.raises(CorruptCheckpointError, match=str(path)):
            load_checkpoint_file(str(path))
