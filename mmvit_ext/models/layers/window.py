"""Non-overlapping windows over a token grid (ViTDet, Swin).

A grid that the window size does not divide is zero-padded at the bottom
and right to whole windows; :func:`window_unpartition` crops the padding
off again.
"""
import torch
import torch.nn.functional as F

from .exporting import is_exporting


def window_partition(x, window_size):
    """Split a (B, H, W, C) grid into windows.

    Returns:
        tuple: The windows, (B * nH * nW, window_size, window_size, C), and
        the padded grid size (Hp, Wp) for :func:`window_unpartition`.
    """
    B, H, W, C = x.shape
    pad_h = (window_size - H % window_size) % window_size
    pad_w = (window_size - W % window_size) % window_size
    x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    Hp, Wp = H + pad_h, W + pad_w
    # b (nh wh) (nw ww) c -> (b nh nw) wh ww c
    x = x.view(B, Hp // window_size, window_size, Wp // window_size,
               window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size,
                                                  window_size, C)
    return windows, (Hp, Wp)


def window_unpartition(windows, window_size, padded_hw, hw):
    """Undo :func:`window_partition`: windows back to a (B, H, W, C) grid,
    the padding cropped."""
    (Hp, Wp), (H, W) = padded_hw, hw
    nh, nw = Hp // window_size, Wp // window_size
    B = windows.shape[0] // (nh * nw)
    # (b nh nw) wh ww c -> b (nh wh) (nw ww) c
    x = windows.view(B, nh, nw, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)
    if is_exporting():
        # Crop by a negative pad: a new tensor at any size, where a slice's
        # contiguity (and its clamped end) would fix whether the recorded
        # size was padded.
        return F.pad(x, (0, 0, 0, W - Wp, 0, H - Hp))
    return x[:, :H, :W].contiguous()
