"""The contract shared by the plain (single-scale) token ViTs of mmvit_ext.

DeiT3, DeepViT and CeiT differ in their stem and their blocks; everything
around them (extra tokens, position embedding, ``out_type``/``out_indices``,
freezing, layer-wise depth, checkpoint resizing) is the same and lives here.

Why not subclass ``mmpretrain.models.VisionTransformer``? Its constructor
always builds its own patch embedding, layers and a position embedding that
covers exactly one class token, so each subclass would build and throw away a
whole model. It also writes into ``out_indices`` (a tuple with a negative index
raises ``TypeError``), accepts ``out_indices == num_layers``, and un-freezes
frozen stages on ``model.train()``.
"""
import contextlib
import math
from collections import OrderedDict
from typing import Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint
from mmcv.cnn.bricks.transformer import AdaptivePadding
from mmengine.logging import MMLogger
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import build_norm_layer, resize_pos_embed

from mmvit_ext.engine.checkpoint import _listed, check_fits, load_pretrained
from ..layers import (ScaledMaskDropPath, TransformerEncoderLayer,  # noqa
                      UnbindQKVAttention, WindowedEncoderLayer,
                      resize_rel_pos)
from ..layers.exporting import is_exporting  # noqa: F401


def check_choice(name, value, allowed):
    """Raise ``ValueError`` naming ``value`` and the ``allowed`` choices."""
    if value not in allowed:
        raise ValueError(f'{name} {value!r} is not one of '
                         f'{sorted(allowed, key=str)}')


def check_positive_ints(name, value, pair=False):
    """Raise ``ValueError`` unless ``value`` is an int >= 1 or, with
    ``pair``, also an ``(H, W)`` pair of them."""
    values = value if pair and isinstance(value, (tuple, list)) else (value, )
    if not (1 <= len(values) <= 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for v in values)):
        allowed = 'an int >= 1 or an (H, W) pair of them' if pair else \
            'an int >= 1'
        raise ValueError(f'{name} {value!r} is invalid: it must be {allowed}')


def check_stem(name, in_channels, img_size, patch_size=None):
    """Check the input channels, ``img_size`` and the patch size."""
    check_positive_ints(f'{name} in_channels', in_channels)
    check_positive_ints(f'{name} img_size', img_size, pair=True)
    if patch_size is not None:
        check_positive_ints(f'{name} patch_size', patch_size, pair=True)


def check_heads(name, embed_dims, num_heads):
    """Raise ``ValueError`` unless ``num_heads`` divides ``embed_dims``."""
    check_positive_ints(f'{name} embed_dims', embed_dims)
    check_positive_ints(f'{name} num_heads', num_heads)
    if embed_dims % num_heads:
        divisors = [d for d in range(1, embed_dims + 1) if embed_dims % d == 0]
        raise ValueError(
            f'{name} embed_dims {embed_dims} is not divisible by num_heads '
            f'{num_heads}: use num_heads in {divisors[:12]}'
            f'{" ..." if len(divisors) > 12 else ""}')


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


def _max0(size):
    """``max(size, 0)`` of a size as the exporter records it: a symbolic
    int under ``torch.export``, a 0-dim tensor under the legacy
    TorchScript-based ONNX exporter (``dynamo=False``)."""
    if isinstance(size, torch.Tensor):
        return torch.clamp(size, min=0)
    return torch.sym_max(size, 0)


class ExportablePadding(AdaptivePadding):
    """mmcv's ``AdaptivePadding`` (used by its ``PatchEmbed``) that always
    pads while exporting; mmcv's skips the pad when it is zero at the
    recorded size (see ``is_exporting()``). Same padding otherwise."""

    def forward(self, x):
        if not is_exporting():
            return super().forward(x)
        pads = [
            # ceil(size / s) as (size + s - 1) // s: ONNX divides negative
            # integers toward zero, not down.
            _max0((size + s - 1) // s * s - s + (k - 1) * d + 1 - size)
            for size, k, s, d in zip(x.shape[-2:], self.kernel_size,
                                     self.stride, self.dilation)
        ]
        pad_h, pad_w = pads
        if self.padding == 'corner':
            return F.pad(x, [0, pad_w, 0, pad_h])
        return F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                         pad_h - pad_h // 2])


def exportable_patch_embed(patch_embed):
    """Give mmcv's ``PatchEmbed`` an :class:`ExportablePadding` (no
    parameters, so keys and values do not change)."""
    padding = getattr(patch_embed, 'adaptive_padding', None)
    if type(padding) is AdaptivePadding:
        padding.__class__ = ExportablePadding
    return patch_embed


def tile_padding(size, kernel, stride):
    """Pixels to add after ``size`` so that windows of ``kernel`` at
    ``stride`` cover it exactly: ``size`` rounded up to a size the stem
    tiles, as mmcv's ``PatchEmbed`` does with its ``'corner'`` padding."""
    if size <= kernel:
        return kernel - size
    # Non-negative operands only: exported to ONNX, % and // of a negative
    # integer round toward zero instead of down.
    return (stride - (size - kernel) % stride) % stride


def pad_to_tile(x, kernel, stride):
    """Zero-pad a (B, C, H, W) map at the bottom and right by
    :func:`tile_padding`, so that a ``kernel``/``stride`` conv covers every
    pixel."""
    pad_h = tile_padding(x.shape[-2], kernel, stride)
    pad_w = tile_padding(x.shape[-1], kernel, stride)
    # is_exporting() first: testing a traced size would fix it.
    if is_exporting() or pad_h or pad_w:
        return F.pad(x, (0, pad_w, 0, pad_h))
    return x


def tiled_size(size, kernel, stride):
    """The output size of a ``kernel``/``stride`` conv after
    :func:`pad_to_tile`."""
    return (size + tile_padding(size, kernel, stride) - kernel) // stride + 1


@contextlib.contextmanager
def _norm_stats_kept(module):
    """Restore the running statistics of every BatchNorm in ``module`` on
    exit, so that the forward recomputed by activation checkpointing does
    not update them a second time."""
    norms = [m for m in module.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)
             and m.track_running_stats]
    saved = [[b.clone() for b in (m.running_mean, m.running_var,
                                  m.num_batches_tracked)] for m in norms]
    try:
        yield
    finally:
        for m, (mean, var, count) in zip(norms, saved):
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(count)


def run_block(block, *args, with_cp=False):
    """``block(*args)``, under activation checkpointing with ``with_cp``
    while gradients are recorded: the block's activations are freed after
    the forward and recomputed in the backward. The recompute draws the same
    random numbers (dropout, drop path) and leaves BatchNorm statistics as
    the forward left them, so gradients and buffers equal those without
    checkpointing."""
    if not (with_cp and torch.is_grad_enabled() and block.training):
        return block(*args)
    return torch.utils.checkpoint.checkpoint(
        block, *args, use_reentrant=False,
        context_fn=lambda: (contextlib.nullcontext(),
                            _norm_stats_kept(block)))


def refuse_vitdet(name, why, **options):
    """Raise ``ValueError`` if any of ViTDet's options (``window_size``,
    ``use_rel_pos``, ...) is set on a backbone whose blocks cannot take
    it, saying ``why``."""
    given = {k: v for k, v in options.items() if v not in (None, 0, False)}
    if given:
        raise ValueError(
            f"{name} does not support ViTDet's {given}: {why}. Window "
            'attention and relative positions are options of DeiT3 and DeiT')


def resolve_arch(arch, arch_zoo, essential_keys, model_name):
    """Return the settings dict of ``arch`` (a zoo name or a dict)."""
    if isinstance(arch, str):
        check_choice(f'{model_name} arch', arch.lower(), set(arch_zoo))
        return dict(arch_zoo[arch.lower()])
    if not isinstance(arch, dict):
        raise TypeError(f'{model_name} arch must be a str or a dict, '
                        f'got {type(arch).__name__}')
    missing = set(essential_keys) - set(arch)
    if missing:
        raise ValueError(f'{model_name} custom arch misses the keys '
                         f'{sorted(missing)}; it needs {sorted(essential_keys)}')
    return dict(arch)


def normalize_indices(indices, length, name='out_indices'):
    """Turn an int or a sequence of ints (negatives allowed) into a sorted
    tuple of non-negative indices below ``length``."""
    if isinstance(indices, int):
        indices = [indices]
    if not isinstance(indices, Sequence) or not indices:
        raise TypeError(f'{name} must be an int or a non-empty sequence of '
                        f'ints, got {indices!r}')
    out = []
    for index in indices:
        if not -length <= index < length:
            raise ValueError(f'{name} {index} is out of range: there are '
                             f'{length}, so use -{length}..{length - 1}')
        out.append(index % length)
    if len(set(out)) != len(out):
        raise ValueError(f'{name} {tuple(indices)} names an index twice')
    return tuple(sorted(out))


class TokenBackboneMixin:
    """Stem parameters and ``frozen_stages`` of a backbone with a position
    embedding and class (and distillation) tokens.

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

    def _check_checkpoint_keys(self, state_dict, prefix, *args, **kwargs):
        """Refuse a state dict that does not fit this backbone, on every
        loading path (``load_from``, ``get_model``, mmdet/mmseg's loaders),
        strict or not: a backbone left with random blocks is never a
        warning. Registered after the position-embedding resize. Inside
        FSDP, whose strategy loads the whole model strictly, it leaves the
        check to that load: this module's own state dict would gather
        shards."""
        if '_fsdp_wrapped_module.' in prefix:
            return
        own = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                          if k.startswith(prefix))
        check_fits(self, own, f'the checkpoint (keys under {prefix!r})'
                   if prefix else 'the checkpoint')

    def _adapt_input_channels(self, state_dict, prefix, *args, **kwargs):
        """Fit the stem's first conv to this model's input channels, as timm
        does when it loads weights (``adapt_input_conv``): a grey (1-channel)
        checkpoint's kernels are repeated over the channels and divided by
        their number, so that a grey image given as RGB gives the same
        response; a 3-channel one's are summed for a grey model. One info
        line says so; any other difference is left to the key check."""
        convs = [(n, m) for n, m in self.patch_embed.named_modules()
                 if isinstance(m, nn.Conv2d)]
        if not convs:
            return
        name = prefix + '.'.join(filter(None, ('patch_embed', convs[0][0],
                                               'weight')))
        weight, own = state_dict.get(name), convs[0][1].weight
        if weight is None or weight.dim() != 4 or \
                weight.shape[1] == own.shape[1] or \
                weight.shape[::2] != own.shape[::2] or \
                weight.shape[3] != own.shape[3]:
            return
        src, dst = weight.shape[1], own.shape[1]
        if src == 1:
            state_dict[name] = weight.repeat(1, dst, 1, 1) / dst
            how = f'repeated and divided by {dst}'
        elif dst == 1 and src == 3:
            state_dict[name] = weight.sum(dim=1, keepdim=True)
            how = 'summed'
        else:
            return
        MMLogger.get_current_instance().info(
            f'Adapt {name} from {src} to {dst} input channels (the kernels '
            f'{how}).')

    def _adapt_checkpoint(self, state_dict, prefix, *args, **kwargs):
        """Fit a checkpoint to this backbone where the fit is known and
        lossless (here: the input channels), before its keys are checked;
        :func:`~mmvit_ext.engine.checkpoint.load_pretrained` and the load
        hook both run it."""
        self._adapt_input_channels(state_dict, prefix)

    def _register_load_hooks(self):
        """Adapt the checkpoint and resize the position embedding, then
        check the keys."""
        self._register_load_state_dict_pre_hook(self._adapt_checkpoint)
        self._register_load_state_dict_pre_hook(self._prepare_pos_embed)
        self._register_load_state_dict_pre_hook(self._check_checkpoint_keys)

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
    #: Whether the blocks are ViTDet's (:meth:`_init_vitdet`).
    vitdet = False

    # ------------------------------------------------------------ building
    def _init_vitdet(self, window_size, window_block_indexes,
                     global_attn_indexes, use_rel_pos, with_cls_token,
                     with_dist_token, out_type):
        """Check ViTDet's options and set ``self.window_sizes`` (one per
        block, 0 for a global one) and ``self.vitdet``.

        ViTDet's blocks (``window_size > 0`` or ``use_rel_pos``) see a grid
        of patch tokens and nothing else: the backbone has no class or
        distillation token, so its outputs are dense (``featmap``,
        ``avg_featmap`` or ``raw``). A classification checkpoint's tokens
        (and DeiT's position-embedding slots for them) are dropped on load.

        Returns:
            bool: ``with_cls_token`` resolved (None means True without
            ViTDet's blocks, False with them).
        """
        name = type(self).__name__
        if not isinstance(window_size, int) or isinstance(window_size, bool) \
                or window_size < 0:
            raise ValueError(f'{name} window_size {window_size!r} is '
                             'invalid: it must be an int >= 0 (0 attends '
                             'globally in every block)')
        if window_block_indexes is not None and \
                global_attn_indexes is not None:
            raise ValueError(
                f'{name} got both window_block_indexes '
                f'{window_block_indexes!r} (detectron2/mmdet: the windowed '
                f'blocks) and global_attn_indexes {global_attn_indexes!r} '
                '(timm/SAM: the global blocks); give one of them')
        indexes = global_attn_indexes if window_block_indexes is None \
            else window_block_indexes
        if indexes is not None and not window_size:
            raise ValueError(
                f'{name} window_block_indexes/global_attn_indexes '
                f'{indexes!r} need window_size > 0 (it is 0)')
        blocks = range(self.num_layers)
        if window_block_indexes is not None:
            windowed = self._block_indexes(window_block_indexes,
                                           'window_block_indexes')
        elif global_attn_indexes is not None:
            windowed = set(blocks) - self._block_indexes(
                global_attn_indexes, 'global_attn_indexes')
        else:
            windowed = set(blocks)
        self.window_sizes = [window_size if i in windowed else 0
                             for i in blocks]
        self.vitdet = bool(window_size or use_rel_pos)
        if not self.vitdet:
            return True if with_cls_token is None else with_cls_token
        options = f'window_size={window_size}, use_rel_pos={use_rel_pos}'
        if with_cls_token or with_dist_token:
            raise ValueError(
                f'{name} with {options} has no class or distillation token '
                '(ViTDet attends over the patch grid only): leave '
                'with_cls_token unset and with_dist_token False')
        if out_type == 'cls_token':
            raise ValueError(
                f"{name} with {options} has no class token, so out_type "
                "'cls_token' cannot be given: use 'featmap', 'avg_featmap' "
                "or 'raw'")
        return False

    def _block_indexes(self, indexes, name):
        """A set of block indexes (negatives count from the end; an empty
        sequence is allowed)."""
        if isinstance(indexes, (list, tuple)) and not indexes:
            return set()
        return set(normalize_indices(indexes, self.num_layers, name))

    def _vitdet_block(self, i, use_rel_pos, rel_pos_zero_init, **cfg):
        """Block ``i``: ViTDet's (windowed or global, with its tables) if
        the backbone has ViTDet's blocks, else the plain one."""
        if not self.vitdet:
            return TransformerEncoderLayer(**cfg)
        return WindowedEncoderLayer(
            window_size=self.window_sizes[i],
            input_size=self.patch_resolution,
            use_rel_pos=use_rel_pos,
            rel_pos_zero_init=rel_pos_zero_init,
            **cfg)

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
        """Run one block (see ``run_block()``); ViTDet's take the patch
        grid, and backbones whose blocks need it override this."""
        if self.vitdet:
            return run_block(layer, x, hw, with_cp=self.with_cp)
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
    def _adapt_checkpoint(self, state_dict, prefix, *args, **kwargs):
        super()._adapt_checkpoint(state_dict, prefix)
        if self.vitdet:
            self._adapt_to_vitdet(state_dict, prefix)

    def _adapt_to_vitdet(self, state_dict, prefix):
        """Fit a checkpoint to ViTDet's blocks, in one info line.

        - A classification checkpoint's class and distillation tokens are
          dropped, with their slots of a DeiT position embedding.
        - Relative-position tables it lacks start at this model's init
          (zeros by default); tables made for another window or grid are
          resized linearly, as mmpretrain's ``ViTSAM`` does.

        Every other key is left to the strict check.
        """
        notes = []
        dropped = [n for n in ('cls_token', 'dist_token')
                   if prefix + n in state_dict]
        for n in dropped:
            del state_dict[prefix + n]
        pos_name = prefix + 'pos_embed'
        if dropped and self.pos_embed_with_extra_tokens and \
                pos_name in state_dict:
            state_dict[pos_name] = state_dict[pos_name][:, len(dropped):]
            notes.append(f'drop its {" and ".join(dropped)} and their '
                         'position-embedding slots (ViTDet has none)')
        elif dropped:
            notes.append(f'drop its {" and ".join(dropped)} (ViTDet has '
                         'none)')
        added, resized = [], []
        for name, param in self.named_parameters():
            if name.rsplit('.', 1)[-1] not in ('rel_pos_h', 'rel_pos_w'):
                continue
            table = state_dict.get(prefix + name)
            if table is None:
                state_dict[prefix + name] = param.detach().clone()
                added.append(name)
            elif table.dim() == 2 and table.shape[1] == param.shape[1] and \
                    table.shape[0] != param.shape[0]:
                state_dict[prefix + name] = resize_rel_pos(
                    table, param.shape[0])
                resized.append(f'{name} {table.shape[0]}->{param.shape[0]}')
        if added:
            init = 'zeros' if all(
                not state_dict[prefix + n].any() for n in added) else \
                'their random init'
            notes.append(f'initialise the {len(added)} relative-position '
                         f'tables it lacks ({init}): {_listed(added, 4)}')
        if resized:
            notes.append(f'resize {len(resized)} relative-position tables '
                         f'(linearly): {_listed(resized, 4)}')
        if notes:
            MMLogger.get_current_instance().info(
                f'ViTDet {type(self).__name__}: ' + '; '.join(notes) + '.')

    def _prepare_pos_embed(self, state_dict, prefix, *args, **kwargs):
        """Resize a checkpoint's position embedding to this model's grid."""
        name = prefix + 'pos_embed'
        if name not in state_dict:
            return
        ckpt_pos_embed = state_dict[name]
        if ckpt_pos_embed.shape == self.pos_embed.shape:
            return
        num_tokens = self._num_pos_tokens
        side = math.isqrt(ckpt_pos_embed.shape[1] - num_tokens)
        if side * side != ckpt_pos_embed.shape[1] - num_tokens:
            raise ValueError(
                f'Cannot resize {name} of shape {tuple(ckpt_pos_embed.shape)}'
                f': after {num_tokens} extra token(s) its '
                f'{ckpt_pos_embed.shape[1] - num_tokens} patches are not a '
                'square grid')
        MMLogger.get_current_instance().info(
            f'Resize {name} from {tuple(ckpt_pos_embed.shape)} to '
            f'{tuple(self.pos_embed.shape)}.')
        state_dict[name] = resize_pos_embed(ckpt_pos_embed, (side, side),
                                            self.patch_resolution,
                                            self.interpolate_mode, num_tokens)

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


def to_hw(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``224`` -> ``(224, 224)``; ``(224, 320)`` stays."""
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)
