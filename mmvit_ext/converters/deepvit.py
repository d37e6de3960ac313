from .utils import (check_expressible, check_layout, rename_keys,
                    unwrap_state_dict)

_BLOCK = r'blocks\.(\d+)\.'
_LAYER = r'backbone.layers.\1.'
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
DEEPVIT_RULES = [
    (r'cls_token', 'backbone.cls_token'),
    (r'pos_embed', 'backbone.pos_embed'),
    (r'patch_embed\.proj\.(weight|bias)',
     r'backbone.patch_embed.projection.\1'),
    # The CNN stem of DeepViT-S/L.
    (r'patch_embed\.conv1\.weight', 'backbone.patch_embed.stem.0.weight'),
    (r'patch_embed\.bn1\.' + _BN, r'backbone.patch_embed.stem.1.\1'),
    (r'patch_embed\.conv2\.weight', 'backbone.patch_embed.stem.3.weight'),
    (r'patch_embed\.bn2\.' + _BN, r'backbone.patch_embed.stem.4.\1'),
    (_BLOCK + r'norm1\.(weight|bias)', _LAYER + r'ln1.\2'),
    (_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)', _LAYER + r'attn.\2.\3'),
    (_BLOCK + r'attn\.reatten_matrix\.(weight|bias)',
     _LAYER + r'attn.theta.\2'),
    (_BLOCK + r'attn\.var_norm\.' + _BN, _LAYER + r'attn.theta_norm.\2'),
    (_BLOCK + r'norm2\.(weight|bias)', _LAYER + r'ln2.\2'),
    (_BLOCK + r'mlp\.fc1\.(weight|bias)', _LAYER + r'ffn.layers.0.0.\2'),
    (_BLOCK + r'mlp\.fc2\.(weight|bias)', _LAYER + r'ffn.layers.1.\2'),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
    (r'head\.(weight|bias)', r'head.layers.head.\1'),
]


def convert_deepvit(checkpoint):
    """Convert an official DeepViT (zhoudaquan/dvit_repo) checkpoint.

    Re-attention's Θ (``reatten_matrix``) becomes ``attn.theta`` and its
    BatchNorm (``var_norm``) ``attn.theta_norm``.

    Returns:
        OrderedDict: A state dict for an ``ImageClassifier`` with a
        :class:`~mmvit_ext.models.DeepViT` backbone and a
        ``VisionTransformerClsHead``.
    """
    return rename_keys(unwrap_state_dict(checkpoint), DEEPVIT_RULES,
                       'DeepViT')


# ---------------------------------------------------------------- weights out
_OUR_LAYER = r'backbone\.layers\.(\d+)\.'
_BLOCK_OUT = r'blocks.\1.'


def export_deepvit(state_dict, layout='official'):
    """Our DeepViT state dict in zhoudaquan/dvit_repo's layout, the inverse
    of :func:`convert_deepvit`. timm has no DeepViT, so ``layout`` is
    ``'official'``.

    Raises:
        CannotExpressError: The state dict holds a dist token or LayerScale
            gammas, which the official model has no place for.
    """
    check_layout(layout, {'official'}, 'DeepViT (timm has no DeepViT)')
    check_expressible(state_dict, {
        r'backbone\.dist_token': 'a dist token',
        r'.*\.gamma[12]\.weight': 'LayerScale (layer_scale_init_value)',
    }, "zhoudaquan/dvit_repo's layout")
    return rename_keys(state_dict, [
        (r'backbone\.cls_token', 'cls_token'),
        (r'backbone\.pos_embed', 'pos_embed'),
        (r'backbone\.patch_embed\.projection\.(weight|bias)',
         r'patch_embed.proj.\1'),
        (r'backbone\.patch_embed\.stem\.0\.weight', 'patch_embed.conv1.weight'),
        (r'backbone\.patch_embed\.stem\.1\.' + _BN, r'patch_embed.bn1.\1'),
        (r'backbone\.patch_embed\.stem\.3\.weight', 'patch_embed.conv2.weight'),
        (r'backbone\.patch_embed\.stem\.4\.' + _BN, r'patch_embed.bn2.\1'),
        (_OUR_LAYER + r'ln1\.(weight|bias)', _BLOCK_OUT + r'norm1.\2'),
        (_OUR_LAYER + r'attn\.(qkv|proj)\.(weight|bias)',
         _BLOCK_OUT + r'attn.\2.\3'),
        (_OUR_LAYER + r'attn\.theta\.(weight|bias)',
         _BLOCK_OUT + r'attn.reatten_matrix.\2'),
        (_OUR_LAYER + r'attn\.theta_norm\.' + _BN,
         _BLOCK_OUT + r'attn.var_norm.\2'),
        (_OUR_LAYER + r'ln2\.(weight|bias)', _BLOCK_OUT + r'norm2.\2'),
        (_OUR_LAYER + r'ffn\.layers\.0\.0\.(weight|bias)',
         _BLOCK_OUT + r'mlp.fc1.\2'),
        (_OUR_LAYER + r'ffn\.layers\.1\.(weight|bias)',
         _BLOCK_OUT + r'mlp.fc2.\2'),
        (r'backbone\.ln1\.(weight|bias)', r'norm.\1'),
        (r'head\.layers\.head\.(weight|bias)', r'head.\1'),
        # mmpretrain's LinearClsHead (the Fashion-MNIST configs).
        (r'head\.fc\.(weight|bias)', r'head.\1'),
    ], 'our DeepViT')
