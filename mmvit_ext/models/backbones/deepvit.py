import contextlib

import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmcv.cnn.bricks.drop import build_dropout
from mmcv.cnn.bricks.transformer import FFN, PatchEmbed
from mmengine.model import BaseModule, ModuleList, Sequential
from mmpretrain.models.utils import LayerScale, build_norm_layer

from mmvit_ext.registry import MODELS
from ..layers.attention import attend
from ..layers.padding import exportable_patch_embed, pad_to_tile, tiled_size
from ..layers.vitdet import refuse_vitdet
from ..utils import check_choice, check_positive_ints
from .base_vit import VisionTransformerBase


class ReAttention(BaseModule):
    """Multi-head self-attention with re-attention (DeepViT, Sec. 4).

    The softmaxed attention maps of the heads are mixed by a learnable
    H x H matrix Θ (a 1x1 conv with bias over the head axis), normalised by
    BatchNorm over the heads and optionally scaled, before they weigh the
    values. ``re_attention=False`` gives plain attention, by ``attn_impl``
    (see :func:`~mmvit_ext.models.layers.attend`); re-attention
    needs the maps, so it is always explicit.
    """
    attn_impl = 'auto'

    def __init__(self,
                 embed_dims,
                 num_heads,
                 qkv_bias=True,
                 attn_drop=0.,
                 proj_drop=0.,
                 re_attention=True,
                 transform_scale=False,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.re_attention = re_attention
        if re_attention:
            self.theta = nn.Conv2d(num_heads, num_heads, 1)  # Θ: head mixing
            self.theta_norm = nn.BatchNorm2d(num_heads)
            self.theta_scale = self.scale if transform_scale else 1.0
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        self.recorded = None  # a list while DeepViT.recording_attention

    def forward(self, x):
        B, N, C = x.shape
        # (B, N, 3C) -> 3 x (B, h, N, d)
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                      -1).permute(2, 0, 3, 1, 4)
        if self.re_attention or self.recorded is not None:
            # Re-attention mixes the maps themselves: they are explicit.
            attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
            attn = self.attn_drop(attn)  # (B, h, N, N)
            if self.re_attention:
                attn = self.theta_norm(self.theta(attn)) * self.theta_scale
            if self.recorded is not None:
                self.recorded.append(attn)
            x = attn @ v
        else:  # a plain block: by attn_impl
            x = attend(q, k, v, dropout_p=self.attn_drop.p
                       if self.training else 0., impl=self.attn_impl)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class DeepViTBlock(BaseModule):
    """A transformer block with (re-)attention.

    ``ln_order='pre'`` (the paper's): ``x + f(norm(x))`` for each branch;
    ``'residual'``: ``norm(x + f(x))``. ``scale_adjustment`` (``a``) is the
    official S/L models' ``x + f(norm(a·x)) / a``.
    """

    def __init__(self,
                 embed_dims,
                 num_heads,
                 feedforward_channels,
                 re_attention=True,
                 transform_scale=False,
                 scale_adjustment=1.,
                 ln_order='pre',
                 layer_scale_init_value=None,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 qkv_bias=True,
                 act_cfg=dict(type='GELU'),
                 norm_cfg=dict(type='LN', eps=1e-6),
                 init_cfg=None):
        super().__init__(init_cfg)
        check_choice('ln_order', ln_order, {'pre', 'residual'})
        self.ln_order = ln_order
        self.scale_adjustment = scale_adjustment
        self.ln1 = build_norm_layer(norm_cfg, embed_dims)
        self.attn = ReAttention(embed_dims, num_heads, qkv_bias,
                                attn_drop_rate, drop_rate, re_attention,
                                transform_scale)
        self.ln2 = build_norm_layer(norm_cfg, embed_dims)
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            ffn_drop=drop_rate,
            act_cfg=act_cfg,
            add_identity=False)
        scale = layer_scale_init_value
        self.gamma1 = LayerScale(embed_dims, scale) if scale else nn.Identity()
        self.gamma2 = LayerScale(embed_dims, scale) if scale else nn.Identity()
        # Always a DropPath module, so update_drop_path can raise it later.
        self.drop_path = build_dropout(
            dict(type='DropPath', drop_prob=drop_path_rate))

    def forward(self, x):
        a = self.scale_adjustment
        for norm, branch, gamma in ((self.ln1, self.attn, self.gamma1),
                                    (self.ln2, self.ffn, self.gamma2)):
            if self.ln_order == 'pre':
                x = x + self.drop_path(gamma(branch(norm(x * a)))) / a
            else:
                x = norm(x + self.drop_path(gamma(branch(x * a))) / a)
        return x


class LinearPatchEmbed(BaseModule):
    """Unfold non-overlapping patches and project them with a Linear. An
    input that ``patch_size`` does not divide is zero-padded at the bottom
    and right to the next multiple."""

    def __init__(self, in_channels, embed_dims, patch_size, init_cfg=None):
        super().__init__(init_cfg)
        self.patch_size = patch_size
        self.unfold = nn.Unfold(kernel_size=patch_size, stride=patch_size)
        self.projection = nn.Linear(in_channels * patch_size**2, embed_dims)

    def out_size(self, hw):
        """The token grid for an input of size ``hw``."""
        return tuple(tiled_size(s, self.patch_size, self.patch_size)
                     for s in hw)

    def forward(self, x):
        x = pad_to_tile(x, self.patch_size, self.patch_size)
        hw = self.out_size(x.shape[2:])
        # (B, C*p*p, h*w) -> (B, h*w, C)
        return self.projection(self.unfold(x).transpose(1, 2)), hw


class CNNPatchEmbed(BaseModule):
    """The official DeepViT-S/L stem: 7x7 stride-2 conv + BN + ReLU, 3x3
    conv + BN + ReLU (64 channels), then a ``patch_size / 2`` projection.
    A stem output that the projection does not divide is zero-padded at the
    bottom and right to the next multiple."""

    def __init__(self, in_channels, embed_dims, patch_size, stem_channels=64,
                 init_cfg=None):
        super().__init__(init_cfg)
        if patch_size % 2:
            raise ValueError(f'DeepViT patch_size {patch_size} is invalid for '
                             "patch_embed='cnn': it must be even (the stem "
                             'halves the input)')
        relu = build_activation_layer(dict(type='ReLU', inplace=True))
        self.stem = Sequential(
            nn.Conv2d(in_channels, stem_channels, 7, 2, 3, bias=False),
            nn.BatchNorm2d(stem_channels), relu,
            nn.Conv2d(stem_channels, stem_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(stem_channels), relu)
        self.proj_size = patch_size // 2
        self.projection = nn.Conv2d(
            stem_channels, embed_dims, self.proj_size, self.proj_size)

    def out_size(self, hw):
        """The token grid for an input of size ``hw``."""
        return tuple(
            tiled_size((s - 1) // 2 + 1, self.proj_size, self.proj_size)
            for s in hw)

    def forward(self, x):
        x = self.projection(
            pad_to_tile(self.stem(x), self.proj_size, self.proj_size))
        return x.flatten(2).transpose(1, 2), tuple(x.shape[2:])


@MODELS.register_module()
class DeepViT(VisionTransformerBase):
    """DeepViT backbone.

    A PyTorch implementation of `DeepViT: Towards Deeper Vision Transformer
    <https://arxiv.org/abs/2103.11886>`_, weight-compatible with the official
    zhoudaquan/dvit_repo checkpoints through
    :func:`mmvit_ext.converters.convert_deepvit`.

    The differences between DeepViT and ``VisionTransformer``:

    1. Re-attention in all blocks or the last ``N``: the attention maps are
       mixed across heads by a learnable Θ, then BatchNorm-ed.
    2. The official S/L models use a CNN stem and ``scale_adjustment`` 0.5.

    The differences between this DeepViT and the official one: any input
    size (the official code asserts ``img_size``), every ``out_type`` and
    ``out_indices``, and the options below.

    Args:
        arch (str | dict): ``'16b'``, ``'24b'``, ``'32b'``, ``'s'``, ``'l'``,
            or a dict with ``embed_dims``, ``num_layers``, ``num_heads`` and
            ``feedforward_channels`` or ``mlp_ratio``. A dict (and the zoo
            entries) may also set ``re_attention``, ``patch_embed``,
            ``scale_adjustment`` and ``transform_scale``; the arguments of
            the same names override them. Defaults to ``'16b'``.
        img_size (int | tuple): The size the position embedding is built
            for. Every stem zero-pads an input it does not tile at the
            bottom and right (the conv and linear stems to a multiple of
            ``patch_size``, the CNN stem before its projection), and the
            grid is the one the stem makes at this size. Defaults to 224.
        patch_size (int): Defaults to 16.
        in_channels (int): Defaults to 3.
        re_attention (bool | int | Sequence[bool], optional): Re-attention in
            every block (True), none (False, a plain ViT), the last ``N``
            blocks (an int) or per block. Defaults to the arch's.
        patch_embed (str, optional): ``'conv'`` (a ``patch_size`` conv),
            ``'linear'`` (unfold + Linear) or ``'cnn'`` (the S/L stem).
            Defaults to the arch's.
        scale_adjustment (float, optional): Branch inputs are scaled by it
            and outputs divided by it. Defaults to the arch's.
        transform_scale (bool, optional): Scale re-attention maps by
            ``head_dim ** -0.5`` after their norm. Defaults to the arch's.
        ln_order (str): ``'pre'`` or ``'residual'`` (post-norm).
            Defaults to ``'pre'``.
        layer_scale_init_value (float, optional): LayerScale on both
            branches with this initial value; None for none.
            Defaults to None.

    The other arguments (``out_indices``, ``out_type``, ``with_cls_token``,
    ``with_dist_token``, ``drop_rate``, ``attn_drop_rate``, ``drop_path_rate``,
    ``qkv_bias``, ``norm_cfg``, ``act_cfg``, ``final_norm``, ``frozen_stages``,
    ``interpolate_mode``, ``with_cp``, ``attn_impl``, ``init_cfg``) are as for
    :class:`DeiT3`. ViTDet's options of :class:`DeiT3`, ``window_size`` and
    ``use_rel_pos``, must stay 0 and False here, since its re-attention mixes
    every head's full attention map and its blocks carry the class token.
    """
    _deepvit_b = dict(
        embed_dims=384, num_heads=12, mlp_ratio=3, re_attention=True,
        patch_embed='conv', scale_adjustment=1., transform_scale=False)
    arch_zoo = {
        '16b': dict(_deepvit_b, num_layers=16),
        '24b': dict(_deepvit_b, num_layers=24),
        '32b': dict(_deepvit_b, num_layers=32),
        **dict.fromkeys(['s', 'small'], dict(
            embed_dims=396, num_layers=16, num_heads=12, mlp_ratio=3,
            re_attention=5, patch_embed='cnn', scale_adjustment=0.5,
            transform_scale=True)),
        **dict.fromkeys(['l', 'large'], dict(
            embed_dims=420, num_layers=32, num_heads=12, mlp_ratio=3,
            re_attention=12, patch_embed='cnn', scale_adjustment=0.5,
            transform_scale=False)),
    }
    essential_keys = {'embed_dims', 'num_layers', 'num_heads'}
    pos_embed_with_extra_tokens = True
    PATCH_EMBEDS = {'conv', 'linear', 'cnn'}

    def __init__(self,
                 arch='16b',
                 img_size=224,
                 patch_size=16,
                 in_channels=3,
                 out_indices=-1,
                 out_type='cls_token',
                 re_attention=None,
                 patch_embed=None,
                 scale_adjustment=None,
                 transform_scale=None,
                 ln_order='pre',
                 layer_scale_init_value=None,
                 with_cls_token=True,
                 with_dist_token=False,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 qkv_bias=True,
                 norm_cfg=dict(type='LN', eps=1e-6),
                 act_cfg=dict(type='GELU'),
                 final_norm=True,
                 frozen_stages=-1,
                 interpolate_mode='bicubic',
                 with_cp=False,
                 attn_impl='auto',
                 window_size=0,
                 use_rel_pos=False,
                 init_cfg=None):
        super().__init__(init_cfg)
        refuse_vitdet(
            type(self).__name__,
            "its re-attention mixes every head's full attention map and its "
            'blocks carry the class token',
            window_size=window_size, use_rel_pos=use_rel_pos)
        arch = self._init_arch(
            arch, in_channels, img_size, with_cp=with_cp,
            overrides=dict(re_attention=re_attention, patch_embed=patch_embed,
                           scale_adjustment=scale_adjustment,
                           transform_scale=transform_scale))
        ffn_channels = self._feedforward_channels()
        check_positive_ints('DeepViT patch_size', patch_size)
        self.re_attention = self._re_attention_per_block(
            arch.get('re_attention', True))

        embed = arch.get('patch_embed', 'conv')
        check_choice('DeepViT patch_embed', embed, self.PATCH_EMBEDS)
        if embed == 'conv':
            self.patch_embed = exportable_patch_embed(PatchEmbed(
                in_channels=in_channels, input_size=self.img_size,
                embed_dims=self.embed_dims, conv_type='Conv2d',
                kernel_size=patch_size, stride=patch_size))
        elif embed == 'linear':
            self.patch_embed = LinearPatchEmbed(in_channels, self.embed_dims,
                                                patch_size)
        else:
            self.patch_embed = CNNPatchEmbed(in_channels, self.embed_dims,
                                             patch_size)
        self.patch_stride = patch_size
        # The grid the stem makes at img_size, padding included.
        grid = self.patch_embed.init_out_size if embed == 'conv' else \
            self.patch_embed.out_size(self.img_size)
        self._init_tokens(grid, with_cls_token, with_dist_token, out_type,
                          interpolate_mode, drop_rate)

        dpr = self.drop_path_rates(drop_path_rate, self.num_layers)
        self.layers = ModuleList([
            DeepViTBlock(
                embed_dims=self.embed_dims,
                num_heads=arch['num_heads'],
                feedforward_channels=ffn_channels,
                re_attention=self.re_attention[i],
                transform_scale=arch.get('transform_scale', False),
                scale_adjustment=arch.get('scale_adjustment', 1.),
                ln_order=ln_order,
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i],
                qkv_bias=qkv_bias,
                act_cfg=act_cfg,
                norm_cfg=norm_cfg) for i in range(self.num_layers)
        ])
        self._init_outputs(out_indices, final_norm, norm_cfg, frozen_stages)
        self._set_attn_impl(attn_impl)

    def _re_attention_per_block(self, spec):
        """``re_attention`` as one bool per block."""
        n = self.num_layers
        if isinstance(spec, bool):
            return [spec] * n
        if isinstance(spec, int):
            if not 0 <= spec <= n:
                raise ValueError(f're_attention {spec} (the last N blocks) is '
                                 f'out of range 0..{n}')
            return [False] * (n - spec) + [True] * spec
        spec = [bool(s) for s in spec]
        if len(spec) != n:
            raise ValueError(f're_attention has {len(spec)} entries but '
                             f'there are {n} blocks')
        return spec

    @contextlib.contextmanager
    def recording_attention(self, num_blocks):
        """Collect the attention maps (B, heads, N, N) that weigh the values
        in the first ``num_blocks`` blocks, in block order, while the context
        is open; the maps keep their gradients. DeepViT-32B's regulariser
        (:class:`~mmvit_ext.models.AttentionCosineLoss`) reads them."""
        if not 1 <= num_blocks <= self.num_layers:
            raise ValueError(f'cannot record {num_blocks} blocks of a '
                             f'{self.num_layers}-block DeepViT')
        maps = []
        attns = [layer.attn for layer in self.layers[:num_blocks]]
        for attn in attns:
            attn.recorded = maps
        try:
            yield maps
        finally:
            for attn in attns:
                attn.recorded = None

    def update_drop_path(self, k):
        """Raise each block's drop-path probability linearly with depth:
        ``p_i += i * k / (L - 1)`` for block ``i`` of ``L``."""
        last = max(self.num_layers - 1, 1)
        for i, layer in enumerate(self.layers):
            layer.drop_path.drop_prob += i * k / last
