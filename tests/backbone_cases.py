"""Small configurations of every registered backbone for the generic suite.

Each case is a config for ``mmvit_ext.registry.MODELS``, the input size it
is built for, and the attribute that holds what ``out_indices`` and
``frozen_stages`` count (blocks for plain ViTs, stages for PiT), and
whether it has a class token. Add a
backbone here and the whole capability suite in ``test_backbones.py`` runs
on it.
"""
from dataclasses import dataclass

import pytest


@dataclass
class Case:
    cfg: dict
    img_size: int
    stages: str = 'layers'
    #: False for ViTDet's blocks, which attend over patch tokens only.
    cls_token: bool = True


TINY_DEIT3 = dict(
    type='DeiT3',
    arch=dict(
        embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8)

TINY_PIT = dict(
    type='PiT',
    arch=dict(
        embed_dims=(16, 32, 64), depths=(1, 2, 1), num_heads=(2, 2, 4),
        patch_size=8, stride=4),
    img_size=48)

TINY_DEEPVIT = dict(
    type='DeepViT',
    arch=dict(embed_dims=32, num_layers=3, num_heads=4, mlp_ratio=2,
              re_attention=2),
    img_size=32,
    patch_size=8)

TINY_CEIT = dict(
    type='CeiT',
    arch=dict(embed_dims=32, num_layers=3, num_heads=2, mlp_ratio=2),
    stem_cfg=dict(stem_channels=8),
    img_size=64)

CASES = {
    'deit3': Case(TINY_DEIT3, 32),
    'deit3-dist': Case(dict(TINY_DEIT3, with_dist_token=True), 32),
    'deit3-no-ls': Case(dict(TINY_DEIT3, use_layer_scale=False), 32),
    # ViTDet: 3x3 windows on the 4x4 grid (padded to 6x6), the last block
    # global, random relative-position tables.
    'deit3-vitdet': Case(
        dict(TINY_DEIT3, window_size=3, global_attn_indexes=(-1, ),
             use_rel_pos=True, rel_pos_zero_init=False, out_type='featmap'),
        32,
        cls_token=False),
    'deepvit': Case(TINY_DEEPVIT, 32),
    'deepvit-cnn-stem': Case(
        dict(TINY_DEEPVIT, patch_embed='cnn', scale_adjustment=0.5,
             transform_scale=True, with_dist_token=True), 32),
    'deepvit-linear-post-norm': Case(
        dict(TINY_DEEPVIT, patch_embed='linear', ln_order='residual',
             layer_scale_init_value=0.1), 32),
    'ceit': Case(TINY_CEIT, 64),
    'ceit-dist-no-bn': Case(
        dict(TINY_CEIT, with_dist_token=True, leff_with_bn=False), 64),
    'pit': Case(TINY_PIT, 48, 'stages'),
    'pit-dist': Case(dict(TINY_PIT, with_dist_token=True), 48, 'stages'),
}


def params(ids=None):
    return [pytest.param(CASES[i], id=i) for i in (ids or CASES)]
