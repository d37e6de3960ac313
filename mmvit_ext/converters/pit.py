import torch

from .utils import check_layout, rename_keys, unwrap_state_dict

_BLOCK = r'transformers\.(\d+)\.blocks\.(\d+)\.'
_OURS = r'backbone.stages.\1.blocks.\2.'
PIT_RULES = [
    (r'pos_embed', 'backbone.pos_embed'),
    (r'cls_token', 'backbone.cls_token'),
    (r'dist_token', 'backbone.dist_token'),
    (r'patch_embed\.conv\.(weight|bias)', r'backbone.patch_embed.\1'),
    # naver-ai/pit keeps the poolings apart: ``pools.i`` precedes stage i+1.
    (r'pools\.(\d+)\.(conv|fc)\.(weight|bias)',
     lambda m: f'backbone.stages.{int(m[1]) + 1}.pool.{m[2]}.{m[3]}'),
    (r'transformers\.(\d+)\.pool\.(conv|fc)\.(weight|bias)',
     r'backbone.stages.\1.pool.\2.\3'),
    (_BLOCK + r'norm1\.(weight|bias)', _OURS + r'ln1.\3'),
    (_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)', _OURS + r'attn.\3.\4'),
    (_BLOCK + r'norm2\.(weight|bias)', _OURS + r'ln2.\3'),
    (_BLOCK + r'mlp\.fc1\.(weight|bias)', _OURS + r'ffn.layers.0.0.\3'),
    (_BLOCK + r'mlp\.fc2\.(weight|bias)', _OURS + r'ffn.layers.1.\3'),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
    (r'head\.(weight|bias)', r'head.layers.head.\1'),
    (r'head_dist\.(weight|bias)', r'head.layers.head_dist.\1'),
]


def convert_pit(checkpoint):
    """Convert a timm ``pit_*`` or a naver-ai/pit checkpoint.

    Both store the class and distillation tokens together as ``cls_token`` of
    shape (1, T, C); ours has ``cls_token`` and ``dist_token``.

    Returns:
        OrderedDict: A state dict for an ``ImageClassifier`` with a
        :class:`~mmvit_ext.models.PiT` backbone and a
        ``VisionTransformerClsHead`` (or ``DeiTClsHead`` when distilled).
    """
    state_dict = dict(unwrap_state_dict(checkpoint))
    tokens = state_dict.pop('cls_token')
    if tokens.shape[1] not in (1, 2):
        raise ValueError(f'PiT cls_token of shape {tuple(tokens.shape)} '
                         'holds neither 1 nor 2 tokens')
    state_dict['cls_token'] = tokens[:, :1]
    if tokens.shape[1] == 2:
        state_dict['dist_token'] = tokens[:, 1:]
    return rename_keys(state_dict, PIT_RULES, 'PiT')


# ---------------------------------------------------------------- weights out
_OUR_BLOCK = r'backbone\.stages\.(\d+)\.blocks\.(\d+)\.'
_THEIR_BLOCK = r'transformers.\1.blocks.\2.'


def export_pit(state_dict, layout='timm'):
    """Our PiT state dict (``backbone.``/``head.`` keys), distilled or not,
    in timm's ``pit_*`` layout or naver-ai/pit's (``layout``: ``'timm'`` or
    ``'official'``). Both keep the class and dist tokens together as one
    ``cls_token`` (1, T, C); naver-ai/pit keeps the poolings apart as
    ``pools.i`` (before stage i + 1), timm inside the stage they start.
    """
    check_layout(layout, {'timm', 'official'}, 'PiT')
    state_dict = dict(state_dict)
    tokens = [state_dict.pop('backbone.cls_token')]
    if 'backbone.dist_token' in state_dict:
        tokens.append(state_dict.pop('backbone.dist_token'))
    state_dict['backbone.cls_token'] = torch.cat(tokens, dim=1)
    pool = (lambda m: f'pools.{int(m[1]) - 1}.{m[2]}.{m[3]}') \
        if layout == 'official' else r'transformers.\1.pool.\2.\3'
    return rename_keys(state_dict, [
        (r'backbone\.pos_embed', 'pos_embed'),
        (r'backbone\.cls_token', 'cls_token'),
        (r'backbone\.patch_embed\.(weight|bias)', r'patch_embed.conv.\1'),
        (r'backbone\.stages\.(\d+)\.pool\.(conv|fc)\.(weight|bias)', pool),
        (_OUR_BLOCK + r'ln1\.(weight|bias)', _THEIR_BLOCK + r'norm1.\3'),
        (_OUR_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)',
         _THEIR_BLOCK + r'attn.\3.\4'),
        (_OUR_BLOCK + r'ln2\.(weight|bias)', _THEIR_BLOCK + r'norm2.\3'),
        (_OUR_BLOCK + r'ffn\.layers\.0\.0\.(weight|bias)',
         _THEIR_BLOCK + r'mlp.fc1.\3'),
        (_OUR_BLOCK + r'ffn\.layers\.1\.(weight|bias)',
         _THEIR_BLOCK + r'mlp.fc2.\3'),
        (r'backbone\.ln1\.(weight|bias)', r'norm.\1'),
        (r'head\.layers\.head\.(weight|bias)', r'head.\1'),
        # mmpretrain's LinearClsHead (the Fashion-MNIST configs).
        (r'head\.fc\.(weight|bias)', r'head.\1'),
        (r'head\.layers\.head_dist\.(weight|bias)', r'head_dist.\1'),
    ], 'our PiT')
