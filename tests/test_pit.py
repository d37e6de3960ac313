"""PiT specifics: the feature pyramid and the 4-D position embedding."""
import pytest
import torch

from mmvit_ext.models import PiT


def test_pit_s_pyramid_on_a_large_non_square_input():
    model = PiT(arch='s', out_type='featmap', out_indices=(0, 1, 2)).eval()
    assert model.out_channels == [144, 288, 576]
    assert model.out_strides == [8, 16, 32]
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 512, 640))
    # The stem (kernel 16, stride 8, no padding) gives 63 x 79; each pooling
    # (3x3, stride 2, padding 1) halves it, rounding up.
    assert [tuple(f.shape) for f in feats] == [(1, 144, 63, 79),
                                               (1, 288, 32, 40),
                                               (1, 576, 16, 20)]
    assert [f['reduction'] for f in model.feature_info] == [8, 16, 32]


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
    model = PiT(arch='ti', distilled=True, img_size=64)
    assert model.with_dist_token and model.dist_token is not None


def test_bad_arch_dict():
    with pytest.raises(ValueError, match='one value per stage'):
        PiT(arch=dict(embed_dims=(8, 16), depths=(1, 1, 1),
                      num_heads=(1, 1, 1)))
    with pytest.raises(ValueError, match=r'stage 1 embed_dims 16 is not '
                       r'divisible by num_heads 3: use num_heads in '
                       r'\[1, 2, 4, 8, 16\]'):
        PiT(arch=dict(embed_dims=(8, 16), depths=(1, 1), num_heads=(1, 3)))
