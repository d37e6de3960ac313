from .batched import BatchRandomFlip, InMemoryBatchDataset, batch_collate
from .loading import ImageLoadError, LoadImageFromFile
from .repeat_aug_sampler import RepeatAugSampler
from .three_augment import ThreeAugment

__all__ = ['BatchRandomFlip', 'ImageLoadError', 'InMemoryBatchDataset',
           'LoadImageFromFile', 'RepeatAugSampler', 'ThreeAugment',
           'batch_collate']
