"""Predict image files with any mmvit_ext config, grey ones included."""
from mmcv.image import imread
from mmengine.dataset import Compose, default_collate
from mmpretrain.apis import \
    ImageClassificationInferencer as _ImageClassificationInferencer
from mmpretrain.datasets import remove_transform

from mmvit_ext.registry import TRANSFORMS


def image_color_type(cfg):
    """How to read image files for ``cfg``: the ``color_type`` of its
    ``LoadImageFromFile``, else ``'grayscale'`` for a model normalising one
    channel (the Fashion-MNIST configs), else ``'color'``."""
    for step in cfg.test_dataloader.dataset.get('pipeline', []):
        if step.get('type') == 'LoadImageFromFile':
            return step.get('color_type', 'color')
    preprocessor = cfg.model.get('data_preprocessor') or \
        cfg.get('data_preprocessor') or {}
    mean = preprocessor.get('mean')
    return 'grayscale' if mean is not None and len(mean) == 1 else 'color'


class ImageClassificationInferencer(_ImageClassificationInferencer):
    """mmpretrain's inferencer, reading images as the config does.

    mmpretrain's always reads three-channel colour images, which a model
    trained on grey images (``in_channels=1``) cannot take. This one reads
    them with the config's colour type (see :func:`image_color_type`).

    Example:
        >>> from mmvit_ext.apis import ImageClassificationInferencer
        >>> inferencer = ImageClassificationInferencer(
        ...     'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py',
        ...     pretrained='work_dirs/demo/epoch_13.pth')
        >>> inferencer('shoe.png')[0]['pred_class']
    """

    def _init_pipeline(self, cfg):
        self.color_type = image_color_type(cfg)
        steps = remove_transform(cfg.test_dataloader.dataset.pipeline,
                                 'LoadImageFromFile')
        return Compose([TRANSFORMS.build(t) for t in steps])

    def preprocess(self, inputs, batch_size=1):

        def load_image(input_):
            img = imread(input_, flag=self.color_type)
            if img is None:
                raise ValueError(f'Failed to read image {input_}.')
            return dict(img=img, img_shape=img.shape[:2],
                        ori_shape=img.shape[:2])

        pipeline = Compose([load_image, self.pipeline])
        chunks = self._get_chunk_data(map(pipeline, inputs), batch_size)
        yield from map(default_collate, chunks)
