"""Padding that survives export, and the bottom-right tiling of the stems.

mmcv's ``PatchEmbed`` skips its pad when the recorded size needs none, and a
stem that tests "is there anything to pad?" on a traced size bakes the answer
into the graph. Both pad while exporting (see ``is_exporting()``): a zero pad
is an exact identity.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import AdaptivePadding

from .exporting import is_exporting


def _max0(size):
    """``max(size, 0)`` of a size as the exporter records it: a symbolic
    int under ``torch.export``, a 0-dim tensor under the legacy
    TorchScript-based ONNX exporter (``dynamo=False``)."""
    if isinstance(size, torch.Tensor):
        return torch.clamp(size, min=0)
    return torch.sym_max(size, 0)


class ExportablePadding(AdaptivePadding):
    """mmcv's ``AdaptivePadding`` (used by its ``PatchEmbed``) that always
    pads while exporting; mmcv's skips the pad when it is zero at the
    recorded size (see ``is_exporting()``). Same padding otherwise."""

    def forward(self, x):
        if not is_exporting():
            return super().forward(x)
        pads = [
            # ceil(size / s) as (size + s - 1) // s: ONNX divides negative
            # integers toward zero, not down.
            _max0((size + s - 1) // s * s - s + (k - 1) * d + 1 - size)
            for size, k, s, d in zip(x.shape[-2:], self.kernel_size,
                                     self.stride, self.dilation)
        ]
        pad_h, pad_w = pads
        if self.padding == 'corner':
            return F.pad(x, [0, pad_w, 0, pad_h])
        return F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                         pad_h - pad_h // 2])


def exportable_patch_embed(patch_embed):
    """Give mmcv's ``PatchEmbed`` an :class:`ExportablePadding` (no
    parameters, so keys and values do not change)."""
    padding = getattr(patch_embed, 'adaptive_padding', None)
    if type(padding) is AdaptivePadding:
        padding.__class__ = ExportablePadding
    return patch_embed


def tile_padding(size, kernel, stride):
    """Pixels to add after ``size`` so that windows of ``kernel`` at
    ``stride`` cover it exactly: ``size`` rounded up to a size the stem
    tiles, as mmcv's ``PatchEmbed`` does with its ``'corner'`` padding."""
    if size <= kernel:
        return kernel - size
    # Non-negative operands only: exported to ONNX, % and // of a negative
    # integer round toward zero instead of down.
    return (stride - (size - kernel) % stride) % stride


def pad_to_tile(x, kernel, stride):
    """Zero-pad a (B, C, H, W) map at the bottom and right by
    :func:`tile_padding`, so that a ``kernel``/``stride`` conv covers every
    pixel."""
    pad_h = tile_padding(x.shape[-2], kernel, stride)
    pad_w = tile_padding(x.shape[-1], kernel, stride)
    # is_exporting() first: testing a traced size would fix it.
    if is_exporting() or pad_h or pad_w:
        return F.pad(x, (0, pad_w, 0, pad_h))
    return x


def tiled_size(size, kernel, stride):
    """The output size of a ``kernel``/``stride`` conv after
    :func:`pad_to_tile`."""
    return (size + tile_padding(size, kernel, stride) - kernel) // stride + 1
