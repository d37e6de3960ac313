"""FLOPs count attention: each model's count agrees with an analytic count
(one multiply-add is one FLOP; norms as mmengine counts them: 5 per element
for LayerNorm, 2 for an affine BatchNorm in eval), and with the papers'
figures where their counting includes attention."""
import pytest
import torch
from mmpretrain.apis import get_model

from mmvit_ext.analysis import flop_analyzer
from mmvit_ext.registry import MODELS


def count(model, size, by_operator=False):
    with torch.no_grad():
        analyzer = flop_analyzer(model.eval(),
                                 (torch.randn(1, 3, size, size), ))
        return analyzer.by_operator() if by_operator else analyzer.total()


def attention(N, C):
    """q k^T and attn v over N tokens of C channels (all heads)."""
    return 2 * N * N * C


def vit_block(N, C, F):
    """Pre-norm block: 2 LayerNorms, qkv, attention, proj, 2-layer FFN."""
    return 2 * 5 * N * C + 3 * N * C * C + attention(N, C) + N * C * C + \
        2 * N * C * F


def plain_vit(grid, C, L, F, patch, extra_tokens=1, heads=1, classes=1000):
    n = grid * grid
    N = n + extra_tokens
    return (n * C * 3 * patch * patch + L * vit_block(N, C, F) + 5 * N * C +
            heads * C * classes)


def pit(grid, dims, depths, patch, stride, tokens=1, classes=1000):
    total = grid * grid * dims[0] * 3 * patch * patch
    for i, (C, depth) in enumerate(zip(dims, depths)):
        if i:
            grid = (grid - 1) // 2 + 1  # 3x3 stride-2 pad-1 depthwise conv
            total += grid * grid * C * 9 + tokens * dims[i - 1] * C
        total += depth * vit_block(grid * grid + tokens, C, 4 * C)
    N = grid * grid + tokens
    return total + 5 * N * dims[-1] + tokens * dims[-1] * classes


CASES = {
    # (config, analytic count, the paper's figure in GFLOPs or None)
    'deit3-s': ('configs/deit3/deit3-s-p16_8xb256_in1k.py',
                plain_vit(14, 384, 12, 1536, 16), 4.6),
    'deit3-b': ('configs/deit3/deit3-b-p16_8xb256_in1k.py',
                plain_vit(14, 768, 12, 3072, 16), 17.6),
    'deit-ti-distilled': ('configs/deit/deit-ti-distilled_8xb128_in1k.py',
                          plain_vit(14, 192, 12, 768, 16, extra_tokens=2,
                                    heads=2), 1.3),
    'pit-s': ('configs/pit/pit-s_8xb128_in1k.py',
              pit(27, (144, 288, 576), (2, 6, 4), 16, 8), 2.9),
    'pit-b-distilled': ('configs/pit/pit-b-distilled_8xb128_in1k.py',
                        pit(31, (256, 512, 1024), (3, 6, 4), 14, 7,
                            tokens=2), 12.5),
    # DeepViT multiplies explicitly, and re-attention adds a 1x1 conv over
    # the heads of each N x N map, and its BatchNorm.
    'deepvit-16b': ('configs/deepvit/deepvit-16b_16xb32_in1k.py',
                    plain_vit(14, 384, 16, 1152, 16) +
                    16 * (12 * 12 + 2 * 12) * 197 * 197, None),
}


@pytest.mark.parametrize('config,expected,paper', CASES.values(),
                         ids=CASES.keys())
def test_flops_match_the_analytic_count(config, expected, paper, repo_root):
    model = get_model(f'{repo_root}/{config}', teacher=None) \
        if 'distilled' in config else get_model(f'{repo_root}/{config}')
    got = count(model, 224)
    assert got == pytest.approx(expected, rel=0.01)
    if paper is not None:  # the papers round to 0.1G
        assert round(got / 1e9, 1) == pytest.approx(paper, abs=0.1)


def test_ceit_backbone_flops_match_the_analytic_count():
    C, F, L, Cs = 192, 768, 3, 32
    model = MODELS.build(dict(type='CeiT', arch=dict(
        embed_dims=C, num_layers=L, num_heads=3, mlp_ratio=4),
        stem_cfg=dict(stem_channels=Cs), img_size=224))
    stem = 112 * 112 * Cs * (3 * 49 + 2) + 14 * 14 * C * Cs * 16
    n, N = 196, 197
    leff = (5 * N * C + n * C * F + 2 * n * F + n * F * 9 + 2 * n * F +
            n * F * C + 2 * n * C)
    attn = 5 * N * C + 4 * N * C * C + attention(N, C)
    expected = stem + L * (attn + leff) + 5 * N * C
    assert count(model, 224) == pytest.approx(expected, rel=0.01)


def test_sdpa_is_counted_exactly():
    """DeiT III-S: 12 blocks of 6 heads over 197 tokens, 64 channels each."""
    model = MODELS.build(dict(type='DeiT3', arch='s'))
    ops = count(model, 224, by_operator=True)
    assert ops['scaled_dot_product_attention'] == 12 * 6 * 197 * 197 * 128


def vitdet_block(grid, C, F, window=0):
    """A ViTDet block with decomposed relative positions: attention within
    windows of the grid zero-padded to whole windows (qkv and proj run on
    the padding too), plus q against each axis' table (two einsums)."""
    n = grid * grid
    if not window:
        return vit_block(n, C, F) + 2 * n * grid * C
    padded = -(-grid // window) * window
    windows, w = (padded // window)**2, window * window
    return (2 * 5 * n * C + 4 * padded * padded * C * C +
            windows * attention(w, C) + windows * 2 * w * window * C +
            2 * n * C * F)


@pytest.mark.parametrize('grid,C,heads,F,window', [
    (7, 32, 2, 64, 3),  # tiny: 3x3 windows over the 7x7 grid padded to 9x9
    (64, 768, 12, 3072, 14),  # DeiT III-B at 1024x1024, ViTDet's windows
])
@pytest.mark.slow
def test_vitdet_flops_match_the_analytic_count(grid, C, heads, F, window):
    """Windows, padding and relative positions are all counted; for
    DeiT III-B at 1024 px (blocks 2, 5, 8, 11 global) within 1%."""
    L, patch = 12 if C == 768 else 3, 16 if C == 768 else 8
    global_blocks = (2, 5, 8, 11) if L == 12 else (2, )
    model = MODELS.build(dict(
        type='DeiT3', arch=dict(embed_dims=C, num_layers=L, num_heads=heads,
                                feedforward_channels=F),
        patch_size=patch, img_size=grid * patch, out_type='featmap',
        window_size=window, global_attn_indexes=global_blocks,
        use_rel_pos=True))
    n = grid * grid
    expected = n * C * 3 * patch * patch + 5 * n * C + sum(
        vitdet_block(grid, C, F, 0 if i in global_blocks else window)
        for i in range(L))
    got = count(model, grid * patch)
    if C == 768:
        assert got == pytest.approx(expected, rel=0.01)
    else:
        assert got == expected
