from .utils import (check_expressible, check_layout, rename_keys,
                    unwrap_state_dict)

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


# ---------------------------------------------------------------- weights out
_OUR_LAYER = r'backbone\.layers\.(\d+)\.'
_BLOCK_OUT = r'blocks.\1.'


def export_ceit(state_dict, layout='official'):
    """Our CeiT state dict (a CeiT backbone with an ``LCAClsHead``) in
    coeusguo/ceit's layout, the inverse of :func:`convert_ceit`. timm has no
    CeiT, so ``layout`` is ``'official'``.

    Raises:
        CannotExpressError: The backbone has a final norm of its own
            (``backbone.ln1``), which the official model, whose norm follows
            the LCA, has no place for.
    """
    check_layout(layout, {'official'}, 'CeiT (timm has no CeiT)')
    check_expressible(state_dict, {
        r'backbone\.ln1\..*': 'a final norm on the tokens (final_norm=True); '
        "the official model's norm follows the LCA",
    }, "coeusguo/ceit's layout")
    return rename_keys(state_dict, [
        (r'backbone\.cls_token', 'cls_token'),
        (r'backbone\.pos_embed', 'pos_embed'),
        (r'backbone\.patch_embed\.conv\.weight', 'i2t.backbone.conv.weight'),
        (r'backbone\.patch_embed\.bn\.' + _BN, r'i2t.backbone.bn.\1'),
        (r'backbone\.patch_embed\.projection\.(weight|bias)',
         r'i2t.proj.\1'),
        (_OUR_LAYER + r'ln1\.(weight|bias)', _BLOCK_OUT + r'norm1.\2'),
        (_OUR_LAYER + r'attn\.(qkv|proj)\.(weight|bias)',
         _BLOCK_OUT + r'attn.\2.\3'),
        (_OUR_LAYER + r'ln2\.(weight|bias)', _BLOCK_OUT + r'norm2.\2'),
        (_OUR_LAYER + r'leff\.(conv[123])\.(weight|bias)',
         _BLOCK_OUT + r'leff.\2.\3'),
        (_OUR_LAYER + r'leff\.(bn[123])\.' + _BN, _BLOCK_OUT + r'leff.\2.\3'),
        (r'head\.lca\.ln1\.(weight|bias)', r'lca.norm1.\1'),
        (r'head\.lca\.attn\.(qkv|proj)\.(weight|bias)', r'lca.attn.\1.\2'),
        (r'head\.lca\.ln2\.(weight|bias)', r'lca.norm2.\1'),
        (r'head\.lca\.ffn\.layers\.0\.0\.(weight|bias)',
         r'lca.feedforward.fc1.\1'),
        (r'head\.lca\.ffn\.layers\.1\.(weight|bias)',
         r'lca.feedforward.fc2.\1'),
        (r'head\.pos_layer_embed', 'pos_layer_embed'),
        (r'head\.norm\.(weight|bias)', r'norm.\1'),
        (r'head\.fc\.(weight|bias)', r'head.\1'),
    ], 'our CeiT')
