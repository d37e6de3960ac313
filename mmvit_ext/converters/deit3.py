from .utils import rename_keys, unwrap_state_dict

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
