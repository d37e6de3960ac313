from .batched import BatchRandomFlip, InMemoryBatchDataset, batch_collate
from .loading import ImageLoadError, LoadImageFromFile

__all__ = ['BatchRandomFlip', 'ImageLoadError', 'InMemoryBatchDataset',
           'LoadImageFromFile', 'batch_collate']
