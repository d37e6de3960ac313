"""AdamW on the fused kernel where every parameter allows it."""
import torch
from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

from mmvit_ext.registry import OPTIMIZERS


def _parameters(params):
    """The tensors of ``params``: tensors, or param group dicts whose
    ``params`` is a tensor or a list of them (as torch accepts)."""
    for item in params:
        group = item['params'] if isinstance(item, dict) else item
        yield from [group] if isinstance(group, torch.Tensor) else group


@OPTIMIZERS.register_module()
class AdamW(torch.optim.AdamW):
    """torch's AdamW with its fused kernel wherever torch has one.

    ``type='AdamW'`` in our configs resolves here before mmengine's plain
    ``torch.optim.AdamW``, whose default on CPU is a Python loop over the
    parameters (3.8x slower than fused for the Fashion-MNIST models). With
    neither ``fused`` nor ``foreach`` given, it takes ``fused=True`` when all
    parameters are floating point on a device with fused kernels (CPU, CUDA,
    ...), else torch's default. Everything else is torch's AdamW.
    """

    def __init__(self, params, *args, foreach=None, fused=None, **kwargs):
        params = list(params)
        if foreach is None and fused is None:
            tensors = list(_parameters(params))
            supported = _get_fused_kernels_supported_devices()
            fused = bool(tensors) and all(
                p.is_floating_point() and p.device.type in supported
                for p in tensors) or None
        super().__init__(params, *args, foreach=foreach, fused=fused,
                         **kwargs)
