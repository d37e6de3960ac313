"""mmpretrain's classification data preprocessor for models of grey
images, which also takes colour ones."""
import torch
from mmpretrain.models import ClsDataPreprocessor

from mmvit_ext.registry import MODELS


@MODELS.register_module()
class GreyClsDataPreprocessor(ClsDataPreprocessor):
    """:class:`mmpretrain.models.ClsDataPreprocessor` for a model of 1-channel
    (grey) images that also takes 3-channel colour images, turning them grey
    first.

    mmpretrain's own tools read image files in colour
    (``ImageClassificationInferencer``, ``inference_model``, a
    ``LoadImageFromFile`` step in a pipeline), which a model with
    ``in_channels=1`` cannot take. Here a 3-channel image becomes
    ``0.114 B + 0.587 G + 0.299 R`` (ITU-R BT.601, in the BGR order mmcv
    reads files in, as OpenCV's ``IMREAD_GRAYSCALE`` computes it), rounded
    back to the input's integer type, and then goes through the usual
    normalisation with the 1-channel ``mean`` and ``std``. A 1-channel
    image is left as it is, so training and evaluation are unchanged.

    Args:
        **kwargs: Those of ``ClsDataPreprocessor``; ``mean`` and ``std``
            must have one channel.
    """

    #: Weights of the B, G and R channels.
    BGR_TO_GREY = (0.114, 0.587, 0.299)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self._enable_normalize and self.mean.numel() != 1:
            raise ValueError(
                f'GreyClsDataPreprocessor normalises grey images, so mean '
                f'and std need one value each, got mean '
                f'{self.mean.flatten().tolist()}')

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = self.to_grey(inputs, channel_dim=1)
        else:
            inputs = [self.to_grey(x, channel_dim=0) for x in inputs]
        return super().forward(dict(data, inputs=inputs), training)

    def to_grey(self, x: torch.Tensor, channel_dim: int) -> torch.Tensor:
        """``x`` with 1 channel: as it is if grey, its luma if BGR."""
        channels = x.size(channel_dim)
        if channels == 1:
            return x
        if channels != 3:
            raise ValueError(
                f'GreyClsDataPreprocessor takes grey (1-channel) or BGR '
                f'(3-channel) images, got {channels} channels in an input '
                f'of shape {tuple(x.shape)}')
        shape = [1] * x.dim()
        shape[channel_dim] = 3
        weights = torch.tensor(self.BGR_TO_GREY, device=x.device).view(shape)
        grey = (x.float() * weights).sum(channel_dim, keepdim=True)
        return grey if x.is_floating_point() else grey.round().to(x.dtype)
