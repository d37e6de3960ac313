from .utils import rename_keys, unwrap_state_dict

_BLOCK = r'blocks\.(\d+)\.'
_LAYER = r'backbone.layers.\1.'
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
CEIT_RULES = [
    (r'cls_token', 'backbone.cls_token'),
    (r'pos_embed', 'backbone.pos_embed'),
    (r'i2t\.backbone\.conv\.weight', 'backbone.patch_embed.conv.weight'),
    (r'i2t\.backbone\.bn\.' + _BN, r'backbone.patch_embed.bn.\1'),
    (r'i2t\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (_BLOCK + r'norm1\.(weight|bias)', _LAYER + r'ln1.\2'),
    (_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)', _LAYER + r'attn.\2.\3'),
    (_BLOCK + r'norm2\.(weight|bias)', _LAYER + r'ln2.\2'),
    (_BLOCK + r'leff\.(conv[123])\.(weight|bias)', _LAYER + r'leff.\2.\3'),
    (_BLOCK + r'leff\.(bn[123])\.' + _BN, _LAYER + r'leff.\2.\3'),
    # Layer-wise class-token attention lives in the head.
    (r'lca\.norm1\.(weight|bias)', r'head.lca.ln1.\1'),
    (r'lca\.attn\.(qkv|proj)\.(weight|bias)', r'head.lca.attn.\1.\2'),
    (r'lca\.norm2\.(weight|bias)', r'head.lca.ln2.\1'),
    (r'lca\.feedforward\.fc1\.(weight|bias)', r'head.lca.ffn.layers.0.0.\1'),
    (r'lca\.feedforward\.fc2\.(weight|bias)', r'head.lca.ffn.layers.1.\1'),
    (r'pos_layer_embed', 'head.pos_layer_embed'),
    (r'norm\.(weight|bias)', r'head.norm.\1'),
    (r'head\.(weight|bias)', r'head.fc.\1'),
]


def convert_ceit(checkpoint):
    """Convert an official CeiT (coeusguo/ceit) checkpoint.

    The backbone keys go to ``backbone.*``; the layer-wise class-token
    attention, its layer-position embedding, the final norm and the
    classifier go to ``head.*`` of :class:`~mmvit_ext.models.LCAClsHead`.
    """
    return rename_keys(unwrap_state_dict(checkpoint), CEIT_RULES, 'CeiT')
