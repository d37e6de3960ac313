"""A sample of the paper-scale ImageNet configs trains a few iterations and
validates through tools/train.py on the tiny layouts, as a user tries a
config before a cluster run (the full sweep is
``python tools/misc/try_configs.py LAYOUTS``; see docs/recipes.md)."""
import os
import subprocess
import sys

import pytest
import torch

pytestmark = pytest.mark.slow  # every test reads the fixture's run

SAMPLE = [
    # DeiT III-B's two stages: 3-Augment, repeated augmentation, the
    # thresholded BCE and the EMA at 192 px, then the 224 px fine-tune from
    # that run's checkpoint, its position embedding resized.
    'configs/deit3/deit3-b-p16-192px_8xb256_in1k.py',
    'configs/deit3/deit3-b-p16-ft_8xb64_in1k.py',
]


@pytest.fixture(scope='module')
def tried(repo_root, tmp_path_factory):
    layouts = str(tmp_path_factory.mktemp('tiny') / 'layouts')
    subprocess.run(
        [sys.executable, 'tools/dataset_converters/make_tiny_layouts.py',
         '--out', layouts, '--sets', 'imagenet', '--size', '32',
         '--num-val', '4'], cwd=repo_root, check=True)
    proc = subprocess.run(
        [sys.executable, 'tools/misc/try_configs.py', layouts, *SAMPLE],
        cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    return layouts, proc


def work_dir(layouts, config):
    return os.path.join(layouts, 'work_dirs',
                        os.path.splitext(os.path.basename(config))[0])


def test_the_sample_trains_and_validates(tried):
    layouts, proc = tried
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f'{len(SAMPLE)} passed, 0 failed' in proc.stdout
    for config in SAMPLE:
        with open(os.path.join(work_dir(layouts, config),
                               'try_configs.log')) as f:
            log = f.read()
        assert 'Saving checkpoint at 2 iterations' in log, config
        assert 'accuracy/top1' in log, config  # validated


def test_only_loop_batch_and_workers_change(tried, repo_root):
    from mmengine.config import Config
    layouts, _ = tried
    config = SAMPLE[0]
    ours = Config.fromfile(os.path.join(repo_root, config))
    tiny = Config.fromfile(os.path.join(
        work_dir(layouts, config),
        os.path.basename(config).replace('.py', '_tiny.py')))
    assert tiny.train_cfg == dict(type='IterBasedTrainLoop', max_iters=2,
                                  val_interval=2)
    assert tiny.train_dataloader.batch_size == 2
    assert tiny.train_dataloader.num_workers == 0
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'custom_hooks'):
        assert tiny[key] == ours[key], key
    assert tiny.train_dataloader.dataset == ours.train_dataloader.dataset
    assert tiny.train_dataloader.sampler == ours.train_dataloader.sampler


def test_fine_tune_starts_from_stage_one_with_its_ema_beside(tried):
    layouts, _ = tried
    stage_one = os.path.join(work_dir(layouts, SAMPLE[0]), 'iter_2.pth')
    with open(os.path.join(work_dir(layouts, SAMPLE[1]),
                           'try_configs.log')) as f:
        log = f.read()
    assert f'Load checkpoint from {stage_one}' in log
    checkpoint = torch.load(stage_one, map_location='cpu', weights_only=False)
    # The raw model (validated, as DeiT reports it) is the state_dict, the
    # EMA beside it; the fine-tune loads the raw one.
    assert 'ema_state_dict' in checkpoint
    pos = checkpoint['state_dict']['backbone.pos_embed']
    assert pos.shape == (1, (192 // 16)**2, 768)
