from .utils import (check_expressible, check_layout, rename_keys,
                    unwrap_state_dict)

# Official facebookresearch/deit ``models_v2`` and timm ``deit3_*`` share one
# layout except for LayerScale: ``gamma_1``/``gamma_2`` vs ``ls1/ls2.gamma``.
_BLOCK = r'blocks\.(\d+)\.'
_LAYER = r'backbone.layers.\1.'
DEIT3_RULES = [
    (r'cls_token', 'backbone.cls_token'),
    (r'pos_embed', 'backbone.pos_embed'),
    (r'patch_embed\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (_BLOCK + r'norm1\.(weight|bias)', _LAYER + r'ln1.\2'),
    (_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)', _LAYER + r'attn.\2.\3'),
    (_BLOCK + r'(?:gamma_1|ls1\.gamma)', _LAYER + 'attn.gamma1.weight'),
    (_BLOCK + r'norm2\.(weight|bias)', _LAYER + r'ln2.\2'),
    (_BLOCK + r'mlp\.fc1\.(weight|bias)', _LAYER + r'ffn.layers.0.0.\2'),
    (_BLOCK + r'mlp\.fc2\.(weight|bias)', _LAYER + r'ffn.layers.1.\2'),
    (_BLOCK + r'(?:gamma_2|ls2\.gamma)', _LAYER + 'ffn.gamma2.weight'),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
    (r'head\.(weight|bias)', r'head.layers.head.\1'),
]


def convert_deit3(checkpoint):
    """Convert an official DeiT III or a timm ``deit3_*`` checkpoint.

    Args:
        checkpoint (dict): The loaded checkpoint, wrapped (``{'model': sd}``,
            official) or bare (timm).

    Returns:
        OrderedDict: A state dict for an ``ImageClassifier`` with a
        :class:`~mmvit_ext.models.DeiT3` backbone and a
        ``VisionTransformerClsHead``.
    """
    return rename_keys(unwrap_state_dict(checkpoint), DEIT3_RULES,
                       'DeiT III')


DEIT_RULES = DEIT3_RULES + [
    (r'dist_token', 'backbone.dist_token'),
    (r'head_dist\.(weight|bias)', r'head.layers.head_dist.\1'),
]


def convert_deit(checkpoint):
    """Convert an official DeiT or a timm ``deit_*`` checkpoint, distilled
    (``dist_token``, ``head_dist``) or not.

    Returns:
        OrderedDict: A state dict for a :class:`~mmvit_ext.models.DeiT`
        backbone with a ``VisionTransformerClsHead`` or, distilled, a
        :class:`~mmvit_ext.models.DistillationClsHead`.
    """
    return rename_keys(unwrap_state_dict(checkpoint), DEIT_RULES, 'DeiT')


# ---------------------------------------------------------------- weights out
_OUR_LAYER = r'backbone\.layers\.(\d+)\.'
_BLOCK_OUT = r'blocks.\1.'


def _deit3_export_rules(layout):
    gammas = ('gamma_1', 'gamma_2') if layout == 'official' else \
        ('ls1.gamma', 'ls2.gamma')
    return [
        (r'backbone\.cls_token', 'cls_token'),
        (r'backbone\.pos_embed', 'pos_embed'),
        (r'backbone\.patch_embed\.projection\.(weight|bias)',
         r'patch_embed.proj.\1'),
        (_OUR_LAYER + r'ln1\.(weight|bias)', _BLOCK_OUT + r'norm1.\2'),
        (_OUR_LAYER + r'attn\.(qkv|proj)\.(weight|bias)',
         _BLOCK_OUT + r'attn.\2.\3'),
        (_OUR_LAYER + r'attn\.gamma1\.weight', _BLOCK_OUT + gammas[0]),
        (_OUR_LAYER + r'ln2\.(weight|bias)', _BLOCK_OUT + r'norm2.\2'),
        (_OUR_LAYER + r'ffn\.layers\.0\.0\.(weight|bias)',
         _BLOCK_OUT + r'mlp.fc1.\2'),
        (_OUR_LAYER + r'ffn\.layers\.1\.(weight|bias)',
         _BLOCK_OUT + r'mlp.fc2.\2'),
        (_OUR_LAYER + r'ffn\.gamma2\.weight', _BLOCK_OUT + gammas[1]),
        (r'backbone\.ln1\.(weight|bias)', r'norm.\1'),
        (r'head\.layers\.head\.(weight|bias)', r'head.\1'),
        # mmpretrain's LinearClsHead (the Fashion-MNIST configs).
        (r'head\.fc\.(weight|bias)', r'head.\1'),
    ]


_VITDET = {
    r'.*\.rel_pos_[hw]': "ViTDet's relative-position tables",
}


def export_deit3(state_dict, layout='timm'):
    """Our DeiT III state dict (``backbone.``/``head.`` keys) in timm's
    ``deit3_*`` layout or the official ``models_v2`` one (``layout``:
    ``'timm'`` or ``'official'``; they differ in LayerScale's names).

    Raises:
        CannotExpressError: The state dict holds a dist token or ViTDet's
            tables, which neither layout has.
    """
    check_layout(layout, {'timm', 'official'}, 'DeiT III')
    check_expressible(state_dict, {
        r'backbone\.dist_token': "a dist token (timm's and the official "
        'DeiT III have no slot for one)',
        r'head\.layers\.head_dist\..*': 'a distillation head',
        **_VITDET}, f'the {layout} DeiT III layout')
    return rename_keys(state_dict, _deit3_export_rules(layout), 'our DeiT III')


def export_deit(state_dict, layout='timm'):
    """Our DeiT state dict, distilled or not, in timm's ``deit_*`` layout,
    which is the official one (``layout``: ``'timm'`` or ``'official'``).

    Raises:
        CannotExpressError: The state dict holds ViTDet's tables.
    """
    check_layout(layout, {'timm', 'official'}, 'DeiT')
    check_expressible(state_dict, _VITDET, f'the {layout} DeiT layout')
    rules = [r for r in _deit3_export_rules(layout) if 'gamma' not in r[0]]
    return rename_keys(state_dict, rules + [
        (r'backbone\.dist_token', 'dist_token'),
        (r'head\.layers\.head_dist\.(weight|bias)', r'head_dist.\1'),
    ], 'our DeiT')
