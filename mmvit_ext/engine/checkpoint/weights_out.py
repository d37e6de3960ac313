"""Weights out: a checkpoint trained here in timm's or the official layout.

The key rules are the converters' (``mmvit_ext.converters.export_*``, pure
functions); this module, above them and the models, reads the model config.

:func:`export_checkpoint` picks the family's inverse converter from the
model config (saved in every mmengine checkpoint's ``meta['cfg']``), and for
timm's layout also writes the ``config.json`` of a timm hub entry: the timm
model name (``architecture``) and the constructor arguments
(``model_args``) that rebuild the same network, custom archs included.
"""
import inspect

from mmvit_ext.converters import (CannotExpressError, ema_state_dict,
                                  export_ceit, export_deepvit, export_deit,
                                  export_deit3, export_pit, raw_state_dict)

EXPORTERS = {
    'DeiT3': export_deit3,
    'DeiT': export_deit,
    'PiT': export_pit,
    'CeiT': export_ceit,
    'DeepViT': export_deepvit,
}
LAYOUTS = ('timm', 'official')


def backbone_class(model_cfg):
    from mmvit_ext.registry import MODELS
    name = model_cfg['backbone']['type'].split('.')[-1]
    if name not in EXPORTERS:
        raise CannotExpressError(
            f'no exporter for a {name} backbone: one of {sorted(EXPORTERS)}')
    return name, MODELS.get(name)


def _arg(backbone_cfg, cls, name):
    """A backbone argument as configured, else the default of the first
    class of its MRO that names it (DeiT passes most of them on to
    DeiT3)."""
    if name in backbone_cfg:
        return backbone_cfg[name]
    for klass in cls.__mro__:
        params = inspect.signature(klass.__init__).parameters
        if name in params:
            return params[name].default
    raise KeyError(f'{cls.__name__} takes no argument {name!r}')


def _side(size):
    size = tuple(size) if isinstance(size, (list, tuple)) else (size, size)
    if size[0] != size[1]:
        raise CannotExpressError(f'a non-square img_size {size}: timm takes '
                                 'one side')
    return size[0]


def timm_config(model_cfg):
    """The ``config.json`` of a timm hub entry for ``model_cfg``.

    Raises:
        CannotExpressError: timm has no such model (CeiT, DeepViT) or no
            argument for a setting of it.
    """
    from mmvit_ext.models.utils import resolve_arch
    name, cls = backbone_class(model_cfg)
    backbone = model_cfg['backbone']
    head = model_cfg['head']
    if name in ('CeiT', 'DeepViT'):
        raise CannotExpressError(f'timm has no {name}: use --layout official')
    for option in ('window_size', 'use_rel_pos'):
        if backbone.get(option):
            raise CannotExpressError(f"timm's {name} has no ViTDet blocks "
                                     f'({option}={backbone[option]!r})')
    arch = resolve_arch(backbone.get('arch', 'base'), cls.arch_zoo,
                        cls.essential_keys, name)
    distilled = bool(_arg(backbone, cls, 'with_dist_token')) \
        if name != 'DeiT3' else False
    common = dict(num_classes=head['num_classes'],
                  in_chans=_arg(backbone, cls, 'in_channels'),
                  img_size=_side(_arg(backbone, cls, 'img_size')))
    if name in ('DeiT3', 'DeiT'):
        dims = arch['embed_dims']
        model_args = dict(
            common, patch_size=_arg(backbone, cls, 'patch_size'),
            embed_dim=dims, depth=arch['num_layers'],
            num_heads=arch['num_heads'],
            mlp_ratio=arch['feedforward_channels'] / dims)
        if name == 'DeiT3':
            architecture = 'deit3_base_patch16_224'
        else:
            architecture = 'deit_base_distilled_patch16_224' if distilled \
                else 'deit_base_patch16_224'
    else:  # PiT
        heads = list(arch['num_heads'])
        dims = list(arch['embed_dims']) if 'embed_dims' in arch else [
            b * h for b, h in zip(arch['base_dims'], heads)]
        model_args = dict(
            common, patch_size=arch.get('patch_size', 16),
            stride=arch.get('stride', 8),
            base_dims=[d // h for d, h in zip(dims, heads)],
            depth=list(arch['depths']), heads=heads,
            mlp_ratio=arch.get('mlp_ratio', 4), distilled=distilled)
        architecture = 'pit_s_distilled_224' if distilled else 'pit_s_224'
    pretrained_cfg = dict(
        input_size=[model_args['in_chans'], model_args['img_size'],
                    model_args['img_size']],
        num_classes=head['num_classes'], crop_pct=1.0)
    preprocessor = model_cfg.get('data_preprocessor') or {}
    if 'mean' in preprocessor and 'std' in preprocessor:  # 0-255 -> 0-1
        pretrained_cfg.update(
            mean=[m / 255 for m in preprocessor['mean']],
            std=[s / 255 for s in preprocessor['std']])
    return dict(architecture=architecture,
                num_classes=head['num_classes'],
                num_features=head.get('in_channels'),
                model_args=model_args,
                pretrained_cfg=pretrained_cfg)


def export_checkpoint(checkpoint, model_cfg, layout='timm', ema=False):
    """A checkpoint of ours in the ``layout`` of timm or the official code.

    Args:
        checkpoint (dict): An mmengine checkpoint (``state_dict``, maybe
            ``ema_state_dict`` and ``meta``).
        model_cfg (dict): Its ``model`` config.
        layout (str): ``'timm'`` or ``'official'``.
        ema (bool): Export the EMA weights instead of the raw ones.

    Returns:
        tuple[OrderedDict, dict | None]: The state dict and, for timm's
        layout, its ``config.json``.

    Raises:
        CannotExpressError: The target has no place for part of the model.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout {layout!r} is not one of {LAYOUTS}')
    name, _ = backbone_class(model_cfg)
    state_dict = ema_state_dict(checkpoint) if ema else \
        raw_state_dict(checkpoint)
    config = timm_config(model_cfg) if layout == 'timm' else None
    return EXPORTERS[name](state_dict, layout), config
