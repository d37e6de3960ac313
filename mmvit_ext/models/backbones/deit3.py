from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.model import ModuleList

from mmvit_ext.registry import MODELS
from ..layers.padding import exportable_patch_embed
from ..layers.vitdet import ViTDetMixin
from ..utils import to_hw
from .base_vit import VisionTransformerBase


@MODELS.register_module()
class DeiT3(ViTDetMixin, VisionTransformerBase):
    """DeiT III backbone.

    A PyTorch implementation of `DeiT III: Revenge of the ViT
    <https://arxiv.org/abs/2204.07118>`_, weight-compatible with the official
    ``models_v2`` checkpoints and timm's ``deit3_*`` models through
    :func:`mmvit_ext.converters.convert_deit3`.

    The differences between DeiT3 and ``VisionTransformer``:

    1. LayerScale on both residual branches of every block.
    2. The position embedding covers the patch tokens only; the class token
       is prepended after it is added.

    The differences between this DeiT3 and mmpretrain's ``DeiT3``:

    1. Each block normalises its FFN input with ``ln2`` (mmpretrain's reuses
       ``ln1``, so official weights give wrong logits there).
    2. ``out_type='avg_featmap'``, ``frozen_stages`` and ``with_dist_token``
       work, and negative ``out_indices`` may be given as a tuple.

    Blocks are mmpretrain's ``TransformerEncoderLayer``; key names therefore
    match mmpretrain's DeiT3 checkpoints too.

    Args:
        arch (str | dict): ``'s'``, ``'m'``, ``'b'``, ``'l'``, ``'h'`` (or
            their long names), or a dict with the keys ``embed_dims``,
            ``num_layers``, ``num_heads`` and ``feedforward_channels``.
            Defaults to ``'base'``.
        img_size (int | tuple): The input size the position embedding is
            built for. Other sizes work; the embedding is interpolated at run
            time. A size that ``patch_size`` does not divide is zero-padded
            at the bottom and right to the next multiple (mmcv's
            ``PatchEmbed`` with ``'corner'`` padding), so the grid is
            ``ceil(img_size / patch_size)``. Defaults to 224.
        patch_size (int | tuple): The patch size. Defaults to 16.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (int | Sequence[int]): Blocks whose output is returned,
            negatives count from the end. Defaults to -1.
        drop_rate (float): Dropout after the position embedding, in the FFN
            and after the attention projection. Defaults to 0.
        attn_drop_rate (float): Dropout on the attention weights.
            Defaults to 0.
        drop_path_rate (float): Maximum stochastic depth rate, reached
            linearly at the last block. Defaults to 0.
        qkv_bias (bool): Bias on the qkv projection. Defaults to True.
        norm_cfg (dict): Norm layer config. Defaults to
            ``dict(type='LN', eps=1e-6)``.
        final_norm (bool): Normalise the last block's tokens.
            Defaults to True.
        out_type (str): ``'raw'`` (B, L, C), ``'cls_token'`` (B, C) or a
            ``(cls, dist)`` pair with ``with_dist_token``, ``'featmap'``
            (B, C, H, W) or ``'avg_featmap'`` (B, C). Defaults to
            ``'cls_token'``.
        with_cls_token (bool, optional): Prepend a class token. None means
            True, or False with ViTDet's blocks (below). Defaults to None.
        with_dist_token (bool): Also prepend a distillation token, as in
            DeiT. Defaults to False.
        frozen_stages (int): -1 freezes nothing, 0 the patch embedding and
            tokens, ``k`` also the first ``k`` blocks, ``num_layers`` also the
            final norms. Defaults to -1.
        use_layer_scale (bool): Use LayerScale. Defaults to True.
        layer_scale_init_value (float): LayerScale's initial value; the
            official code uses 1e-4, timm 1e-6. Defaults to 1e-4.
        interpolate_mode (str): How the position embedding is resized.
            Defaults to ``'bicubic'``.
        patch_cfg (dict): Overrides for mmcv's ``PatchEmbed``.
            Defaults to ``dict()``.
        layer_cfgs (dict | Sequence[dict]): Overrides for each block.
            Defaults to ``dict()``.
        with_cp (bool): Activation checkpointing: each block's activations
            are recomputed in the backward instead of kept, trading compute
            for memory. Gradients are unchanged. Defaults to False.
        attn_impl (str): How the blocks attend: ``'sdpa'`` (PyTorch's fused
            kernel), ``'math'`` (two matmuls and a softmax) or ``'auto'``,
            which picks per call from the device, dtype and sequence length
            (see :func:`~mmvit_ext.models.layers.attend`). The same numbers
            and keys. Defaults to ``'auto'``.
        window_size (int): ViTDet's window attention: blocks attend within
            non-overlapping windows of ``window_size`` x ``window_size``
            patch tokens (the grid zero-padded to whole windows, then
            cropped). 0 attends globally everywhere. Defaults to 0.
        window_block_indexes (Sequence[int], optional): The windowed
            blocks, as detectron2 and mmdet name them; the others are
            global. Defaults to None.
        global_attn_indexes (Sequence[int], optional): The global blocks,
            as timm and SAM name them; the others are windowed. Give at most
            one of the two; with neither, every block is windowed.
            Defaults to None.
        use_rel_pos (bool): Decomposed relative positions in every block
            (``attn.rel_pos_h``/``attn.rel_pos_w``, sized for the window or,
            in a global block, for the grid at ``img_size``). Defaults to
            False.
        rel_pos_zero_init (bool): Start the relative-position tables at
            zero. Defaults to True.

    With ``window_size > 0`` or ``use_rel_pos`` (ViTDet's blocks) the
    backbone has no class or distillation token: ``with_cls_token`` defaults
    to False, ``out_type`` must be dense, and a classification checkpoint's
    tokens are dropped on load while the tables it lacks start at zero, in
    one info line.
    """
    arch_zoo = {
        **dict.fromkeys(['s', 'small'], {
            'embed_dims': 384,
            'num_layers': 12,
            'num_heads': 6,
            'feedforward_channels': 1536,
        }),
        **dict.fromkeys(['m', 'medium'], {
            'embed_dims': 512,
            'num_layers': 12,
            'num_heads': 8,
            'feedforward_channels': 2048,
        }),
        **dict.fromkeys(['b', 'base'], {
            'embed_dims': 768,
            'num_layers': 12,
            'num_heads': 12,
            'feedforward_channels': 3072,
        }),
        **dict.fromkeys(['l', 'large'], {
            'embed_dims': 1024,
            'num_layers': 24,
            'num_heads': 16,
            'feedforward_channels': 4096,
        }),
        **dict.fromkeys(['h', 'huge'], {
            'embed_dims': 1280,
            'num_layers': 32,
            'num_heads': 16,
            'feedforward_channels': 5120,
        }),
    }
    essential_keys = {
        'embed_dims', 'num_layers', 'num_heads', 'feedforward_channels'
    }
    pos_embed_with_extra_tokens = False

    def __init__(self,
                 arch='base',
                 img_size=224,
                 patch_size=16,
                 in_channels=3,
                 out_indices=-1,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 qkv_bias=True,
                 norm_cfg=dict(type='LN', eps=1e-6),
                 final_norm=True,
                 out_type='cls_token',
                 with_cls_token=None,
                 with_dist_token=False,
                 frozen_stages=-1,
                 use_layer_scale=True,
                 layer_scale_init_value=1e-4,
                 interpolate_mode='bicubic',
                 patch_cfg=dict(),
                 layer_cfgs=dict(),
                 with_cp=False,
                 attn_impl='auto',
                 window_size=0,
                 window_block_indexes=None,
                 global_attn_indexes=None,
                 use_rel_pos=False,
                 rel_pos_zero_init=True,
                 init_cfg=None):
        super().__init__(init_cfg)
        self._init_arch(arch, in_channels, img_size, patch_size, with_cp)
        name = type(self).__name__

        _patch_cfg = dict(
            in_channels=in_channels,
            input_size=self.img_size,
            embed_dims=self.embed_dims,
            conv_type='Conv2d',
            kernel_size=patch_size,
            stride=patch_size)
        _patch_cfg.update(patch_cfg)
        self.patch_embed = exportable_patch_embed(PatchEmbed(**_patch_cfg))
        self.patch_stride = to_hw(_patch_cfg['stride'])[0]
        with_cls_token = self._init_vitdet(
            window_size, window_block_indexes, global_attn_indexes,
            use_rel_pos, with_cls_token, with_dist_token, out_type)
        self._init_tokens(self.patch_embed.init_out_size, with_cls_token,
                          with_dist_token, out_type, interpolate_mode,
                          drop_rate)

        if not use_layer_scale:
            layer_scale_init_value = 0.
        elif layer_scale_init_value <= 0:
            raise ValueError(f'{name} layer_scale_init_value '
                             f'{layer_scale_init_value} is invalid: it must '
                             'be > 0 with use_layer_scale=True')
        dpr = self.drop_path_rates(drop_path_rate, self.num_layers)
        layer_cfgs = self.expand_layer_cfgs(layer_cfgs, self.num_layers)
        self.layers = ModuleList()
        for i in range(self.num_layers):
            _layer_cfg = dict(
                embed_dims=self.embed_dims,
                num_heads=self.arch_settings['num_heads'],
                feedforward_channels=self.arch_settings[
                    'feedforward_channels'],
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i],
                qkv_bias=qkv_bias,
                norm_cfg=norm_cfg)
            _layer_cfg.update(layer_cfgs[i])
            self.layers.append(
                self._vitdet_block(i, use_rel_pos, rel_pos_zero_init,
                                   **_layer_cfg))

        self._init_outputs(out_indices, final_norm, norm_cfg, frozen_stages)
        self._set_attn_impl(attn_impl)


@MODELS.register_module()
class DeiT(DeiT3):
    """DeiT backbone, with an optional distillation token.

    A PyTorch implementation of `Training data-efficient image transformers
    & distillation through attention <https://arxiv.org/abs/2012.12877>`_,
    weight-compatible with the official facebookresearch/deit checkpoints
    and timm's ``deit_*`` models through
    :func:`mmvit_ext.converters.convert_deit`.

    The differences between DeiT and :class:`DeiT3`:

    1. No LayerScale.
    2. The position embedding also covers the class and distillation
       tokens.

    Args:
        arch (str | dict): ``'t'``, ``'s'``, ``'b'`` (or their long names)
            or a dict as for :class:`DeiT3`. Defaults to ``'base'``.
        with_dist_token (bool): Add the distillation token of the distilled
            models. Defaults to False.
        **kwargs: The other arguments of :class:`DeiT3`.
    """
    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'], {
            'embed_dims': 192,
            'num_layers': 12,
            'num_heads': 3,
            'feedforward_channels': 768,
        }),
        **dict.fromkeys(['s', 'small'], DeiT3.arch_zoo['s']),
        **dict.fromkeys(['b', 'base'], DeiT3.arch_zoo['b']),
    }
    pos_embed_with_extra_tokens = True

    def __init__(self, arch='base', use_layer_scale=False, **kwargs):
        super().__init__(arch=arch, use_layer_scale=use_layer_scale, **kwargs)
