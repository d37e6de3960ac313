"""Image loading whose every failure names the file and its index."""
import logging

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile as _LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log

from mmvit_ext.registry import TRANSFORMS


class ImageLoadError(OSError):
    """An image file is missing, empty, truncated or not an image."""


@TRANSFORMS.register_module()
class LoadImageFromFile(_LoadImageFromFile):
    """mmcv's ``LoadImageFromFile``, whose failures name the file and its
    index in the dataset.

    mmcv's gives OpenCV's ``!buf.empty()`` for an empty file, with no path,
    and never the index. Here a missing, empty, truncated or undecodable
    file raises :class:`ImageLoadError`::

        cannot read image #12 data/my_dataset/train/cat/0.png: empty file

    With mmcv's ``ignore_empty=True`` such a file is skipped instead: the
    transform returns None, mmengine's dataset draws another sample in its
    place during training, and a warning names every skipped file with the
    number skipped so far (per data-loader worker). Evaluation cannot skip:
    mmengine's datasets refuse a missing sample at test time, because a
    metric over fewer images than the set is not that set's metric.

    Registered in the ``mmvit_ext`` scope under mmcv's name, so every config
    with ``default_scope='mmvit_ext'`` uses it. The arguments are mmcv's.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.num_skipped = 0

    def _read(self, filename):
        """The decoded image, or :class:`ImageLoadError` saying why not."""
        try:
            if self.file_client_args is not None:  # mmcv's deprecated way
                img_bytes = fileio.FileClient.infer_client(
                    self.file_client_args, filename).get(filename)
            else:
                img_bytes = fileio.get(filename,
                                       backend_args=self.backend_args)
        except FileNotFoundError:
            raise ImageLoadError('no such file') from None
        if not img_bytes:
            raise ImageLoadError('empty file')
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as e:
            raise ImageLoadError(f'not a readable image ({len(img_bytes)} '
                                 f'bytes; {type(e).__name__}: {e})') from e
        if img is None:
            raise ImageLoadError(f'truncated or not an image '
                                 f'({len(img_bytes)} bytes)')
        return img

    def transform(self, results):
        filename = results['img_path']
        where = f"image #{results.get('sample_idx', '?')} {filename}"
        try:
            img = self._read(filename)
        except ImageLoadError as e:
            if not self.ignore_empty:
                raise ImageLoadError(
                    f'cannot read {where}: {e} (LoadImageFromFile('
                    'ignore_empty=True) skips such files in training)'
                ) from e.__cause__
            self.num_skipped += 1
            print_log(f'Skipped {where}: {e} ({self.num_skipped} skipped '
                      'so far)', logger='current', level=logging.WARNING)
            return None
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
