import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import build_norm_layer

from mmvit_ext.registry import MODELS
from ..layers import TransformerEncoderLayer
from ..layers.checkpointing import run_block
from ..layers.exporting import is_exporting
from ..layers.padding import pad_to_tile, tiled_size
from ..layers.pos_embed import resize_grid
from ..utils import (check_choice, check_heads, check_positive_ints,
                     check_stem, normalize_indices, resolve_arch, to_hw)
from .base_vit import TokenBackboneMixin, VisionTransformerBase


class PiTPooling(BaseModule):
    """Pooling between PiT stages.

    Patch tokens: a depthwise-grouped ``(stride+1)x(stride+1)`` conv with
    stride ``stride`` that multiplies the channels. Class tokens: a Linear.
    """

    def __init__(self, in_channels, out_channels, stride=2, init_cfg=None):
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=stride + 1,
            stride=stride,
            padding=stride // 2,
            groups=in_channels)
        self.fc = nn.Linear(in_channels, out_channels)

    def forward(self, x, tokens):
        # x: (B, C, H, W) -> (B, C', H/s, W/s); tokens: (B, T, C) -> (B, T, C')
        return self.conv(x), self.fc(tokens)


class PiTStage(BaseModule):
    """An optional pooling, then transformer blocks over [tokens; patches]."""

    def __init__(self, blocks, pool=None, init_cfg=None):
        super().__init__(init_cfg)
        self.pool = pool
        self.blocks = blocks

    def forward(self, x, tokens, with_cp=False):
        if self.pool is not None:
            x, tokens = self.pool(x, tokens)
        B, C, H, W = x.shape
        num_tokens = tokens.shape[1]
        seq = torch.cat([tokens, x.flatten(2).transpose(1, 2)], dim=1)
        for block in self.blocks:
            seq = run_block(block, seq, with_cp=with_cp)
        tokens, patches = seq[:, :num_tokens], seq[:, num_tokens:]
        return patches.transpose(1, 2).reshape(B, C, H, W), tokens


@MODELS.register_module()
class PiT(TokenBackboneMixin, BaseBackbone):
    """Pooling-based Vision Transformer.

    A PyTorch implementation of `Rethinking Spatial Dimensions of Vision
    Transformers <https://arxiv.org/abs/2103.16302>`_, weight-compatible with
    naver-ai/pit and timm's ``pit_*`` models through
    :func:`mmvit_ext.converters.convert_pit`.

    A conv stem (kernel ``patch_size``, stride ``stride``) makes a grid of
    patch tokens; three stages of transformer blocks follow, and between them
    a pooling layer halves the grid and doubles the channels. The stages
    therefore form a real pyramid: for the default stem (stride 8) the
    strides are 8, 16 and 32.

    The differences between this PiT and timm's:

    1. Any input size, square or not: the 4-D position embedding is
       interpolated at run time, and a checkpoint made for another
       ``img_size`` is resized on load. An input the stem does not tile
       (``(size - patch_size) % stride != 0``, or smaller than the patch) is
       zero-padded at the bottom and right up to the next size it does;
       timm and the official code drop the uncovered pixels instead. At 224
       px and every ImageNet config nothing is padded.
    2. ``out_indices`` selects stages, and ``out_type`` gives per-stage
       ``featmap`` pyramids for dense prediction.

    Args:
        arch (str | dict): ``'ti'``, ``'xs'``, ``'s'``, ``'b'`` (or their long
            names), or a dict with ``embed_dims`` (or ``base_dims``, the
            per-head width), ``depths`` and ``num_heads``, each one value per
            stage, and optionally ``patch_size``, ``stride`` and
            ``mlp_ratio``. Defaults to ``'s'``.
        img_size (int | tuple): The size the position embedding is built
            for. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to output (0, 1, 2),
            negatives allowed. Defaults to -1.
        out_type (str): ``'raw'`` (B, L, C) with the tokens first,
            ``'cls_token'`` (B, C) or a ``(cls, dist)`` pair,
            ``'featmap'`` (B, C, H, W) or ``'avg_featmap'`` (B, C).
            Defaults to ``'cls_token'``.
        with_dist_token (bool): Add a distillation token, as the
            ``pit_*_distilled`` models. ``distilled`` is an alias.
            Defaults to False.
        drop_rate (float): Dropout after the position embedding and in the
            blocks. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Maximum stochastic depth, reached linearly at
            the last block. Defaults to 0.
        norm_cfg (dict): Norm config of the blocks and the final norm.
            Defaults to ``dict(type='LN', eps=1e-6)``.
        act_cfg (dict): FFN activation. Defaults to ``dict(type='GELU')``.
        final_norm (bool): Normalise the last stage's tokens.
            Defaults to True.
        frozen_stages (int): -1 freezes nothing, 0 the stem and tokens, ``k``
            also the first ``k`` stages. Defaults to -1.
        interpolate_mode (str): How the position embedding is resized.
            Defaults to ``'bicubic'``.
        with_cp (bool): Activation checkpointing: each block's activations
            are recomputed in the backward instead of kept, trading compute
            for memory. Gradients are unchanged. Defaults to False.
        attn_impl (str): How the blocks attend: ``'sdpa'`` (PyTorch's fused
            kernel), ``'math'`` (two matmuls and a softmax) or ``'auto'``,
            which picks per call, so per stage, from the device, dtype and
            sequence length (see :func:`~mmvit_ext.models.layers.attend`).
            The same numbers and keys. Defaults to ``'auto'``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """
    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'], {
            'embed_dims': (64, 128, 256),
            'depths': (2, 6, 4),
            'num_heads': (2, 4, 8),
        }),
        **dict.fromkeys(['xs', 'xsmall'], {
            'embed_dims': (96, 192, 384),
            'depths': (2, 6, 4),
            'num_heads': (2, 4, 8),
        }),
        **dict.fromkeys(['s', 'small'], {
            'embed_dims': (144, 288, 576),
            'depths': (2, 6, 4),
            'num_heads': (3, 6, 12),
        }),
        **dict.fromkeys(['b', 'base'], {
            'embed_dims': (256, 512, 1024),
            'depths': (3, 6, 4),
            'num_heads': (4, 8, 16),
            'patch_size': 14,
            'stride': 7,
        }),
    }
    essential_keys = {'depths', 'num_heads'}
    OUT_TYPES = VisionTransformerBase.OUT_TYPES

    def __init__(self,
                 arch='s',
                 img_size=224,
                 in_channels=3,
                 out_indices=-1,
                 out_type='cls_token',
                 with_dist_token=False,
                 distilled=None,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 norm_cfg=dict(type='LN', eps=1e-6),
                 act_cfg=dict(type='GELU'),
                 final_norm=True,
                 frozen_stages=-1,
                 interpolate_mode='bicubic',
                 with_cp=False,
                 attn_impl='auto',
                 init_cfg=None):
        super().__init__(init_cfg)
        self.with_cp = with_cp
        arch = resolve_arch(arch, self.arch_zoo, self.essential_keys, 'PiT')
        num_heads = tuple(arch['num_heads'])
        if 'embed_dims' in arch:
            embed_dims = tuple(arch['embed_dims'])
        elif 'base_dims' in arch:
            embed_dims = tuple(b * h for b, h in zip(arch['base_dims'],
                                                     num_heads))
        else:
            raise ValueError('PiT custom arch needs embed_dims or base_dims')
        depths = tuple(arch['depths'])
        if not len(embed_dims) == len(depths) == len(num_heads):
            raise ValueError(
                'PiT arch needs one value per stage in embed_dims, depths and '
                f'num_heads, got {embed_dims}, {depths} and {num_heads}')
        for i, (dims, heads) in enumerate(zip(embed_dims, num_heads)):
            check_heads(f'PiT stage {i}', dims, heads)
        self.embed_dims, self.depths, self.num_heads = \
            embed_dims, depths, num_heads
        self.num_stages = len(depths)
        self.patch_size = arch.get('patch_size', 16)
        self.stride = arch.get('stride', 8)
        mlp_ratio = arch.get('mlp_ratio', 4)
        check_stem('PiT', in_channels, img_size)
        check_positive_ints('PiT patch_size', self.patch_size)
        check_positive_ints('PiT stride', self.stride)

        check_choice('PiT out_type', out_type, self.OUT_TYPES)
        if distilled is not None:
            with_dist_token = distilled
        self.out_type = out_type
        self.with_dist_token = with_dist_token
        self.num_extra_tokens = 1 + int(with_dist_token)
        self.interpolate_mode = interpolate_mode
        self.img_size = to_hw(img_size)
        self.in_channels = in_channels

        # Stem and position embedding (1, C, H, W) at ``img_size``.
        self.patch_embed = nn.Conv2d(
            in_channels,
            embed_dims[0],
            kernel_size=self.patch_size,
            stride=self.stride)
        self.patch_resolution = tuple(
            tiled_size(s, self.patch_size, self.stride) for s in self.img_size)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, embed_dims[0], *self.patch_resolution))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims[0]))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, embed_dims[0])) \
            if with_dist_token else None
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        self._register_load_hooks()

        dpr = VisionTransformerBase.drop_path_rates(drop_path_rate,
                                                    sum(depths))
        self.stages = ModuleList()
        for i, (dims, depth, heads) in enumerate(
                zip(embed_dims, depths, num_heads)):
            pool = PiTPooling(embed_dims[i - 1], dims) if i > 0 else None
            blocks = ModuleList([
                TransformerEncoderLayer(
                    embed_dims=dims,
                    num_heads=heads,
                    feedforward_channels=int(dims * mlp_ratio),
                    drop_rate=drop_rate,
                    attn_drop_rate=attn_drop_rate,
                    drop_path_rate=dpr[sum(depths[:i]) + j],
                    qkv_bias=True,
                    act_cfg=act_cfg,
                    norm_cfg=norm_cfg) for j in range(depth)
            ])
            self.stages.append(PiTStage(blocks, pool))

        self.out_indices = normalize_indices(out_indices, self.num_stages)
        self.final_norm = final_norm
        if final_norm:
            self.ln1 = build_norm_layer(norm_cfg, embed_dims[-1])
        if out_type == 'avg_featmap':
            self.avg_norms = nn.ModuleDict({
                str(i): build_norm_layer(norm_cfg, embed_dims[i])
                for i in self.out_indices
            })
        #: Channels and stride of every stage, for necks.
        self.out_channels = list(embed_dims)
        self.out_strides = [self.stride * 2**i for i in range(self.num_stages)]
        self.feature_info = [
            dict(num_chs=embed_dims[i], reduction=self.out_strides[i],
                 module=f'stages.{i}') for i in self.out_indices
        ]
        self._set_frozen_stages(frozen_stages, self.num_stages)
        self._set_attn_impl(attn_impl)

    @property
    def num_layers(self):
        return sum(self.depths)

    def _resize_pos_embed(self, pos_embed, hw):
        if not is_exporting() and tuple(pos_embed.shape[-2:]) == tuple(hw):
            return pos_embed
        return resize_grid(pos_embed, hw, self.interpolate_mode)

    def forward(self, x):
        x = self.patch_embed(pad_to_tile(x, self.patch_size, self.stride))
        x = self.drop_after_pos(
            x + self._resize_pos_embed(self.pos_embed, x.shape[-2:]))
        tokens = [self.cls_token, self.dist_token][:self.num_extra_tokens]
        tokens = torch.cat(tokens, dim=1).expand(x.shape[0], -1, -1)
        outs = []
        for i, stage in enumerate(self.stages):
            x, tokens = stage(x, tokens, with_cp=self.with_cp)
            if i in self.out_indices:
                outs.append(self._format_output(i, x, tokens))
        return tuple(outs)

    def _format_output(self, i, x, tokens):
        if i == self.num_stages - 1 and self.final_norm:
            # LayerNorm is per token: normalising [tokens; patches] at once
            # equals normalising each.
            tokens, patches = self.ln1(tokens), self.ln1(
                x.flatten(2).transpose(1, 2))
            x = patches.transpose(1, 2).reshape_as(x)
        if self.out_type == 'cls_token':
            return (tokens[:, 0], tokens[:, 1]) if self.with_dist_token \
                else tokens[:, 0]
        if self.out_type == 'featmap':
            # contiguous NCHW: mmcv's RoIAlign reads its input's memory as
            # NCHW whatever its strides
            return x.contiguous()
        patches = x.flatten(2).transpose(1, 2)
        if self.out_type == 'raw':
            return torch.cat([tokens, patches], dim=1)
        return self.avg_norms[str(i)](patches.mean(dim=1))  # avg_featmap

    def _fit_pos_embed(self, pos_embed, name):
        """A (1, C, h, w) embedding of the same width, resized."""
        if pos_embed.ndim != 4 or \
                pos_embed.shape[:2] != self.pos_embed.shape[:2]:
            raise ValueError(f'Cannot resize {name} of shape '
                             f'{tuple(pos_embed.shape)} to '
                             f'{tuple(self.pos_embed.shape)}')
        return self._resize_pos_embed(pos_embed, self.patch_resolution)

    # ----------------------------------------------------------- freezing
    def _frozen_modules(self):
        if self.frozen_stages < 0:
            return []
        modules = [self.patch_embed, self.drop_after_pos]
        modules += list(self.stages[:self.frozen_stages])
        if self.frozen_stages == self.num_stages:
            modules += [m for n, m in self.named_children()
                        if n in ('ln1', 'avg_norms')]
        return modules

    def _block_depth(self, name):
        """Blocks count 1..sum(depths) across stages; a pooling layer takes
        the depth of the block after it."""
        if not name.startswith('stages.'):
            return None
        parts = name.split('.')
        stage = int(parts[1])
        block = int(parts[3]) if parts[2] == 'blocks' else 0
        return sum(self.depths[:stage]) + block + 1
