"""The contract shared by the plain (single-scale) token ViTs of mmvit_ext.

DeiT3, DeepViT and CeiT differ in their stem and their blocks; everything
around them (extra tokens, position embedding, ``out_type``/``out_indices``,
freezing, layer-wise depth) is the same and lives here. The pieces around
the contract live beside the blocks: argument checks in ``models/utils``,
padding, checkpointing and ViTDet in ``models/layers``.

Why not subclass ``mmpretrain.models.VisionTransformer``? Its constructor
always builds its own patch embedding, layers and a position embedding that
covers exactly one class token, so each subclass would build and throw away a
whole model. It also writes into ``out_indices`` (a tuple with a negative index
raises ``TypeError``), accepts ``out_indices == num_layers``, and un-freezes
frozen stages on ``model.train()``.
"""
import math
from typing import Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import build_norm_layer, resize_pos_embed

from mmvit_ext.engine.checkpoint.loading import load_pretrained
from ..layers.attention import ATTN_IMPLS, set_attn_impl
from ..layers.checkpointing import run_block
from ..layers.pos_embed import interpolate_pos_embed
from ..utils import (check_choice, check_heads, check_stem, normalize_indices,
                     resolve_arch, to_hw)
from ..utils.checkpoint_adapt import CheckpointAdaptMixin

# What moved out to ``models/layers`` and ``models/utils`` still imports from
# here, as it did.
from ..layers import (ExportablePadding, ScaledMaskDropPath,  # noqa: F401
                      TransformerEncoderLayer, UnbindQKVAttention,
                      WindowedEncoderLayer, exportable_patch_embed,
                      is_exporting, pad_to_tile, refuse_vitdet, resize_grid,
                      resize_rel_pos, tile_padding, tiled_size)
from ..utils import check_positive_ints  # noqa: F401


class TokenBackboneMixin(CheckpointAdaptMixin):
    """Stem parameters, init, ``frozen_stages`` and layer depth of a
    backbone with a position embedding and class (and distillation) tokens;
    its checkpoint fitting is :class:`CheckpointAdaptMixin`'s.

    The backbone has ``pos_embed``, ``cls_token`` and ``dist_token`` (each
    may be None) and lists in ``_frozen_modules()`` the modules frozen for
    its ``frozen_stages`` (empty for -1).
    """

    def _stem_params(self):
        """The position embedding and the tokens."""
        return [p for p in (self.pos_embed, self.cls_token, self.dist_token)
                if p is not None]

    def init_weights(self):
        """Random init, then any ``Pretrained`` entry of ``init_cfg`` (a dict
        or a list), loaded strictly: official and timm checkpoints are
        converted, a URL is downloaded once, and a checkpoint that leaves
        weights unloaded is an error naming them."""
        if self.is_init:
            return super().init_weights()  # mmengine warns and does nothing
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else \
            [self.init_cfg] if self.init_cfg else []
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        self.init_cfg = [c for c in cfgs if c not in pretrained] or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = cfgs or None
        for param in self._stem_params():
            trunc_normal_(param, std=0.02)
        for cfg in pretrained:
            load_pretrained(self, cfg['checkpoint'], prefix=cfg.get('prefix'),
                            map_location=cfg.get('map_location', 'cpu'))

    def _set_attn_impl(self, attn_impl):
        """Check ``attn_impl`` and set it on every attention module (after
        the blocks are built): ``'auto'``, ``'sdpa'`` or ``'math'``, the
        same numbers and keys (see
        :func:`~mmvit_ext.models.layers.attend`)."""
        check_choice(f'{type(self).__name__} attn_impl', attn_impl,
                     ATTN_IMPLS)
        self.attn_impl = attn_impl
        set_attn_impl(self, attn_impl)

    def _set_frozen_stages(self, frozen_stages, num_stages):
        """Check ``frozen_stages`` against ``num_stages`` and freeze."""
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'frozen_stages {frozen_stages} is out of range '
                             f'-1..{num_stages}')
        self.frozen_stages = frozen_stages
        self._freeze_stages()

    def _block_depth(self, name):
        """The 1-based depth of a block parameter, or None if ``name`` is
        not in a block."""
        raise NotImplementedError

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """Get the layer-wise depth of a parameter (for layer-wise lr decay).

        Args:
            param_name (str): The name of the parameter.
            prefix (str): The prefix for the parameter.
                Defaults to an empty string.

        Returns:
            Tuple[int, int]: The layer-wise depth and the number of layers.
            The stem (patch embedding, tokens, position embedding) is depth
            0, the blocks count from 1 (see ``_block_depth``) and everything
            after them (final norms, the head) is ``num_layers + 1``.
        """
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name in ('cls_token', 'dist_token', 'pos_embed') or \
                name.startswith('patch_embed'):
            return 0, num_layers
        depth = self._block_depth(name)
        return (num_layers - 1 if depth is None else depth), num_layers

    def _freeze_stages(self):
        """Stop gradients and set eval mode for everything frozen."""
        if self.frozen_stages < 0:
            return
        for param in self._stem_params():
            param.requires_grad = False
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        """Keep frozen modules (their dropout and norms) in eval mode."""
        super().train(mode)
        if mode:
            for module in self._frozen_modules():
                module.eval()
        return self


class VisionTransformerBase(TokenBackboneMixin, BaseBackbone):
    """Tokens, outputs and freezing of a plain ViT-like backbone.

    Subclasses build ``self.patch_embed`` (returning ``(tokens, (H, W))``)
    and ``self.layers`` (a ``ModuleList`` of blocks) in their constructor,
    between ``_init_tokens`` and ``_init_outputs``.

    Class attributes:
        arch_zoo (dict): Named architectures.
        essential_keys (set): Keys a custom ``arch`` dict must have.
        pos_embed_with_extra_tokens (bool): Whether the position embedding
            also covers the class/distillation tokens (ViT, DeiT, CeiT) or is
            added to the patch tokens before they are prepended (DeiT III).
        OUT_TYPES (set): The allowed ``out_type`` values.
    """
    arch_zoo = {}
    essential_keys = {'embed_dims', 'num_layers', 'num_heads'}
    pos_embed_with_extra_tokens = True
    OUT_TYPES = {'raw', 'cls_token', 'featmap', 'avg_featmap'}

    # ------------------------------------------------------------ building
    def _init_arch(self, arch, in_channels, img_size, patch_size=None,
                   with_cp=False, overrides=None):
        """Resolve ``arch`` (a zoo name or a dict) into
        ``self.arch_settings``, with the ``overrides`` that are not None on
        top, set the widths and the input, and check them. Returns the
        settings."""
        name = type(self).__name__
        self.with_cp = with_cp
        self.arch_settings = resolve_arch(arch, self.arch_zoo,
                                          self.essential_keys, name)
        self.arch_settings.update(
            {k: v for k, v in (overrides or {}).items() if v is not None})
        self.embed_dims = self.arch_settings['embed_dims']
        self.num_layers = self.arch_settings['num_layers']
        check_heads(name, self.embed_dims, self.arch_settings['num_heads'])
        check_stem(name, in_channels, img_size, patch_size)
        self.img_size = to_hw(img_size)
        self.in_channels = in_channels
        return self.arch_settings

    def _feedforward_channels(self, default_ratio=None):
        """The FFN width: the arch's ``feedforward_channels``, else
        ``embed_dims`` times its ``mlp_ratio`` (or ``default_ratio``)."""
        arch = self.arch_settings
        if arch.get('feedforward_channels'):
            return arch['feedforward_channels']
        ratio = arch.get('mlp_ratio', default_ratio)
        if ratio is None:
            raise ValueError(f'{type(self).__name__} arch needs '
                             'feedforward_channels or mlp_ratio')
        return int(self.embed_dims * ratio)

    def _init_tokens(self, num_patches_hw, with_cls_token, with_dist_token,
                     out_type, interpolate_mode, drop_rate):
        """Create the class/distillation tokens and the position embedding.

        Args:
            num_patches_hw (tuple[int, int]): The patch grid at ``img_size``.
        """
        name = type(self).__name__
        check_choice(f'{name} out_type', out_type, self.OUT_TYPES)
        if out_type == 'cls_token' and not with_cls_token:
            raise ValueError(f"{name} out_type 'cls_token' needs "
                             'with_cls_token=True; use raw, featmap or '
                             'avg_featmap without a class token')
        if with_dist_token and not with_cls_token:
            raise ValueError(f'{name} with_dist_token=True needs '
                             'with_cls_token=True')
        self.out_type = out_type
        self.with_cls_token = with_cls_token
        self.with_dist_token = with_dist_token
        self.num_extra_tokens = int(with_cls_token) + int(with_dist_token)
        self.interpolate_mode = interpolate_mode
        self.patch_resolution = tuple(num_patches_hw)

        C = self.embed_dims
        self.cls_token = nn.Parameter(torch.zeros(1, 1, C)) \
            if with_cls_token else None
        self.dist_token = nn.Parameter(torch.zeros(1, 1, C)) \
            if with_dist_token else None
        num_pos = math.prod(self.patch_resolution) + self._num_pos_tokens
        self.pos_embed = nn.Parameter(torch.zeros(1, num_pos, C))
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        self._register_load_hooks()

    def _init_outputs(self, out_indices, final_norm, norm_cfg, frozen_stages):
        """Output indices, final norms and frozen stages (after layers)."""
        self.out_indices = normalize_indices(out_indices, self.num_layers)
        self.final_norm = final_norm
        # ``ln1``/``ln2`` follow mmpretrain's key names, so its checkpoints
        # load: ``ln1`` normalises the last block's tokens, ``ln2`` the
        # averaged patch tokens of ``avg_featmap``.
        if final_norm:
            self.ln1 = build_norm_layer(norm_cfg, self.embed_dims)
        if self.out_type == 'avg_featmap':
            self.ln2 = build_norm_layer(norm_cfg, self.embed_dims)
        self.feature_info = [
            dict(num_chs=self.embed_dims, reduction=self.patch_stride,
                 module=f'layers.{i}') for i in self.out_indices
        ]
        self._set_frozen_stages(frozen_stages, self.num_layers)

    @property
    def _num_pos_tokens(self):
        return self.num_extra_tokens if self.pos_embed_with_extra_tokens \
            else 0

    @staticmethod
    def drop_path_rates(drop_path_rate, num_layers):
        """The stochastic depth decay rule: linear from 0 to the max."""
        return np.linspace(0, drop_path_rate, num_layers).tolist()

    @staticmethod
    def expand_layer_cfgs(layer_cfgs, num_layers):
        """One override dict per layer from a dict or a sequence."""
        if isinstance(layer_cfgs, dict):
            return [layer_cfgs] * num_layers
        if len(layer_cfgs) != num_layers:
            raise ValueError(f'layer_cfgs has {len(layer_cfgs)} entries but '
                             f'there are {num_layers} layers')
        return list(layer_cfgs)

    # ------------------------------------------------------------- forward
    def extra_tokens(self, batch_size):
        """The class (and distillation) tokens, expanded to the batch."""
        tokens = [t for t in (self.cls_token, self.dist_token) if t is not None]
        return [t.expand(batch_size, -1, -1) for t in tokens]

    def embed(self, x) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Image (B, C, H, W) -> tokens (B, extra + h*w, C) and (h, w)."""
        x, hw = self.patch_embed(x)
        pos_embed = interpolate_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            hw,
            mode=self.interpolate_mode,
            num_extra_tokens=self._num_pos_tokens)
        tokens = self.extra_tokens(x.shape[0])
        if self.pos_embed_with_extra_tokens:
            x = torch.cat(tokens + [x], dim=1) + pos_embed
        else:
            x = torch.cat(tokens + [x + pos_embed], dim=1)
        return self.drop_after_pos(x), hw

    def forward_layer(self, layer, x, hw):
        """Run one block (see ``run_block()``); backbones whose blocks take
        the patch grid ``hw`` override this."""
        return run_block(layer, x, with_cp=self.with_cp)

    def forward(self, x):
        x, hw = self.embed(x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = self.forward_layer(layer, x, hw)
            if i == self.num_layers - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, hw))
        return tuple(outs)

    def _format_output(self, x, hw):
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return (x[:, 0], x[:, 1]) if self.with_dist_token else x[:, 0]
        patch_token = x[:, self.num_extra_tokens:]
        if self.out_type == 'featmap':
            # (B, h*w, C) -> (B, C, h, w), contiguous: mmcv's RoIAlign
            # reads its input's memory as NCHW whatever its strides
            return patch_token.unflatten(1, hw).permute(0, 3, 1,
                                                        2).contiguous()
        return self.ln2(patch_token.mean(dim=1))  # avg_featmap

    # ----------------------------------------------------- checkpoints
    def _fit_pos_embed(self, pos_embed, name):
        """A (1, extra + h*w, C) embedding of a square grid, resized."""
        num_tokens = self._num_pos_tokens
        side = math.isqrt(pos_embed.shape[1] - num_tokens)
        if side * side != pos_embed.shape[1] - num_tokens:
            raise ValueError(
                f'Cannot resize {name} of shape {tuple(pos_embed.shape)}'
                f': after {num_tokens} extra token(s) its '
                f'{pos_embed.shape[1] - num_tokens} patches are not a '
                'square grid')
        return resize_pos_embed(pos_embed, (side, side),
                                self.patch_resolution, self.interpolate_mode,
                                num_tokens)

    # ----------------------------------------------------------- freezing
    def _frozen_modules(self):
        if self.frozen_stages < 0:
            return []
        modules = [self.patch_embed, self.drop_after_pos]
        modules += list(self.layers[:self.frozen_stages])
        if self.frozen_stages == self.num_layers:
            modules += [getattr(self, n) for n in ('ln1', 'ln2')
                        if hasattr(self, n)]
        return modules

    def _block_depth(self, name):
        """Block ``i`` of ``layers`` is depth ``i + 1``."""
        if name.startswith('layers.'):
            return int(name.split('.')[1]) + 1
        return None

