"""Recognise an official or timm checkpoint and convert it to ours.

Every path that loads a checkpoint (``init_cfg=dict(type='Pretrained')``,
``load_from``, ``get_model(cfg, pretrained=...)``, ``tools/test.py``) goes
through :func:`to_mmvit_checkpoint`, so a raw file from facebookresearch/deit,
naver-ai/pit, zhoudaquan/dvit_repo, coeusguo/ceit or timm loads like one of
ours. Each layout is told apart by keys that only it has.
"""
from .ceit import convert_ceit
from .deepvit import convert_deepvit
from .deit3 import convert_deit, convert_deit3
from .pit import convert_pit
from .utils import unwrap_state_dict


def _any(state_dict, test):
    return any(test(key) for key in state_dict)


#: (layout name, test on the state dict, converter), most specific first.
LAYOUTS = [
    ('CeiT (coeusguo/ceit)',
     lambda sd: _any(sd, lambda k: k.startswith(('i2t.', 'lca.'))),
     convert_ceit),
    ('PiT (naver-ai/pit or timm)',
     lambda sd: _any(sd, lambda k: k.startswith(('transformers.', 'pools.'))),
     convert_pit),
    ('DeepViT (zhoudaquan/dvit_repo)',
     lambda sd: _any(sd, lambda k: '.reatten_matrix.' in k or '.var_norm.' in k
                     or k.startswith('patch_embed.conv1.')),
     convert_deepvit),
    ('DeiT III (facebookresearch/deit or timm)',
     lambda sd: _any(sd, lambda k: k.endswith(('.gamma_1', '.ls1.gamma'))),
     convert_deit3),
    ('DeiT (facebookresearch/deit or timm)',
     lambda sd: 'blocks.0.attn.qkv.weight' in sd,
     convert_deit),
]


def detect_layout(checkpoint):
    """The name and converter of a foreign checkpoint's layout, or
    ``(None, None)`` for ours (``backbone.`` keys; official and timm ones
    have a bare ``head.``) and anything unknown."""
    if not isinstance(checkpoint, dict):
        return None, None
    state_dict = unwrap_state_dict(checkpoint)
    if _any(state_dict, lambda k: k.startswith('backbone.')):
        return None, None
    for name, test, convert in LAYOUTS:
        if test(state_dict):
            return name, convert
    return None, None


def to_mmvit_checkpoint(checkpoint, filename='checkpoint'):
    """Convert an official/timm checkpoint on the fly; return any other
    checkpoint unchanged.

    Returns:
        dict: ``{'state_dict': ..., 'meta': {'converted_from': layout}}``
        for a converted checkpoint, else ``checkpoint`` itself.

    Raises:
        ValueError: The file looks like a known layout but has keys that
            its converter does not know; they are named.
    """
    layout, convert = detect_layout(checkpoint)
    if convert is None:
        return checkpoint
    try:
        state_dict = convert(checkpoint)
    except (KeyError, ValueError) as e:
        raise ValueError(f'{filename} looks like a {layout} checkpoint but '
                         f'cannot be converted: {e}') from None
    return dict(state_dict=state_dict,
                meta=dict(converted_from=layout, source=str(filename)))
