"""CeiT and the LCA head: official-code parity, the paper's sizes, LeFF's
class-token bypass, and LCA on any backbone that yields per-layer tokens."""
import os

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.apis import get_model

from mmvit_ext.converters import convert_ceit
from mmvit_ext.models import CeiT
from mmvit_ext.models.backbones.ceit import Image2Tokens, LeFF
from mmvit_ext.registry import MODELS
from parity_utils import load_official_fixture

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'ceit')


def lca_classifier(backbone, num_layers, channels, num_heads, classes=10):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(backbone, out_type='cls_token',
                          out_indices=list(range(num_layers)),
                          final_norm=False),
            head=dict(type='mmvit_ext.LCAClsHead', num_classes=classes,
                      in_channels=channels, num_layers=num_layers,
                      num_heads=num_heads, mlp_ratio=2)))


def tiny_ceit(**kwargs):
    return dict(type='mmvit_ext.CeiT', img_size=64,
                arch=dict(embed_dims=48, num_layers=3, num_heads=4,
                          mlp_ratio=2),
                stem_cfg=dict(stem_channels=16), **kwargs)


def test_official_logits_tiny():
    state_dict, x, expected = load_official_fixture(
        os.path.join(FIXTURES, 'tiny.pth'))
    model = lca_classifier(tiny_ceit(), 3, 48, 4).eval()
    model.load_state_dict(convert_ceit(state_dict), strict=True)
    with torch.no_grad():
        got = model(x, mode='tensor')
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_official_logits_ceit_tiny_224(repo_root):
    state_dict, x, expected = load_official_fixture(
        os.path.join(FIXTURES, 'ceit_tiny_224.pth'))
    model = get_model(f'{repo_root}/configs/ceit/ceit-t_8xb128_in1k.py')
    model.load_state_dict(convert_ceit(state_dict), strict=True)
    with torch.no_grad():
        got = model.eval()(x, mode='tensor')
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('arch,millions', [('t', 6.4), ('s', 24.2),
                                           ('b', 94.4)])
def test_param_counts_match_the_paper(arch, millions, repo_root):
    with torch.device('meta'):
        model = get_model(f'{repo_root}/configs/ceit/ceit-{arch}'
                          '_8xb128_in1k.py')
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(millions, rel=0.01)


def test_featmap_on_a_non_square_input():
    """The I2T stem (stride 4) and its 4x4 patches give a stride-16 grid:
    14 x 20 tokens for a 224 x 320 image, mapped row by row."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_ceit(out_type='raw')).eval()
    x = torch.randn(1, 3, 224, 320)
    with torch.no_grad():
        model.out_type = 'raw'
        raw = model(x)[0]
        model.out_type = 'featmap'
        out = model(x)[0]
    assert out.shape == (1, 48, 14, 20)
    torch.testing.assert_close(out.flatten(2).transpose(1, 2), raw[:, 1:])


@pytest.mark.parametrize('size', [(64, 64), (60, 76)])
def test_i2t_stem_channels_last_matches_nchw(size):
    """On a CPU the stem runs channels-last: the same tokens and gradients
    as the plain NCHW ops (a pad for the 60x76 input), in training mode
    (batch statistics) and contiguous."""
    torch.manual_seed(0)
    stem = Image2Tokens(3, 32, stem_channels=16)
    x = torch.randn(2, 3, *size, requires_grad=True)
    tokens, hw = stem(x)
    assert tokens.is_contiguous()

    x_ref = x.detach().clone().requires_grad_()
    y = stem.maxpool(F.batch_norm(
        F.conv2d(x_ref, stem.conv.weight, stride=2, padding=3), None, None,
        stem.bn.weight, stem.bn.bias, training=True, eps=stem.bn.eps))
    y = F.pad(y, (0, -y.shape[-1] % 4, 0, -y.shape[-2] % 4))
    ref = stem.projection(y).flatten(2).transpose(1, 2)
    assert hw == tuple(s // 4 for s in y.shape[-2:]) == stem.out_size(size)
    torch.testing.assert_close(tokens, ref)
    grad = torch.randn_like(ref)
    got = torch.autograd.grad(tokens, [x, stem.conv.weight], grad)
    want = torch.autograd.grad(ref, [x_ref, stem.conv.weight], grad)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_leff_passes_the_class_tokens_through():
    leff = LeFF(16, 32, num_extra_tokens=2).eval()
    x = torch.randn(2, 2 + 3 * 5, 16)
    out = leff(x, (3, 5))
    torch.testing.assert_close(out[:, :2], x[:, :2])
    assert not torch.allclose(out[:, 2:], x[:, 2:])


def test_leff_options():
    """``leff_kernel_size`` is the depthwise convolution's reach over the
    token grid, and ``leff_with_bn=False`` leaves no batch statistics."""
    torch.manual_seed(0)
    model = CeiT(arch=dict(embed_dims=16, num_layers=1, num_heads=2,
                           mlp_ratio=2), img_size=64, leff_kernel_size=5,
                 leff_with_bn=False, stem_cfg=dict(stem_channels=8))
    leff = model.layers[0].leff
    x = torch.randn(2, 1 + 7 * 7, 16)
    with torch.no_grad():
        out = leff.train()(x, (7, 7))
        # No BatchNorm: training and evaluation give the same numbers, and
        # no image of the batch depends on another.
        torch.testing.assert_close(leff.eval()(x, (7, 7)), out)
        torch.testing.assert_close(leff(x[:1], (7, 7)), out[:1])
        # A 5x5 kernel: a token two rows and columns away from the centre
        # (3, 3) reaches it, one three away does not.
        for offset, reaches in ((2, True), (3, False)):
            moved = x.clone()
            moved[:, 1 + (3 + offset) * 7 + 3 + offset] += 1
            changed = leff(moved, (7, 7))[:, 1 + 3 * 7 + 3]
            assert torch.allclose(changed, out[:, 1 + 3 * 7 + 3]) != \
                reaches, offset


@pytest.mark.parametrize('backbone', [
    tiny_ceit(),
    dict(type='mmvit_ext.DeiT3', img_size=32, patch_size=8,
         arch=dict(embed_dims=48, num_layers=3, num_heads=4,
                   feedforward_channels=96)),
], ids=['ceit', 'deit3'])
def test_lca_head_trains(backbone):
    """A few steps on a fixed batch fit it: the loss falls and every head
    parameter gets a gradient."""
    torch.manual_seed(0)
    model = lca_classifier(backbone, 3, 48, 4)
    model.init_weights()
    size = backbone['img_size']
    x = torch.randn(8, 3, size, size)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i % 10) for i in range(8)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(30):
        loss = model(x, samples, mode='loss')['loss']
        optimizer.zero_grad()
        loss.backward()
        if step == 0:
            for name, p in model.head.named_parameters():
                assert p.grad is not None and p.grad.abs().sum() > 0, name
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_lca_head_checks_the_number_of_tokens():
    model = lca_classifier(tiny_ceit(), 3, 48, 4)
    model.backbone.out_indices = (2, )
    with pytest.raises(ValueError, match='expects 3 class tokens'):
        model(torch.randn(1, 3, 64, 64), mode='tensor')
