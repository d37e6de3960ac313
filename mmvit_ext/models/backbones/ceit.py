import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule, ModuleList
from mmpretrain.models.utils import MultiheadAttention, build_norm_layer

from mmvit_ext.registry import MODELS
from ..layers.attention import UnbindQKVAttention
from ..layers.checkpointing import run_block
from ..layers.exporting import is_exporting
from ..layers.padding import pad_to_tile, tiled_size
from ..layers.vitdet import refuse_vitdet
from ..utils import check_positive_ints
from .base_vit import VisionTransformerBase


class Image2Tokens(BaseModule):
    """CeiT's I2T stem: conv + BN + max-pool, then a patch projection.

    With the defaults (7x7 stride-2 conv, 3x3 stride-2 max-pool, 4x4
    projection) the total stride is 16. There is no activation between the
    BatchNorm and the pooling, as in the official code. A pooled map that
    the projection does not divide is zero-padded at the bottom and right to
    the next multiple.
    """

    def __init__(self,
                 in_channels,
                 embed_dims,
                 stem_channels=64,
                 stem_kernel_size=7,
                 stem_stride=2,
                 patch_size=4,
                 init_cfg=None):
        super().__init__(init_cfg)
        for name, value in (('stem_channels', stem_channels),
                            ('stem_kernel_size', stem_kernel_size),
                            ('stem_stride', stem_stride),
                            ('patch_size', patch_size)):
            check_positive_ints(f'CeiT stem_cfg {name}', value)
        self.conv = nn.Conv2d(
            in_channels,
            stem_channels,
            stem_kernel_size,
            stem_stride,
            padding=stem_kernel_size // 2,
            bias=False)
        self.bn = nn.BatchNorm2d(stem_channels)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.patch_size = patch_size
        self.projection = nn.Conv2d(stem_channels, embed_dims, patch_size,
                                    patch_size)
        self.stride = stem_stride * 2 * patch_size

    def out_size(self, hw):
        """The token grid for an input of size ``hw``."""
        k, st, p = (self.conv.kernel_size[0], self.conv.stride[0],
                    self.conv.padding[0])
        pooled = (((s + 2 * p - k) // st + 1 - 1) // 2 + 1 for s in hw)
        return tuple(tiled_size(s, self.patch_size, self.patch_size)
                     for s in pooled)

    def forward(self, x):
        if x.device.type == 'cpu' and not is_exporting():
            # On a CPU the stem runs channels-last: PyTorch's max-pool of
            # an NCHW map is an order of magnitude slower (CeiT-S, batch
            # 16, bf16 inference on 2 cores: 73 ms of a 550 ms step, 7 ms
            # channels-last; docs/benchmarks.md), and the 7x7 conv gains
            # too, in fp32 and bf16 alike. The same numbers, and the
            # tokens come out contiguous.
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.maxpool(self.bn(self.conv(x)))
        x = self.projection(pad_to_tile(x, self.patch_size, self.patch_size))
        return x.flatten(2).transpose(1, 2), tuple(x.shape[2:])


class LeFF(BaseModule):
    """Locally-enhanced feed-forward.

    Patch tokens go back to their grid and through a 1x1 conv expansion,
    a depthwise kxk conv and a 1x1 conv (each with BN when ``with_bn``; GELU
    after the first two). The class (and distillation) tokens bypass it:
    they come out unchanged, so the block's residual adds each its own
    normalised value (``cls + ln2(cls)``), exactly as the official code.
    """

    def __init__(self,
                 embed_dims,
                 feedforward_channels,
                 kernel_size=3,
                 with_bn=True,
                 num_extra_tokens=1,
                 act_cfg=dict(type='GELU'),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.num_extra_tokens = num_extra_tokens
        self.conv1 = nn.Conv2d(embed_dims, feedforward_channels, 1)
        self.conv2 = nn.Conv2d(
            feedforward_channels,
            feedforward_channels,
            kernel_size,
            padding=(kernel_size - 1) // 2,
            groups=feedforward_channels)
        self.conv3 = nn.Conv2d(feedforward_channels, embed_dims, 1)
        norm = nn.BatchNorm2d if with_bn else (lambda _: nn.Identity())
        self.bn1 = norm(feedforward_channels)
        self.bn2 = norm(feedforward_channels)
        self.bn3 = norm(embed_dims)
        self.act = build_activation_layer(act_cfg)

    def forward(self, x, hw):
        tokens, patches = x.split(
            [self.num_extra_tokens, x.shape[1] - self.num_extra_tokens], 1)
        # (B, h*w, C) -> (B, C, h, w)
        patches = patches.transpose(1, 2).unflatten(2, hw)
        patches = self.act(self.bn1(self.conv1(patches)))
        patches = self.act(self.bn2(self.conv2(patches)))
        patches = self.bn3(self.conv3(patches))
        return torch.cat([tokens, patches.flatten(2).transpose(1, 2)], dim=1)


class CeiTBlock(BaseModule):
    """Pre-norm attention, then a pre-norm LeFF."""

    def __init__(self,
                 embed_dims,
                 num_heads,
                 feedforward_channels,
                 num_extra_tokens=1,
                 leff_kernel_size=3,
                 leff_with_bn=True,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 qkv_bias=True,
                 act_cfg=dict(type='GELU'),
                 norm_cfg=dict(type='LN', eps=1e-6),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.ln1 = build_norm_layer(norm_cfg, embed_dims)
        self.attn = MultiheadAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=dict(type='DropPath', drop_prob=drop_path_rate),
            qkv_bias=qkv_bias)
        self.ln2 = build_norm_layer(norm_cfg, embed_dims)
        self.leff = LeFF(embed_dims, feedforward_channels, leff_kernel_size,
                         leff_with_bn, num_extra_tokens, act_cfg)
        # The same keys and values; its forward attends by attn_impl.
        self.attn.__class__ = UnbindQKVAttention
        self.drop_path = self.attn.out_drop  # the same DropPath

    def forward(self, x, hw):
        x = x + self.attn(self.ln1(x))
        return x + self.drop_path(self.leff(self.ln2(x), hw))


@MODELS.register_module()
class CeiT(VisionTransformerBase):
    """CeiT backbone.

    A PyTorch implementation of `Incorporating Convolution Designs into
    Visual Transformers <https://arxiv.org/abs/2103.11816>`_,
    weight-compatible with the official coeusguo/ceit checkpoints through
    :func:`mmvit_ext.converters.convert_ceit`.

    The differences between CeiT and ``VisionTransformer``:

    1. An Image-to-Tokens (I2T) stem: conv + BN + max-pool before a 4x4
       patch projection.
    2. Locally-enhanced feed-forward (LeFF) blocks: the patch tokens of the
       FFN pass through a depthwise conv on their grid (see ``LeFF``
       for what happens to the class token).
    3. Layer-wise class-token attention (LCA) is a head,
       :class:`~mmvit_ext.models.LCAClsHead`, not part of the backbone: use
       ``out_type='cls_token'``, ``out_indices`` over all blocks and
       ``final_norm=False`` to feed it, as the official model does.

    The differences between this CeiT and the official one: the LeFF grid
    comes from the stem's output size (the official code uses
    ``sqrt(N - 1)``), so non-square inputs work, and the position embedding
    is resized for other input sizes.

    Args:
        arch (str | dict): ``'t'``, ``'s'``, ``'b'`` (or their long names),
            or a dict with ``embed_dims``, ``num_layers``, ``num_heads`` and
            ``feedforward_channels`` or ``mlp_ratio``. Defaults to ``'t'``.
        img_size (int | tuple): The size the position embedding is built
            for; the grid is the one the stem makes at this size, padding
            included (see ``Image2Tokens``). Defaults to 224.
        in_channels (int): Defaults to 3.
        stem_cfg (dict): Overrides for ``Image2Tokens``
            (``stem_channels``, ``stem_kernel_size``, ``stem_stride``,
            ``patch_size``). Defaults to ``dict()``.
        leff_kernel_size (int): The depthwise kernel of LeFF. Defaults to 3.
        leff_with_bn (bool): BatchNorm in LeFF. Defaults to True.

    The other arguments (``out_indices``, ``out_type``, ``with_cls_token``,
    ``with_dist_token``, ``drop_rate``, ``attn_drop_rate``, ``drop_path_rate``,
    ``qkv_bias``, ``norm_cfg``, ``act_cfg``, ``final_norm``, ``frozen_stages``,
    ``interpolate_mode``, ``with_cp``, ``attn_impl``, ``init_cfg``) are as for
    :class:`DeiT3`. ViTDet's options of :class:`DeiT3`, ``window_size`` and
    ``use_rel_pos``, must stay 0 and False here, since its LeFF blocks and LCA
    head are built around the class token, which ViTDet's blocks drop.
    """
    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'], dict(
            embed_dims=192, num_layers=12, num_heads=3, mlp_ratio=4)),
        **dict.fromkeys(['s', 'small'], dict(
            embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4)),
        **dict.fromkeys(['b', 'base'], dict(
            embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4)),
    }
    essential_keys = {'embed_dims', 'num_layers', 'num_heads'}
    pos_embed_with_extra_tokens = True

    def __init__(self,
                 arch='t',
                 img_size=224,
                 in_channels=3,
                 out_indices=-1,
                 out_type='cls_token',
                 stem_cfg=dict(),
                 leff_kernel_size=3,
                 leff_with_bn=True,
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
            "its LeFF blocks and LCA head are built around the class token, "
            "which ViTDet's blocks drop",
            window_size=window_size, use_rel_pos=use_rel_pos)
        arch = self._init_arch(arch, in_channels, img_size, with_cp=with_cp)
        ffn_channels = self._feedforward_channels(default_ratio=4)

        self.patch_embed = Image2Tokens(in_channels, self.embed_dims,
                                        **stem_cfg)
        self.patch_stride = self.patch_embed.stride
        self._init_tokens(
            self.patch_embed.out_size(self.img_size), with_cls_token,
            with_dist_token, out_type, interpolate_mode, drop_rate)

        dpr = self.drop_path_rates(drop_path_rate, self.num_layers)
        self.layers = ModuleList([
            CeiTBlock(
                embed_dims=self.embed_dims,
                num_heads=arch['num_heads'],
                feedforward_channels=ffn_channels,
                num_extra_tokens=self.num_extra_tokens,
                leff_kernel_size=leff_kernel_size,
                leff_with_bn=leff_with_bn,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i],
                qkv_bias=qkv_bias,
                act_cfg=act_cfg,
                norm_cfg=norm_cfg) for i in range(self.num_layers)
        ])
        self._init_outputs(out_indices, final_norm, norm_cfg, frozen_stages)
        self._set_attn_impl(attn_impl)

    def forward_layer(self, layer, x, hw):
        return run_block(layer, x, hw, with_cp=self.with_cp)
