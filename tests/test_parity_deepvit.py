"""DeepViT parity with fixtures made by the official code, and the options
the official code does not have."""
import os

import pytest
import torch
from mmpretrain.apis import get_model

from mmvit_ext.converters import convert_deepvit
from mmvit_ext.models import DeepViT
from mmvit_ext.registry import MODELS
from parity_utils import load_official_fixture

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'deepvit')


def tiny_classifier(**backbone):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='mmvit_ext.DeepViT', img_size=32, patch_size=8,
                          **backbone),
            head=dict(type='VisionTransformerClsHead', num_classes=10,
                      in_channels=48)))


TINY = dict(embed_dims=48, num_heads=4, mlp_ratio=3)
CASES = {
    'tiny_16b': lambda _: tiny_classifier(
        arch=dict(TINY, num_layers=3, re_attention=True)),
    'tiny_s': lambda _: tiny_classifier(
        arch=dict(TINY, num_layers=4, re_attention=2, patch_embed='cnn',
                  scale_adjustment=0.5, transform_scale=True)),
    '16b_224': lambda root: get_model(
        f'{root}/configs/deepvit/deepvit-16b_16xb32_in1k.py'),
    's_224': lambda root: get_model(
        f'{root}/configs/deepvit/deepvit-s_16xb32_in1k.py'),
}


@pytest.mark.parametrize('name', list(CASES))
def test_official_logits(name, repo_root):
    state_dict, x, expected = load_official_fixture(
        os.path.join(FIXTURES, f'{name}.pth'))
    model = CASES[name](repo_root).eval()
    model.load_state_dict(convert_deepvit(state_dict), strict=True)
    with torch.no_grad():
        logits = model(x, mode='tensor')
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('arch,millions', [('16b', 24.5), ('24b', 36.3),
                                           ('32b', 48.1)])
def test_param_counts_match_the_paper(arch, millions, repo_root):
    with torch.device('meta'):
        model = get_model(
            f'{repo_root}/configs/deepvit/deepvit-{arch}_16xb32_in1k.py')
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(millions, rel=0.01)


def test_re_attention_placement():
    arch = dict(embed_dims=16, num_layers=4, num_heads=2, mlp_ratio=2)
    for spec, expect in [(True, [True] * 4), (False, [False] * 4),
                         (1, [False, False, False, True]),
                         ([True, False, True, False], [1, 0, 1, 0])]:
        model = DeepViT(arch=arch, img_size=16, patch_size=8,
                        re_attention=spec)
        assert [layer.attn.re_attention
                for layer in model.layers] == [bool(e) for e in expect]
        assert [hasattr(layer.attn, 'theta')
                for layer in model.layers] == [bool(e) for e in expect]
    assert DeepViT(arch='s', img_size=32).re_attention == \
        [False] * 11 + [True] * 5
    with pytest.raises(ValueError, match='re_attention 5'):
        DeepViT(arch=arch, re_attention=5)


def test_update_drop_path_follows_the_formula():
    model = DeepViT(arch=dict(embed_dims=16, num_layers=5, num_heads=2,
                              mlp_ratio=2), img_size=16, patch_size=8,
                    drop_path_rate=0.1)
    before = [layer.drop_path.drop_prob for layer in model.layers]
    assert before == pytest.approx([0, 0.025, 0.05, 0.075, 0.1])
    model.update_drop_path(0.2)
    after = [layer.drop_path.drop_prob for layer in model.layers]
    assert after == pytest.approx(
        [p + i * 0.2 / 4 for i, p in enumerate(before)])


def test_linear_patch_embed_equals_conv_with_the_same_weights():
    arch = dict(embed_dims=16, num_layers=1, num_heads=2, mlp_ratio=2)
    torch.manual_seed(0)
    conv = DeepViT(arch=arch, img_size=32, patch_size=8,
                   patch_embed='conv').eval()
    linear = DeepViT(arch=arch, img_size=32, patch_size=8,
                     patch_embed='linear').eval()
    state = conv.state_dict()
    w = state.pop('patch_embed.projection.weight')  # (C, in, p, p)
    state['patch_embed.projection.weight'] = w.flatten(1)
    linear.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        torch.testing.assert_close(linear(x)[0], conv(x)[0])


def test_post_norm_order():
    """``ln_order='residual'`` is norm(x + f(x)) for each branch."""
    torch.manual_seed(0)
    model = DeepViT(arch=dict(embed_dims=16, num_layers=1, num_heads=2,
                              mlp_ratio=2), img_size=16, patch_size=8,
                    ln_order='residual', out_type='raw',
                    final_norm=False).eval()
    block = model.layers[0]
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        y = block.ln1(x + block.attn(x))
        y = block.ln2(y + block.ffn(y))
        torch.testing.assert_close(block(x), y)
    with pytest.raises(ValueError, match="ln_order 'post'"):
        DeepViT(arch='16b', ln_order='post')


def test_layer_scale_option():
    model = DeepViT(arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                              mlp_ratio=2), img_size=16, patch_size=8,
                    layer_scale_init_value=0.1)
    gamma = model.layers[0].gamma1.weight
    torch.testing.assert_close(gamma, torch.full((16, ), 0.1))
