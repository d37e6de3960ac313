"""SimpleFPN and layer-wise lr decay outside a classifier; no mmdet needed."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmvit_ext.registry import MODELS


def build_fpn(**kwargs):
    cfg = dict(type='SimpleFPN', in_channels=32, out_channels=16)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_levels_follow_the_scale_factors():
    torch.manual_seed(0)
    fpn = build_fpn(scale_factors=(4, 2, 1, 0.5, 0.25)).eval()
    x = torch.randn(2, 32, 6, 10)
    outs = fpn((x, ))
    assert [o.shape[-2:] for o in outs] == [(24, 40), (12, 20), (6, 10),
                                            (3, 5), (1, 2)]
    assert all(o.shape[:2] == (2, 16) for o in outs)
    # The 1x level is the lateral conv then the 3x3 conv of the map itself;
    # the 0.5x level is the same two convs on its 2x2 max pool.
    assert torch.equal(fpn.rescales[2](x), x)
    assert torch.equal(fpn.rescales[3](x), F.max_pool2d(x, 2))
    expected = fpn.fpn_convs[3](fpn.lateral_convs[3](F.max_pool2d(x, 2)))
    torch.testing.assert_close(outs[3], expected)


def test_extra_levels_by_max_pool_and_by_convs():
    x = torch.randn(1, 32, 8, 8)
    fpn = build_fpn(scale_factors=(1, ), num_outs=3).eval()
    outs = fpn((x, ))
    # mmdet FPN's P6: a 1x1 max pool with stride 2, i.e. every other pixel.
    assert torch.equal(outs[1], outs[0][..., ::2, ::2])
    assert torch.equal(outs[2], outs[1][..., ::2, ::2])
    assert not list(fpn.extra_convs.parameters())

    fpn = build_fpn(scale_factors=(1, ), num_outs=3,
                    add_extra_convs=True).eval()
    outs = fpn((x, ))
    assert [o.shape[-1] for o in outs] == [8, 4, 2]
    torch.testing.assert_close(outs[1], fpn.extra_convs[0](outs[0]))
    torch.testing.assert_close(outs[2],
                               fpn.extra_convs[1](F.relu(outs[1])))


def test_uses_the_chosen_backbone_output():
    fpn = build_fpn(scale_factors=(1, ), in_index=0).eval()
    first, last = torch.randn(1, 32, 4, 4), torch.randn(1, 32, 4, 4)
    torch.testing.assert_close(fpn((first, last))[0], fpn((first, ))[0])


def test_every_parameter_gets_a_gradient():
    fpn = build_fpn(scale_factors=(4, 2, 1, 0.5), num_outs=6,
                    add_extra_convs=True)
    sum(o.sum() for o in fpn((torch.randn(2, 32, 4, 4), ))).backward()
    missing = [n for n, p in fpn.named_parameters() if p.grad is None]
    assert not missing


@pytest.mark.parametrize('kwargs, match', [
    (dict(scale_factors=(3, )), r'scale factor 3 is not one of'),
    (dict(scale_factors=()), 'at least one level'),
    (dict(scale_factors=(2, 1), num_outs=1), 'num_outs 1 is smaller'),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_fpn(**kwargs)


def test_token_input_is_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"out_type='featmap'"):
        build_fpn()((torch.randn(1, 16, 32), ))


class Detector(nn.Module):
    """The shape of an mmdet detector: a backbone, a neck and a head."""

    def __init__(self):
        super().__init__()
        self.backbone = MODELS.build(
            dict(type='DeiT3', img_size=32, patch_size=8, out_type='featmap',
                 arch=dict(embed_dims=16, num_layers=3, num_heads=2,
                           feedforward_channels=32)))
        self.neck = nn.Conv2d(16, 8, 1)


def test_layer_decay_reaches_a_detector_backbone():
    base_lr, decay = 1e-3, 0.5
    optim_wrapper = build_optim_wrapper(
        Detector(),
        dict(optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
             constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
             paramwise_cfg=dict(layer_decay_rate=decay, flat_decay_mult=0.)))
    lrs = {g['param_name']: g['lr']
           for g in optim_wrapper.optimizer.param_groups}
    wds = {g['param_name']: g['weight_decay']
           for g in optim_wrapper.optimizer.param_groups}
    # 3 blocks: stem depth 0, blocks 1-3, the rest 4; max depth 5.
    assert lrs['backbone.pos_embed'] == pytest.approx(base_lr * decay**4)
    assert lrs['backbone.patch_embed.projection.weight'] == \
        pytest.approx(base_lr * decay**4)
    for i in range(3):
        assert lrs[f'backbone.layers.{i}.attn.qkv.weight'] == \
            pytest.approx(base_lr * decay**(3 - i))
    assert lrs['backbone.ln1.weight'] == pytest.approx(base_lr)
    assert lrs['neck.weight'] == lrs['neck.bias'] == pytest.approx(base_lr)
    assert wds['neck.weight'] == 0.05 and wds['neck.bias'] == 0.


def test_layer_decay_needs_get_layer_depth():
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match='neither has it'):
        build_optim_wrapper(
            model,
            dict(optimizer=dict(type='AdamW', lr=1e-3),
                 constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
                 paramwise_cfg=dict(layer_decay_rate=0.5)))


def test_without_norm_the_convs_have_a_bias():
    fpn = build_fpn(scale_factors=(4, 1), norm_cfg=None).eval()
    convs = [fpn.rescales[0][1], *fpn.lateral_convs, *fpn.fpn_convs]
    assert isinstance(convs[0], nn.Identity)
    assert all(isinstance(c, nn.Conv2d) and c.bias is not None
               for c in convs[1:])
    x = torch.randn(1, 32, 4, 4)
    torch.testing.assert_close(fpn((x, ))[1],
                               fpn.fpn_convs[1](fpn.lateral_convs[1](x)))


@pytest.mark.parametrize('norm_cfg', [dict(type='LN2d', eps=1e-6), None],
                         ids=['LN2d', 'no-norm'])
def test_a_channels_last_input_gives_nchw_levels(norm_cfg):
    """mmpretrain's ViT returns its featmap as a channels-last view; the
    levels must still be NCHW in memory, as mmcv's RoIAlign reads them."""
    fpn = build_fpn(scale_factors=(4, 2, 1, 0.5), norm_cfg=norm_cfg,
                    num_outs=5).eval()
    x = torch.randn(2, 6, 5, 32).permute(0, 3, 1, 2)  # (2, 32, 6, 5) view
    assert not x.is_contiguous()
    with torch.no_grad():
        outs = fpn((x, ))
        expected = fpn((x.contiguous(), ))
    for out, ref in zip(outs, expected):
        assert out.is_contiguous()
        torch.testing.assert_close(out, ref)
