"""Blocks shared by the backbones: attention variants, windows, relative
positions."""
from .attention import UnbindQKVAttention, WindowAttention
from .block import (ScaledMaskDropPath, TransformerEncoderLayer,
                    WindowedEncoderLayer)
from .rel_pos import decomposed_rel_pos_bias, get_rel_pos, resize_rel_pos
from .window import window_partition, window_unpartition

__all__ = [
    'ScaledMaskDropPath', 'TransformerEncoderLayer', 'UnbindQKVAttention',
    'WindowAttention', 'WindowedEncoderLayer', 'decomposed_rel_pos_bias',
    'get_rel_pos', 'resize_rel_pos', 'window_partition', 'window_unpartition'
]
