"""Training curves: a short run logs enough points, and
tools/analysis_tools/plot_curves.py draws them."""
import json
import os

import cv2
import pytest

from user_utils import run

pytestmark = pytest.mark.slow  # each trains, or reads a training run

PLOT = 'tools/analysis_tools/plot_curves.py'


@pytest.fixture(scope='module')
def short_run(repo_root, tmp_path_factory):
    """10 iterations (2 epochs of 5) with the default logging interval of
    100: mmengine alone would log no training point."""
    work_dir = tmp_path_factory.mktemp('curves')
    run(repo_root, 'tools/train.py', 'tests/configs/demo_subset.py',
        '--work-dir', str(work_dir), '--cfg-options',
        'train_cfg.max_epochs=2', 'default_hooks.logger.interval=100')
    return work_dir


def scalars(work_dir):
    [run_dir] = [d for d in os.listdir(work_dir)
                 if os.path.isdir(work_dir / d / 'vis_data')]
    with open(work_dir / run_dir / 'vis_data' / 'scalars.json') as f:
        return [json.loads(line) for line in f]


def test_short_runs_log_every_iteration(short_run):
    records = scalars(short_run)
    train = [r['iter'] for r in records if 'iter' in r]
    val = [r['step'] for r in records if 'accuracy/top1' in r]
    assert train == list(range(1, 11))
    assert val == [1, 2]


def test_plot_curves_draws_each_key(short_run, repo_root, tmp_path):
    out = tmp_path / 'curves.png'
    log = run(repo_root, PLOT, str(short_run), '--keys', 'loss', 'lr',
              'accuracy/top1', '--out', str(out))
    assert 'loss (10 points), lr (10 points), accuracy/top1 (2 points)' \
        in log
    img = cv2.imread(str(out))
    # One row of three 4.5 x 3.2 inch panels at 100 dpi.
    assert img.shape == (320, 1350, 3)
    assert img.std() > 10  # drawn on, not blank
    # Defaults: every scalar but timings, beside the run.
    log = run(repo_root, PLOT, str(short_run))
    assert 'grad_norm (10 points)' in log and 'data_time' not in log
    assert os.path.isfile(log.split(':')[0])


def test_plot_curves_names_what_is_there(short_run, repo_root, tmp_path):
    log = run(repo_root, PLOT, str(short_run), '--keys', 'accuracy/top5',
              ok=False)
    assert "['accuracy/top5'] not in" in log and "'accuracy/top1'" in log
    log = run(repo_root, PLOT, str(tmp_path), ok=False)
    assert 'no vis_data/scalars.json under' in log
    assert not os.listdir(tmp_path)  # nothing half-written


def test_tensorboard_is_one_config_switch(repo_root, tmp_path):
    """The train and test guide's switch: a config that adds mmengine's
    TensorboardVisBackend writes TensorBoard events beside scalars.json."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    config = tmp_path / 'with_tensorboard.py'
    config.write_text(
        f"_base_ = ['{repo_root}/tests/configs/demo_subset.py']\n"
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),\n"
        "                                dict(type='TensorboardVisBackend')])\n")
    run(repo_root, 'tools/train.py', str(config), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'train_cfg.max_epochs=1')
    [events] = list((tmp_path / 'work').glob('*/vis_data/events.out.*'))
    acc = EventAccumulator(str(events))
    acc.Reload()
    assert len(acc.Scalars('loss')) == 5  # every iteration of the short run
    assert [e.value for e in acc.Scalars('accuracy/top1')]
