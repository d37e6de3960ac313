from .utils import rename_keys, unwrap_state_dict

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
