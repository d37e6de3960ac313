"""One generic test per capability, run on every backbone in backbone_cases."""
import copy

import pytest
import torch
from mmengine.runner import load_checkpoint, save_checkpoint

from backbone_cases import params
from mmvit_ext.registry import MODELS


def build(case, **overrides):
    cfg = copy.deepcopy(case.cfg)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval(), case.img_size


def num_stages(model, case):
    """How many entries ``out_indices`` and ``frozen_stages`` count."""
    return len(getattr(model, case.stages))


def avg_norm(model, index):
    """The norm applied to the averaged patch tokens of output ``index``."""
    return model.avg_norms[str(index)] if hasattr(model, 'avg_norms') \
        else model.ln2


def image(img_size, batch=2, channels=3, seed=1):
    h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, h, w, generator=g)


def randomize_(model, seed=0):
    """Give every parameter random values, so no branch is a no-op (the
    LayerScale init of 1e-4 would otherwise hide a broken block)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return model


@pytest.mark.parametrize('case', params())
def test_out_types_agree(case):
    """cls_token, featmap and avg_featmap are views of the raw tokens."""
    outs = {}
    # avg_featmap last: its model (with ln2) is the one checked below.
    out_types = ['raw'] + (['cls_token'] if case.cls_token else []) + \
        ['featmap', 'avg_featmap']
    for out_type in out_types:
        model, size = build(case, out_type=out_type, out_indices=(0, -1))
        randomize_(model)
        with torch.no_grad():
            outs[out_type] = model(image(size))
        assert len(outs[out_type]) == 2
    num_extra = model.num_extra_tokens
    for i, index in enumerate(model.out_indices):
        featmap = outs['featmap'][i]
        B, C, h, w = featmap.shape
        # NCHW in memory too: mmcv's RoIAlign reads any input as NCHW
        assert featmap.is_contiguous()
        assert (B, C) == (2, model.feature_info[i]['num_chs'])
        assert abs(h - size / model.feature_info[i]['reduction']) < 1.5
        raw = outs['raw'][i]
        assert raw.shape == (2, num_extra + h * w, C)
        cls = outs['cls_token'][i] if case.cls_token else None
        if cls is None:
            assert num_extra == 0
        elif model.with_dist_token:
            torch.testing.assert_close(cls[0], raw[:, 0])
            torch.testing.assert_close(cls[1], raw[:, 1])
        else:
            torch.testing.assert_close(cls, raw[:, 0])
        patches = raw[:, num_extra:]
        torch.testing.assert_close(featmap.flatten(2).transpose(1, 2),
                                   patches)
        torch.testing.assert_close(outs['avg_featmap'][i],
                                   avg_norm(model, index)(patches.mean(1)))


@pytest.mark.parametrize('case', params())
def test_out_indices(case):
    model, size = build(case, out_type='raw', out_indices=(-1, 0, 1))
    randomize_(model)
    assert model.out_indices == (0, 1, num_stages(model, case) - 1)
    x = image(size)
    with torch.no_grad():
        outs = model(x)
        # Each index gives the same tensor as asking for it alone.
        for index, out in zip(model.out_indices, outs):
            model.out_indices = (index, )
            torch.testing.assert_close(model(x)[0], out)
    # Each output is its own: no index returns another one's tensor.
    assert outs[0].shape != outs[1].shape or \
        not torch.allclose(outs[0], outs[1])


@pytest.mark.parametrize('case', params())
@pytest.mark.parametrize('bad', [99, -99, (0, 0)])
def test_bad_out_indices(case, bad):
    with pytest.raises(ValueError, match='out_indices'):
        build(case, out_indices=bad)


@pytest.mark.parametrize('case', params())
def test_bad_out_type_names_choices(case):
    with pytest.raises(ValueError, match=r"'cls'.*avg_featmap"):
        build(case, out_type='cls')


@pytest.mark.parametrize('case', params())
def test_cls_token_needs_a_class_token(case):
    if 'with_cls_token' not in case.cfg and case.stages == 'stages':
        pytest.skip('this backbone always has a class token')
    if not case.cls_token:
        pytest.skip('no class token to begin with (test_vitdet.py)')
    with pytest.raises(ValueError, match='with_cls_token'):
        build(case, with_cls_token=False, with_dist_token=False,
              out_type='cls_token')
    model, size = build(case, with_cls_token=False, with_dist_token=False,
                        out_type='featmap')
    assert model.num_extra_tokens == 0 and model.cls_token is None
    assert model(image(size))[0].shape[-1] == \
        size // model.feature_info[0]['reduction']


@pytest.mark.parametrize('case', params())
def test_gradient_reaches_every_parameter(case):
    model, size = build(case, out_type='avg_featmap', drop_path_rate=0.1)
    model.train()
    randomize_(model)
    out = model(image(size))[0]
    out.pow(2).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f'no gradient reaches {name}'
        assert p.grad.abs().sum() > 0, f'zero gradient at {name}'


@pytest.mark.parametrize('case', params())
def test_with_cp_recomputes_blocks_with_equal_gradients_and_buffers(case):
    """Activation checkpointing, with dropout, drop path and (CeiT's LeFF,
    DeepViT's re-attention) BatchNorm in training mode: the same outputs,
    gradients and running statistics, and the blocks really run twice."""
    results = []
    for with_cp in (False, True):
        model, size = build(case, out_type='avg_featmap', drop_rate=0.1,
                            drop_path_rate=0.3, with_cp=with_cp)
        randomize_(model).train()
        calls = []
        block = model.get_submodule(f'{case.stages}.0')
        block = block.blocks[0] if case.stages == 'stages' else block
        block.register_forward_pre_hook(lambda *args: calls.append(1))
        torch.manual_seed(3)
        out = model(image(size))[0]
        out.pow(2).sum().backward()
        results.append((out, {n: p.grad for n, p in model.named_parameters()},
                        dict(model.named_buffers()), len(calls)))
    (out, grads, buffers, calls), (out_cp, grads_cp, buffers_cp,
                                   calls_cp) = results
    assert (calls, calls_cp) == (1, 2)
    torch.testing.assert_close(out_cp, out, rtol=0, atol=0)
    for name, grad in grads.items():
        torch.testing.assert_close(grads_cp[name], grad, rtol=1e-6,
                                   atol=1e-7, msg=name)
    for name, buf in buffers.items():
        torch.testing.assert_close(buffers_cp[name], buf, rtol=0, atol=0,
                                   msg=name)


@pytest.mark.parametrize('case', params())
def test_frozen_stages(case):
    model, size = build(case, frozen_stages=1, out_type='raw')
    model.train()
    stem = {'pos_embed', 'cls_token', 'dist_token'}
    first = f'{case.stages}.0.'
    for name, p in model.named_parameters():
        expect_frozen = (name in stem or name.startswith('patch_embed')
                         or name.startswith(first))
        assert p.requires_grad != expect_frozen, name
    # train() keeps the frozen modules in eval mode.
    stages = getattr(model, case.stages)
    assert not model.patch_embed.training
    assert not stages[0].training and stages[1].training
    model(image(size))[0].sum().backward()
    assert all(p.grad is None for p in model.parameters()
               if not p.requires_grad)

    model, _ = build(case, frozen_stages=-1)
    assert all(p.requires_grad for p in model.parameters())
    n = num_stages(model, case)
    model, _ = build(case, frozen_stages=n)
    model.train()
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match='frozen_stages'):
        build(case, frozen_stages=n + 1)


@pytest.mark.parametrize('case', params())
def test_dynamic_non_square_input(case):
    model, size = build(case, out_type='featmap')
    randomize_(model)
    stride = model.feature_info[0]['reduction']
    h, w = size + 2 * stride, size - stride
    x = image((h, w))
    with torch.no_grad():
        out = model(x)[0]
        ref = model(image(size))[0]
        model.out_type = 'raw'
        raw = model(x)[0]
    assert out.shape[:2] == ref.shape[:2]
    # Two more patches of height, one fewer of width than the built size.
    assert (out.shape[2] - ref.shape[2], out.shape[3] - ref.shape[3]) == \
        (2, -1)
    # Pixel (i, j) of the map is patch token i * width + j: rows and
    # columns are not mixed up on a non-square grid.
    patches = raw[:, model.num_extra_tokens:]
    assert patches.shape[1] == out.shape[2] * out.shape[3]
    torch.testing.assert_close(out.flatten(2).transpose(1, 2), patches)


@pytest.mark.parametrize('case', params())
def test_save_load_at_another_img_size(case, tmp_path):
    """A checkpoint for img_size loads into a model built for a larger size,
    resized on load; both models then agree on the larger input."""
    src, size = build(case, out_type='raw')
    randomize_(src)
    ckpt = tmp_path / 'backbone.pth'
    save_checkpoint({'state_dict': src.state_dict()}, str(ckpt))

    big = size + 4 * src.feature_info[0]['reduction']
    dst, _ = build(case, out_type='raw', img_size=big)
    assert dst.pos_embed.shape != src.pos_embed.shape
    load_checkpoint(dst, str(ckpt), strict=True)
    x = image(big)
    with torch.no_grad():
        torch.testing.assert_close(dst(x)[0], src(x)[0])


@pytest.mark.parametrize('case', params())
def test_layer_depth(case):
    model, _ = build(case)
    depths = {
        model.get_layer_depth(name, 'backbone.')[0]
        for name, _ in model.named_parameters(prefix='backbone')
    }
    n = model.num_layers  # blocks, over all stages
    assert depths == set(range(n + 2))
    assert model.get_layer_depth('backbone.pos_embed', 'backbone.') == \
        (0, n + 2)
    assert model.get_layer_depth('head.fc.weight', 'backbone.')[0] == n + 1
    block = f'backbone.{case.stages}.0.' + \
        ('blocks.0.' if case.stages == 'stages' else '')
    assert model.get_layer_depth(block + 'attn.qkv.weight',
                                 'backbone.')[0] == 1


@pytest.mark.parametrize('case', params())
def test_feature_info(case):
    model, _ = build(case, out_indices=(0, -1))
    n = num_stages(model, case)
    assert [f['module'] for f in model.feature_info] == \
        [f'{case.stages}.0', f'{case.stages}.{n - 1}']
    strides = [f['reduction'] for f in model.feature_info]
    assert strides == sorted(strides)


def test_timm_order_attention_and_drop_path_equal_mmpretrains():
    """The block pieces we swap in compute what mmpretrain's and mmcv's do,
    forward and backward, from the same random draws."""
    from mmcv.cnn.bricks.drop import DropPath
    from mmpretrain.models.utils import MultiheadAttention

    from mmvit_ext.models.backbones.base_vit import (ScaledMaskDropPath,
                                                     TransformerEncoderLayer,
                                                     UnbindQKVAttention)
    torch.manual_seed(0)
    ref = MultiheadAttention(embed_dims=32, num_heads=4,
                             layer_scale_init_value=0.1, v_shortcut=False)
    ours = UnbindQKVAttention(embed_dims=32, num_heads=4,
                              layer_scale_init_value=0.1)
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 9, 32, requires_grad=True)
    out_ref = ref(x)
    grad_ref, = torch.autograd.grad(out_ref.square().sum(), x)
    out = ours(x)
    grad, = torch.autograd.grad(out.square().sum(), x)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(grad, grad_ref)

    ref, ours = DropPath(0.3), ScaledMaskDropPath(0.3)
    x = torch.randn(64, 5, 8)
    torch.manual_seed(1)
    expected = ref(x)
    torch.manual_seed(1)
    torch.testing.assert_close(ours(x), expected)
    assert 0 < int((expected.flatten(1) == 0).all(1).sum()) < 64
    ours.eval()
    assert ours(x) is x

    layer = TransformerEncoderLayer(embed_dims=32, num_heads=4,
                                    feedforward_channels=64,
                                    drop_path_rate=0.1)
    assert type(layer.attn) is UnbindQKVAttention
    assert {type(m) for m in layer.modules()} & {DropPath} == set()


@pytest.mark.parametrize('case', params())
def test_grey_checkpoint_initialises_an_rgb_backbone(case, tmp_path,
                                                     monkeypatch):
    """A 1-channel checkpoint's first conv is repeated over 3 channels and
    divided by 3 (timm's adapt_input_conv the other way), with one info
    line: a grey image given as RGB gives the grey model's output. A linear
    patch stem is not adapted: the mismatch is an error."""
    from mmengine.logging import MMLogger

    from mmvit_ext.engine import CheckpointMismatchError

    grey, size = build(case, out_type='raw', in_channels=1)
    randomize_(grey)
    ckpt = tmp_path / 'grey.pth'
    save_checkpoint({'state_dict': {f'backbone.{k}': v for k, v in
                                    grey.state_dict().items()}}, str(ckpt))
    lines = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'info',
                        lines.append)
    init_cfg = dict(type='Pretrained', prefix='backbone.',
                    checkpoint=str(ckpt))
    if case.cfg.get('patch_embed') == 'linear':
        with pytest.raises(CheckpointMismatchError,
                           match=r'patch_embed.projection.weight'):
            build(case, out_type='raw', init_cfg=init_cfg)
        return
    rgb, _ = build(case, out_type='raw', init_cfg=init_cfg)
    adapted = [line for line in lines if line.startswith('Adapt ')]
    assert len(adapted) == 1 and 'from 1 to 3 input channels' in adapted[0]
    x = image(size, channels=1)
    with torch.no_grad():
        torch.testing.assert_close(rgb(x.expand(-1, 3, -1, -1))[0],
                                   grey(x)[0])
    # The same through mmengine's loader (the load hook), and back to grey.
    other, _ = build(case, out_type='raw')
    load_checkpoint(other, str(ckpt), strict=True,
                    revise_keys=[(r'^backbone\.', '')])
    torch.testing.assert_close(other.state_dict(), rgb.state_dict())
    ckpt_rgb = tmp_path / 'rgb.pth'
    save_checkpoint({'state_dict': rgb.state_dict()}, str(ckpt_rgb))
    back, _ = build(case, out_type='raw', in_channels=1)
    load_checkpoint(back, str(ckpt_rgb), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(back(x)[0], grey(x)[0])
