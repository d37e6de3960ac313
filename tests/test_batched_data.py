"""Whole-batch loading and batch flips: the same images and labels as
mmpretrain's per-sample pipeline, flipped on the batch."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmvit_ext.datasets import (BatchRandomFlip, InMemoryBatchDataset,
                                batch_collate)
from mmvit_ext.registry import MODELS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = f'{ROOT}/configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'
DATA = f'{ROOT}/data/fashion-mnist'


def fashion(**kwargs):
    return dict(type='FashionMNIST', data_root=DATA, split='train',
                test_mode=False, download=False, **kwargs)


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvit_ext')


@pytest.mark.slow
def test_batches_equal_the_per_sample_pipeline():
    batched = InMemoryBatchDataset(fashion(indices=300, pipeline=[]))
    from mmpretrain.datasets import FashionMNIST
    per_sample = FashionMNIST(data_root=DATA, split='train', indices=300,
                              pipeline=[dict(type='PackInputs')])
    indices = [299, 0, 17, 17, 150]
    batch = batch_collate(batched.__getitems__(indices))
    assert batch['inputs'].dtype == torch.uint8
    assert batch['inputs'].shape == (5, 1, 28, 28)
    for row, i in enumerate(indices):
        sample = per_sample[i]
        assert torch.equal(batch['inputs'][row], sample['inputs'])
        assert torch.equal(batch['data_samples'][row].gt_label,
                           sample['data_samples'].gt_label)
    assert len(batched) == 300
    assert batched.metainfo['classes'] == per_sample.metainfo['classes']
    # Single samples still come from the wrapped dataset.
    assert batched[3]['img'].shape == (28, 28)


def test_batches_refuse_what_they_would_ignore(tmp_path):
    with pytest.raises(ValueError, match=r'pipeline must be empty.*'
                       r'BatchRandomFlip'):
        InMemoryBatchDataset(fashion(
            indices=10, pipeline=[dict(type='RandomFlip', prob=0.5)]))
    for cls in ('a', 'b'):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / 'x.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'sample #0 of CustomDataset has no '
                       r'"img".*per-sample loader'):
        InMemoryBatchDataset(dict(type='CustomDataset',
                                  data_root=str(tmp_path), pipeline=[]))
    with pytest.raises(TypeError, match='pseudo_collate'):
        batch_collate([dict(inputs=torch.zeros(1))])


def test_batch_flip_flips_each_image_or_leaves_it():
    torch.manual_seed(0)
    x = torch.randn(400, 1, 5, 7)
    assert torch.equal(BatchRandomFlip(prob=1.)(x, None)[0], x.flip(-1))
    assert torch.equal(BatchRandomFlip(prob=1., direction='vertical')(
        x, None)[0], x.flip(-2))
    assert torch.equal(BatchRandomFlip(prob=0.)(x, None)[0], x)
    score = torch.rand(400, 10)
    out, out_score = BatchRandomFlip(prob=0.5)(x, score)
    assert out_score is score
    flipped = (out == x.flip(-1)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert bool((flipped | kept).all())
    assert 150 < int(flipped.sum()) < 250
    with pytest.raises(ValueError, match=r'prob 1.5 is not in \[0, 1\]'):
        BatchRandomFlip(prob=1.5)
    with pytest.raises(ValueError, match=r"'diagonal' is not one of "
                       r"\['horizontal', 'vertical'\]"):
        BatchRandomFlip(direction='diagonal')


def test_demo_config_trains_on_flipped_normalized_batches(tmp_path):
    """The demo's loader and data preprocessor, as the runner builds them:
    each training image is the normalized image, flipped or not; test
    images are never flipped."""
    cfg = Config.fromfile(DEMO)
    cfg.train_dataloader.dataset.dataset.indices = 256
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    assert batch['inputs'].shape == (128, 1, 28, 28)
    preprocessor = MODELS.build(cfg.data_preprocessor)
    torch.manual_seed(0)
    out = preprocessor(dict(batch), training=True)['inputs']
    normalized = (batch['inputs'].float() - 72.94) / 90.02
    flipped = torch.isclose(out, normalized.flip(-1)).flatten(1).all(1)
    kept = torch.isclose(out, normalized).flatten(1).all(1)
    assert bool((flipped | kept).all())
    assert 0 < int((flipped & ~kept).sum()) < 128
    out = preprocessor(dict(batch), training=False)['inputs']
    assert torch.allclose(out, normalized)


@pytest.mark.slow
def test_mmengines_subset_option_works_on_the_demo_config(tmp_path):
    """mmengine's idiom for a quick run on part of the data,
    ``--cfg-options train_dataloader.dataset.indices=N``, through
    tools/train.py on the batched demo config: N samples, N / 128
    iterations an epoch. A bad value is named."""
    from user_utils import run

    def train(indices, ok=True):
        return run(ROOT, 'tools/train.py', DEMO, '--work-dir',
                   str(tmp_path / 'work'), '--cfg-options',
                   f'train_dataloader.dataset.indices={indices}',
                   'val_dataloader.dataset.indices=128',
                   'train_cfg.max_epochs=1', ok=ok)

    output = train(256)
    assert 'Epoch(train) [1][2/2]' in output, output[-3000:]
    assert InMemoryBatchDataset(fashion(pipeline=[]), indices=[3, 1, 4]) \
        .labels.tolist() == InMemoryBatchDataset(
            fashion(pipeline=[], indices=5)).labels[[3, 1, 4]].tolist()
    assert 'indices must be an int' in train("'all'", ok=False)
