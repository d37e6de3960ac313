"""Whole batches from one tensor, for datasets that live in memory.

mmengine's loaders run a Python pipeline per sample: fetch, copy, transform,
pack, collate. For 28x28 images that costs more than the model. Here the
images are stacked once into a uint8 tensor; a batch is one indexing op, and
random flips run on the batch in the data preprocessor
(:class:`BatchRandomFlip`). Configs::

    train_dataloader = dict(
        batch_size=128,
        dataset=dict(type='mmvit_ext.InMemoryBatchDataset',
                     dataset=dict(type='FashionMNIST', ...)),
        collate_fn=dict(type='mmvit_ext.batch_collate'),
        sampler=dict(type='DefaultSampler', shuffle=True))
    data_preprocessor = dict(
        to_onehot=True,
        batch_augments=dict(augments=dict(type='mmvit_ext.BatchRandomFlip')))
"""
import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmpretrain.structures import DataSample

from mmvit_ext.registry import BATCH_AUGMENTS, DATASETS, FUNCTIONS


@DATASETS.register_module()
class InMemoryBatchDataset:
    """Serve batches of an in-memory image dataset as one tensor.

    The wrapped dataset must hold its images as arrays (``data_info['img']``
    of one size, as mmpretrain's MNIST, FashionMNIST and CIFAR do) and have
    no pipeline: the images go to the model as they are, and augmentation
    belongs in ``data_preprocessor.batch_augments``. ``dataset[i]`` still
    gives the wrapped dataset's sample, for tools that read single samples.

    Args:
        dataset (dict | BaseDataset): The dataset, or its config.
        indices (int | Sequence[int], optional): Keep only these samples
            of the wrapped dataset: the first ``indices`` if an int, as
            mmengine's ``BaseDataset(indices=...)``, so that
            ``--cfg-options train_dataloader.dataset.indices=1024`` works
            on a batched config as on any other. Defaults to None (all).
    """

    def __init__(self, dataset, indices=None):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseDataset):
            raise TypeError(f'InMemoryBatchDataset wraps an mmengine '
                            f'BaseDataset, got {type(dataset).__name__}')
        if indices is not None:
            if not isinstance(indices, int) and not (
                    isinstance(indices, (list, tuple)) and
                    all(isinstance(i, int) for i in indices)):
                raise TypeError(
                    f'InMemoryBatchDataset indices must be an int (the '
                    f'first N samples) or a list of ints, got {indices!r}')
            dataset.get_subset_(indices)
        if len(dataset.pipeline.transforms):
            raise ValueError(
                f'InMemoryBatchDataset serves the images of '
                f'{type(dataset).__name__} as stored, so its pipeline must be '
                f'empty, got {dataset.pipeline.transforms}: do the '
                'augmentation on the batch, in '
                'data_preprocessor.batch_augments (e.g. '
                "dict(type='mmvit_ext.BatchRandomFlip'))")
        self.dataset = dataset
        self.metainfo = dataset.metainfo
        self.images, self.labels = self._stack(dataset)

    @staticmethod
    def _stack(dataset):
        images, labels = [], []
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            if 'img' not in info:
                raise ValueError(
                    f'InMemoryBatchDataset needs images held in memory, but '
                    f'sample #{i} of {type(dataset).__name__} has no "img" '
                    f'(keys: {sorted(info)}); datasets that read files use '
                    'the default per-sample loader')
            img = np.asarray(info['img'])
            # PackInputs' layout: HxW -> 1xHxW, HxWxC -> CxHxW.
            img = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
            if images and img.shape != images[0].shape:
                raise ValueError(
                    f'InMemoryBatchDataset needs images of one size: sample '
                    f'#0 is {images[0].shape}, sample #{i} is {img.shape}')
            images.append(img)
            labels.append(int(info['gt_label']))
        if not images:
            raise ValueError(
                f'InMemoryBatchDataset got an empty {type(dataset).__name__}')
        return (torch.from_numpy(np.ascontiguousarray(np.stack(images))),
                torch.tensor(labels, dtype=torch.long))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.dataset[idx]

    def __getitems__(self, indices):
        """The batch of ``indices``: what :func:`batch_collate` passes on."""
        index = torch.as_tensor(indices, dtype=torch.long)
        samples = [DataSample().set_gt_label(label)
                   for label in self.labels[index].view(-1, 1).unbind()]
        return dict(inputs=self.images[index], data_samples=samples)


@FUNCTIONS.register_module()
def batch_collate(batch):
    """The collate function of :class:`InMemoryBatchDataset`: its batch is
    already collated."""
    if not (isinstance(batch, dict) and 'inputs' in batch):
        raise TypeError(
            'batch_collate takes the batches of InMemoryBatchDataset; for '
            "other datasets use collate_fn=dict(type='pseudo_collate')")
    return batch


@BATCH_AUGMENTS.register_module()
class BatchRandomFlip:
    """Flip each image of a batch with probability ``prob``: ``RandomFlip``
    on the batch tensor, for ``data_preprocessor.batch_augments``.

    Args:
        prob (float): The probability to flip an image. Defaults to 0.5.
        direction (str): 'horizontal' or 'vertical'. Defaults to
            'horizontal'.
    """

    def __init__(self, prob=0.5, direction='horizontal'):
        if not 0 <= prob <= 1:
            raise ValueError(f'BatchRandomFlip prob {prob} is not in [0, 1]')
        dims = dict(horizontal=-1, vertical=-2)
        if direction not in dims:
            raise ValueError(f'BatchRandomFlip direction {direction!r} is '
                             f'not one of {sorted(dims)}')
        self.prob, self.direction, self.dim = prob, direction, dims[direction]

    def __call__(self, inputs, batch_score):
        flip = torch.rand(inputs.size(0), device=inputs.device) < self.prob
        flip = flip.view(-1, *([1] * (inputs.dim() - 1)))
        return torch.where(flip, inputs.flip(self.dim), inputs), batch_score

    def __repr__(self):
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'direction={self.direction!r})')
