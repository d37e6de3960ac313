"""Small configurations of every registered backbone for the generic suite.

Each case is a config dict for ``mmvit_ext.registry.MODELS`` plus the input
size it is built for. Add a backbone here and the whole capability suite in
``test_backbones.py`` runs on it.
"""
import pytest

TINY_DEIT3 = dict(
    type='DeiT3',
    arch=dict(
        embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8)

# id -> (config, img_size)
CASES = {
    'deit3': (TINY_DEIT3, 32),
    'deit3-dist': (dict(TINY_DEIT3, with_dist_token=True), 32),
    'deit3-no-ls': (dict(TINY_DEIT3, use_layer_scale=False), 32),
}

# Cases with a plain (single-scale) token layout: blocks, patch stride, an
# optional cls/dist token.
TOKEN_CASES = list(CASES)


def params(ids):
    return [pytest.param(CASES[i], id=i) for i in ids]
