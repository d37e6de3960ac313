import torch
import torch.nn as nn
from mmcv.cnn.bricks.transformer import FFN
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.heads import ClsHead
from mmpretrain.models.utils import build_norm_layer

from mmvit_ext.registry import MODELS
from ..layers.attention import ATTN_IMPLS, attend, set_attn_impl
from ..utils import check_choice


class LCAAttention(BaseModule):
    """Attention whose only query is the last token (the last layer's class
    token); keys and values are all tokens. One ``qkv`` Linear, as in the
    official code; the attention by ``attn_impl`` (see
    :func:`~mmvit_ext.models.layers.attend`)."""
    attn_impl = 'auto'

    def __init__(self, embed_dims, num_heads, qkv_bias=True, attn_drop=0.,
                 proj_drop=0., init_cfg=None):
        super().__init__(init_cfg)
        self.num_heads = num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, L, C = x.shape
        # (B, L, 3C) -> 3 x (B, h, L, d); only the last token queries.
        q, k, v = self.qkv(x).reshape(B, L, 3, self.num_heads,
                                      -1).permute(2, 0, 3, 1, 4)
        x = attend(q[:, :, -1:], k, v, dropout_p=self.attn_drop.p
                   if self.training else 0., impl=self.attn_impl)
        x = x.transpose(1, 2).reshape(B, 1, C)  # (B, h, 1, d) -> (B, 1, C)
        return self.proj_drop(self.proj(x))


class LCABlock(BaseModule):
    """A pre-norm block whose output is the last token only:
    ``y = x[-1] + attn(ln1(x))``, then ``y + mlp(ln2(y))``."""

    def __init__(self, embed_dims, num_heads, mlp_ratio, qkv_bias, drop_rate,
                 attn_drop_rate, norm_cfg, act_cfg, init_cfg=None):
        super().__init__(init_cfg)
        self.ln1 = build_norm_layer(norm_cfg, embed_dims)
        self.attn = LCAAttention(embed_dims, num_heads, qkv_bias,
                                 attn_drop_rate, drop_rate)
        self.ln2 = build_norm_layer(norm_cfg, embed_dims)
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=int(embed_dims * mlp_ratio),
            ffn_drop=drop_rate,
            act_cfg=act_cfg,
            add_identity=False)

    def forward(self, x):
        x = x[:, -1:] + self.attn(self.ln1(x))  # (B, 1, C)
        return x + self.ffn(self.ln2(x))


@MODELS.register_module()
class LCAClsHead(ClsHead):
    """Layer-wise class-token attention head (CeiT, Sec. 3.3).

    It takes the class token of every backbone block (a backbone with
    ``out_type='cls_token'`` and ``out_indices`` over all blocks), adds a
    learned layer-position embedding, and runs one transformer block in
    which only the last layer's token queries all of them. An MLP, a norm
    and a linear classifier follow. As in the official code there is no
    drop path. With a distillation token, the class tokens are used.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the class tokens.
        num_layers (int): How many class tokens (backbone blocks) come in.
        num_heads (int): Attention heads.
        mlp_ratio (float): MLP expansion. Defaults to 4.
        qkv_bias (bool): Defaults to True.
        drop_rate (float): Dropout after the attention projection and in
            the MLP. Defaults to 0.
        attn_drop_rate (float): Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='LN', eps=1e-6)``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
        attn_impl (str): ``'auto'``, ``'sdpa'`` or ``'math'``, as for the
            backbones. Defaults to ``'auto'``.
        init_cfg (dict): Defaults to a truncated normal for Linear layers.
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of ``ClsHead``.
    """

    def __init__(self,
                 num_classes,
                 in_channels,
                 num_layers,
                 num_heads,
                 mlp_ratio=4.,
                 qkv_bias=True,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 norm_cfg=dict(type='LN', eps=1e-6),
                 act_cfg=dict(type='GELU'),
                 attn_impl='auto',
                 init_cfg=dict(type='TruncNormal', layer='Linear', std=.02),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        check_choice('LCAClsHead attn_impl', attn_impl, ATTN_IMPLS)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_layers = num_layers
        self.pos_layer_embed = nn.Parameter(
            torch.zeros(1, num_layers, in_channels))
        self.lca = LCABlock(in_channels, num_heads, mlp_ratio, qkv_bias,
                            drop_rate, attn_drop_rate, norm_cfg, act_cfg)
        self.norm = build_norm_layer(norm_cfg, in_channels)
        self.fc = nn.Linear(in_channels, num_classes)
        self.attn_impl = attn_impl
        set_attn_impl(self, attn_impl)

    def init_weights(self):
        super().init_weights()
        trunc_normal_(self.pos_layer_embed, std=.02)

    def pre_logits(self, feats):
        """Per-layer class tokens -> the normalised LCA output (B, C)."""
        if len(feats) != self.num_layers:
            raise ValueError(
                f'LCAClsHead expects {self.num_layers} class tokens (one per '
                f'block) but got {len(feats)}; set the backbone to '
                "out_type='cls_token' with out_indices over every block")
        tokens = torch.stack(
            [f[0] if isinstance(f, (tuple, list)) else f for f in feats],
            dim=1)  # (B, L, C)
        return self.norm(self.lca(tokens + self.pos_layer_embed)[:, 0])

    def forward(self, feats):
        return self.fc(self.pre_logits(feats))
