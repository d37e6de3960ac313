"""PiT specifics: the feature pyramid and the 4-D position embedding."""
import pytest
import torch

from mmvit_ext.models import PiT


def test_pit_pyramid_on_a_non_square_input():
    """PiT-S's stem (kernel 16, stride 8, no padding) and poolings (3x3,
    stride 2, padding 1, rounding up) on a non-square input, on PiT-S's
    stem with tiny stages."""
    torch.manual_seed(0)
    model = PiT(arch=dict(embed_dims=(16, 32, 64), depths=(1, 1, 1),
                          num_heads=(2, 2, 2), patch_size=16, stride=8),
                out_type='featmap', out_indices=(0, 1, 2)).eval()
    x = torch.randn(1, 3, 96, 136)
    with torch.no_grad():
        feats = model(x)
        model.out_type = 'raw'
        raws = model(x)
    # (96 - 16) / 8 + 1 = 11 by (136 - 16) / 8 + 1 = 16, then halved.
    assert [tuple(f.shape) for f in feats] == [(1, 16, 11, 16),
                                               (1, 32, 6, 8),
                                               (1, 64, 3, 4)]
    for feat, raw in zip(feats, raws):
        torch.testing.assert_close(feat.flatten(2).transpose(1, 2),
                                   raw[:, 1:])
    assert [f['reduction'] for f in model.feature_info] == [8, 16, 32]
    with torch.device('meta'):
        pit_s = PiT(arch='s', out_indices=(0, 1, 2))
    assert pit_s.out_channels == [144, 288, 576]
    assert pit_s.out_strides == [8, 16, 32]


@pytest.mark.parametrize('arch,dims', [('ti', (64, 128, 256)),
                                       ('xs', (96, 192, 384)),
                                       ('s', (144, 288, 576)),
                                       ('b', (256, 512, 1024))])
def test_variants(arch, dims):
    with torch.device('meta'):
        model = PiT(arch=arch)
    assert tuple(model.embed_dims) == dims
    assert (model.patch_size, model.stride) == \
        ((14, 7) if arch == 'b' else (16, 8))


def test_base_dims_give_embed_dims():
    arch = dict(base_dims=(8, 8, 8), depths=(1, 1, 1), num_heads=(1, 2, 4))
    assert PiT(arch=arch, img_size=32).embed_dims == (8, 16, 32)


def test_checkpoint_at_224_loads_at_384():
    src = PiT(arch=dict(embed_dims=(16, 32, 64), depths=(1, 1, 1),
                        num_heads=(2, 2, 2)), img_size=224).eval()
    dst = PiT(arch=dict(embed_dims=(16, 32, 64), depths=(1, 1, 1),
                        num_heads=(2, 2, 2)), img_size=384).eval()
    assert src.pos_embed.shape[-2:] == (27, 27)
    assert dst.pos_embed.shape[-2:] == (47, 47)
    with torch.no_grad():
        src.pos_embed.normal_()
    dst.load_state_dict(src.state_dict(), strict=True)
    x = torch.randn(1, 3, 384, 384)
    with torch.no_grad():
        torch.testing.assert_close(dst(x)[0], src(x)[0])


def test_distilled_alias():
    """``distilled=True`` builds the model ``with_dist_token=True`` builds:
    the same keys and shapes, and a (cls, dist) pair out."""
    arch = dict(embed_dims=(16, 32, 64), depths=(1, 1, 1),
                num_heads=(2, 2, 2))
    torch.manual_seed(0)
    alias = PiT(arch=arch, distilled=True, img_size=64,
                out_type='cls_token').eval()
    torch.manual_seed(0)
    model = PiT(arch=arch, with_dist_token=True, img_size=64,
                out_type='cls_token').eval()
    assert {k: v.shape for k, v in alias.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}
    assert 'dist_token' in alias.state_dict()
    with torch.no_grad():  # tokens apart from their (zero) init
        for p in model.parameters():
            p.normal_(0, 0.2)
    alias.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        (cls, dist), = alias(x)
        (ref_cls, ref_dist), = model(x)
    torch.testing.assert_close(cls, ref_cls)
    torch.testing.assert_close(dist, ref_dist)
    assert not torch.allclose(cls, dist)


def test_bad_arch_dict():
    with pytest.raises(ValueError, match='one value per stage'):
        PiT(arch=dict(embed_dims=(8, 16), depths=(1, 1, 1),
                      num_heads=(1, 1, 1)))
    with pytest.raises(ValueError, match=r'stage 1 embed_dims 16 is not '
                       r'divisible by num_heads 3: use num_heads in '
                       r'\[1, 2, 4, 8, 16\]'):
        PiT(arch=dict(embed_dims=(8, 16), depths=(1, 1), num_heads=(1, 3)))
