"""Blocks shared by the backbones: attention variants, windows, relative
positions, ViTDet's blocks, padding that survives export, position-embedding
resizing and activation checkpointing. Nothing here imports a backbone."""
from .attention import (ATTN_IMPLS, UnbindQKVAttention, WindowAttention,
                        attend, choose_attn_impl, set_attn_impl)
from .block import (ScaledMaskDropPath, TransformerEncoderLayer,
                    WindowedEncoderLayer)
from .checkpointing import run_block
from .exporting import is_exporting
from .padding import (ExportablePadding, exportable_patch_embed, pad_to_tile,
                      tile_padding, tiled_size)
from .pos_embed import interpolate_pos_embed, resize_grid
from .rel_pos import decomposed_rel_pos_bias, get_rel_pos, resize_rel_pos
from .vitdet import ViTDetMixin, refuse_vitdet
from .window import window_partition, window_unpartition

__all__ = [
    'ATTN_IMPLS', 'attend', 'choose_attn_impl', 'set_attn_impl',
    'ExportablePadding', 'ScaledMaskDropPath', 'TransformerEncoderLayer',
    'UnbindQKVAttention', 'ViTDetMixin', 'WindowAttention',
    'WindowedEncoderLayer', 'decomposed_rel_pos_bias',
    'exportable_patch_embed', 'get_rel_pos', 'interpolate_pos_embed',
    'is_exporting', 'pad_to_tile', 'refuse_vitdet', 'resize_grid',
    'resize_rel_pos', 'run_block', 'tile_padding', 'tiled_size',
    'window_partition', 'window_unpartition'
]
