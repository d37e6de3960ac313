"""Position-embedding grids resized to the input (and while exporting)."""
import torch
import torch.nn.functional as F
from mmpretrain.models.utils import resize_pos_embed

from .exporting import is_exporting


def resize_grid(grid, hw, mode='bicubic'):
    """A ``(1, C, h, w)`` position-embedding grid resized to ``hw``, in
    float32 (bicubic needs it) and back to its dtype."""
    return F.interpolate(grid.float(), size=hw, mode=mode,
                         align_corners=False).to(grid.dtype)


def interpolate_pos_embed(pos_embed, src_hw, dst_hw, mode='bicubic',
                          num_extra_tokens=1):
    """mmpretrain's ``resize_pos_embed``, minus its equal-size shortcut
    while exporting (``is_exporting()``)."""
    if not is_exporting():
        return resize_pos_embed(pos_embed, src_hw, dst_hw, mode,
                                num_extra_tokens)
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:].unflatten(1, tuple(src_hw))
    grid = resize_grid(grid.permute(0, 3, 1, 2), dst_hw, mode)
    return torch.cat([extra, grid.flatten(2).transpose(1, 2)], dim=1)
