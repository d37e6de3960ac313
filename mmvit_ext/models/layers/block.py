"""The plain ViT block: mmpretrain's ``TransformerEncoderLayer`` running
the ops timm runs, and its ViTDet variant over a token grid."""
import torch
from mmcv.cnn.bricks.drop import DropPath as _MMCVDropPath
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer as _MMPretrainEncoderLayer

from .attention import UnbindQKVAttention, WindowAttention


class ScaledMaskDropPath(_MMCVDropPath):
    """mmcv's ``DropPath`` (the same random draws) in one multiply: the
    per-sample mask is scaled by ``1 / keep_prob`` instead of the whole
    input, which mmcv divides in a separate op."""

    def forward(self, x):
        if self.drop_prob == 0. or not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
        mask = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
        return x * mask.floor_().div_(keep_prob)


class TransformerEncoderLayer(_MMPretrainEncoderLayer):
    """mmpretrain's ``TransformerEncoderLayer`` (same arguments, keys and
    values) with :class:`UnbindQKVAttention` and
    :class:`ScaledMaskDropPath`: the ops timm runs, op for op."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the forward differs: swap the classes of the built modules.
        self.attn.__class__ = UnbindQKVAttention
        for module in self.modules():
            if type(module) is _MMCVDropPath:
                module.__class__ = ScaledMaskDropPath


class WindowedEncoderLayer(TransformerEncoderLayer):
    """:class:`TransformerEncoderLayer` whose attention is ViTDet's
    :class:`~mmvit_ext.models.layers.WindowAttention` over the (H, W) grid
    of patch tokens (no class token): ``forward(x, hw)``. The keys are the
    same plus ``attn.rel_pos_h``/``attn.rel_pos_w`` with ``use_rel_pos``.

    Args:
        window_size (int): Window side in tokens; 0 attends globally.
        input_size (tuple[int, int]): The grid a global block's
            relative-position tables are made for.
        use_rel_pos (bool): Decomposed relative positions.
        rel_pos_zero_init (bool): Zero-initialise the tables.
        **kwargs: :class:`TransformerEncoderLayer`'s arguments.
    """

    def __init__(self, *args, window_size=0, input_size=None,
                 use_rel_pos=False, rel_pos_zero_init=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.attn.__class__ = WindowAttention
        self.attn.setup(window_size, input_size, use_rel_pos,
                        rel_pos_zero_init)

    def forward(self, x, hw):
        x = x + self.attn(self.ln1(x), hw)
        return self.ffn(self.ln2(x), identity=x)
