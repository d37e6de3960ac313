"""tools/train.py, tools/test.py, resume and torchrun, as a user runs them."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from mmvit_ext.engine import load_checkpoint_file

# The demo config on a small, deterministic subset.
DEMO = 'tests/configs/demo_small.py'


pytestmark = [pytest.mark.slow,
              pytest.mark.usefixtures('fashion_mnist')]


def run(repo_root, *args, env=None):
    proc = subprocess.run(
        list(args), cwd=repo_root, capture_output=True, text=True,
        timeout=600, env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def train(repo_root, work_dir, epochs, *extra):
    return run(repo_root, sys.executable, 'tools/train.py', DEMO,
               '--work-dir', str(work_dir), *extra, '--cfg-options',
               f'train_cfg.max_epochs={epochs}',
               f'param_scheduler.1.end={epochs}')


def val_top1(log):
    """The accuracies logged by the validation loop, in order."""
    return [float(line.split('accuracy/top1: ')[1].split()[0])
            for line in log.splitlines()
            if 'Epoch(val)' in line and 'accuracy/top1' in line]


@pytest.fixture(scope='module')
def trained(repo_root, tmp_path_factory):
    """Two epochs of the demo config on a subset."""
    work_dir = tmp_path_factory.mktemp('train')
    proc = train(repo_root, work_dir, 2)
    return work_dir, proc.stderr + proc.stdout


def test_train_writes_checkpoints_and_learns(trained):
    work_dir, log = trained
    for name in ('epoch_1.pth', 'epoch_2.pth', 'last_checkpoint'):
        assert (work_dir / name).exists(), name
    ckpt = load_checkpoint_file(str(work_dir / 'epoch_2.pth'))
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 10
    assert all(k.startswith(('backbone.', 'head.', 'data_preprocessor.'))
               for k in ckpt['state_dict'])
    accs = val_top1(log)
    assert len(accs) == 2 and accs[-1] > 20  # chance is 10%


def test_test_tool_reproduces_the_training_evaluation(trained, repo_root):
    work_dir, log = trained
    out = work_dir / 'metrics.json'
    run(repo_root, sys.executable, 'tools/test.py', DEMO,
        str(work_dir / 'epoch_2.pth'), '--work-dir', str(work_dir / 'test'),
        '--out', str(out), '--out-item', 'metrics')
    assert json.loads(out.read_text())['accuracy/top1'] == \
        pytest.approx(val_top1(log)[-1], abs=1e-6)


def test_resume_after_interruption_matches_uninterrupted(
        trained, repo_root, tmp_path):
    """A run stopped after epoch 1 and resumed ends with the same weights as
    the run that was never stopped."""
    full_dir, _ = trained
    work_dir = tmp_path / 'interrupted'
    work_dir.mkdir()
    shutil.copy(full_dir / 'epoch_1.pth', work_dir / 'epoch_1.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))

    proc = train(repo_root, work_dir, 2, '--resume')
    log = proc.stderr + proc.stdout
    assert 'resumed epoch: 1, iter: 5' in log
    assert 'Epoch(train) [1]' not in log and 'Epoch(train) [2]' in log
    resumed = load_checkpoint_file(str(work_dir / 'epoch_2.pth'))
    full = load_checkpoint_file(str(full_dir / 'epoch_2.pth'))
    assert resumed['meta']['iter'] == full['meta']['iter'] == 10
    for key, value in full['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value,
                                   rtol=1e-5, atol=1e-6, msg=key)


def test_dist_train_and_test_two_processes(trained, repo_root, tmp_path):
    env = dict(PYTHON=sys.executable, PORT='29517', OMP_NUM_THREADS='1')
    work_dir = tmp_path / 'dist'
    proc = run(repo_root, 'bash', 'tools/dist_train.sh', DEMO, '2',
               '--work-dir', str(work_dir), '--cfg-options',
               'train_cfg.max_epochs=2', 'param_scheduler.1.end=2', env=env)
    # The environment goes to the log file, not the console.
    log = ''.join(p.read_text() for p in work_dir.glob('*/*.log'))
    assert 'Distributed training: True' in log
    ckpt = load_checkpoint_file(str(work_dir / 'epoch_2.pth'))
    # 640 images shared by 2 processes x 128 -> 3 iterations per epoch.
    assert ckpt['meta']['iter'] == 6

    # Two-process evaluation gives the single-process top-1.
    single, dist = tmp_path / 'single.json', tmp_path / 'dist.json'
    ckpt_path = str(work_dir / 'epoch_2.pth')
    run(repo_root, sys.executable, 'tools/test.py', DEMO, ckpt_path,
        '--work-dir', str(tmp_path / 't1'), '--out', str(single), '--out-item', 'metrics')
    run(repo_root, 'bash', 'tools/dist_test.sh', DEMO, ckpt_path, '2',
        '--work-dir', str(tmp_path / 't2'), '--out', str(dist), '--out-item', 'metrics',
        env=dict(env, PORT='29518'))
    assert json.loads(dist.read_text())['accuracy/top1'] == pytest.approx(
        json.loads(single.read_text())['accuracy/top1'], abs=1e-6)
