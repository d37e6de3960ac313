"""ViTDet's blocks on DeiT III and DeiT: windows, decomposed relative
positions, their parity with timm's ``vision_transformer_sam`` block, and
the rules for loading classification checkpoints into them. The generic
capabilities (out types, gradients, with_cp, freezing, dynamic input, resize
on load, layer depth) run on the ``deit3-vitdet`` case of
test_backbones.py."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint, save_checkpoint

from backbone_cases import TINY_DEIT3
from test_backbones import randomize_
from mmvit_ext.engine import CheckpointMismatchError
from mmvit_ext.models.layers import (TransformerEncoderLayer,
                                     WindowedEncoderLayer, window_partition,
                                     window_unpartition)
from mmvit_ext.registry import MODELS

VITDET = dict(window_size=3, global_attn_indexes=(-1, ), use_rel_pos=True)


def build(**cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(TINY_DEIT3, **cfg))
    model.init_weights()
    return model.eval()


@pytest.fixture
def info_lines(monkeypatch):
    lines = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'info',
                        lines.append)
    return lines


@pytest.mark.parametrize('hw', [(5, 7), (6, 6), (1, 4), (9, 2)])
@pytest.mark.parametrize('window_size', [1, 3, 4])
def test_window_partition_round_trip(hw, window_size):
    x = torch.randn(2, *hw, 5)
    windows, padded = window_partition(x, window_size)
    assert padded == tuple(-(-s // window_size) * window_size for s in hw)
    assert windows.shape == (2 * padded[0] * padded[1] // window_size**2,
                             window_size, window_size, 5)
    # The first window is the grid's top-left corner.
    corner = x[0, :window_size, :window_size]
    torch.testing.assert_close(
        windows[0, :corner.shape[0], :corner.shape[1]], corner)
    # Padding is zeros, and the round trip is exact.
    assert windows.abs().sum() == pytest.approx(x.abs().sum().item())
    torch.testing.assert_close(
        window_unpartition(windows, window_size, padded, hw), x, rtol=0,
        atol=0)


def timm_keys(state_dict):
    """Our block's keys in timm's SAM ``Block`` names."""
    names = {
        'ln1': 'norm1', 'ln2': 'norm2', 'attn.gamma1.weight': 'ls1.gamma',
        'ffn.gamma2.weight': 'ls2.gamma', 'ffn.layers.0.0': 'mlp.fc1',
        'ffn.layers.1': 'mlp.fc2'
    }
    out = {}
    for key, value in state_dict.items():
        for ours, theirs in names.items():
            if key.startswith(ours):
                key = theirs + key[len(ours):]
                break
        out[key] = value
    return out


@pytest.mark.parametrize(
    'window_size,input_size,hw',
    [
        (3, None, (7, 10)),  # windows over a padded, non-square grid
        (4, None, (4, 4)),  # exactly one window
        (0, (5, 7), (5, 7)),  # a global block on its own grid
        (0, (5, 7), (8, 6)),  # ... and on another: tables resized
    ])
def test_block_equals_timm_sam_block(window_size, input_size, hw):
    from timm.models.vision_transformer_sam import Block

    torch.manual_seed(0)
    ours = WindowedEncoderLayer(
        embed_dims=32, num_heads=4, feedforward_channels=64,
        layer_scale_init_value=0.1, window_size=window_size,
        input_size=input_size, use_rel_pos=True).eval()
    ref = Block(dim=32, num_heads=4, mlp_ratio=2, init_values=0.1,
                use_rel_pos=True, window_size=window_size,
                input_size=input_size).eval()
    randomize_(ours)
    ref.load_state_dict(timm_keys(ours.state_dict()), strict=True)
    x = torch.randn(2, *hw, 32)
    with torch.no_grad():
        expected = ref(x)
        got = ours(x.flatten(1, 2), hw)
    assert expected.abs().max() > 1  # the random weights are not a no-op
    torch.testing.assert_close(got.unflatten(1, hw), expected, rtol=1e-5,
                               atol=1e-5)


def test_defaults_build_todays_blocks():
    model = build()
    assert not model.vitdet and model.cls_token is not None
    assert all(type(layer) is TransformerEncoderLayer
               for layer in model.layers)
    assert not any('rel_pos' in k for k in model.state_dict())


def test_window_and_global_blocks_in_both_conventions():
    detectron2 = build(window_size=3, window_block_indexes=(0, 1),
                       out_type='featmap')
    timm = build(window_size=3, global_attn_indexes=(2, ), out_type='featmap')
    everywhere = build(window_size=3, out_type='featmap')
    assert detectron2.window_sizes == timm.window_sizes == [3, 3, 0]
    assert everywhere.window_sizes == [3, 3, 3]
    assert [layer.attn.window_size for layer in timm.layers] == [3, 3, 0]
    assert timm.cls_token is None and timm.num_extra_tokens == 0
    # Global relative positions only: the tables cover the 4x4 grid.
    rel = build(use_rel_pos=True, out_type='featmap')
    assert rel.window_sizes == [0, 0, 0]
    assert rel.layers[0].attn.rel_pos_h.shape == (7, 16)
    # Windows change the output, and the window is what attends: with a
    # window covering the grid, the output is the global one.
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        whole = build(window_size=4, out_type='featmap')(x)[0]
        glob = build(with_cls_token=False, out_type='featmap')(x)[0]
        torch.testing.assert_close(whole, glob)
        assert not torch.allclose(everywhere(x)[0], glob)


@pytest.mark.parametrize('cfg,match', [
    (dict(window_size=3, window_block_indexes=(0, ),
          global_attn_indexes=(2, )), 'window_block_indexes.*global_attn'),
    (dict(window_block_indexes=(0, )), 'need window_size > 0'),
    (dict(window_size=-1), 'window_size -1 is invalid'),
    (dict(window_size=3, global_attn_indexes=(5, )), 'global_attn_indexes 5'),
    (dict(window_size=3, with_cls_token=True), 'no class or distillation'),
    (dict(use_rel_pos=True, with_dist_token=True),
     'no class or distillation'),
    (dict(window_size=3, out_type='cls_token'), "out_type 'cls_token'"),
])
def test_bad_vitdet_options_are_named(cfg, match):
    cfg.setdefault('out_type', 'featmap')
    with pytest.raises(ValueError, match=match):
        build(**cfg)


@pytest.mark.parametrize('kind', ['DeepViT', 'CeiT'])
def test_deepvit_and_ceit_refuse_windows(kind):
    with pytest.raises(ValueError, match=f'{kind} does not support ViTDet'):
        MODELS.build(dict(type=kind, arch='s', window_size=14))


def save_classifier(model, path):
    save_checkpoint({'state_dict': {f'backbone.{k}': v for k, v in
                                    model.state_dict().items()}}, str(path))


@pytest.mark.parametrize('kind', ['DeiT3', 'DeiT'])
def test_classifier_checkpoint_initialises_vitdet_blocks(
        kind, tmp_path, info_lines):
    """Tokens dropped (DeiT's position-embedding slots too), the missing
    tables zero, one info line, every other weight loaded; the same through
    mmengine's loader; a key that fits nothing is still an error."""
    classifier = randomize_(build(type=kind, with_dist_token=True))
    ckpt = tmp_path / 'classifier.pth'
    save_classifier(classifier, ckpt)
    init_cfg = dict(type='Pretrained', prefix='backbone.',
                    checkpoint=str(ckpt))
    info_lines.clear()
    model = build(type=kind, out_type='featmap', init_cfg=init_cfg, **VITDET)
    [line] = [line for line in info_lines if line.startswith('ViTDet')]
    assert 'drop its cls_token and dist_token' in line
    assert 'initialise the 6 relative-position tables' in line
    assert '(zeros)' in line
    state = model.state_dict()
    for name, value in classifier.state_dict().items():
        if name in ('cls_token', 'dist_token'):
            assert name not in state
        elif name == 'pos_embed':
            slots = 2 if kind == 'DeiT' else 0
            torch.testing.assert_close(state[name], value[:, slots:])
        else:
            torch.testing.assert_close(state[name], value, msg=name)
    tables = {k: v for k, v in state.items() if 'rel_pos' in k}
    assert len(tables) == 6 and not any(v.any() for v in tables.values())

    other = build(type=kind, out_type='featmap', **VITDET)
    load_checkpoint(other, str(ckpt), strict=True,
                    revise_keys=[(r'^backbone\.', '')])
    torch.testing.assert_close(other.state_dict(), state)

    bad = tmp_path / 'bad.pth'
    save_checkpoint({'state_dict': dict(classifier.state_dict(),
                                        foo=torch.zeros(1))}, str(bad))
    with pytest.raises(CheckpointMismatchError, match="unexpected.*'foo'"):
        build(type=kind, out_type='featmap', **VITDET,
              init_cfg=dict(type='Pretrained', checkpoint=str(bad)))


@pytest.mark.parametrize('layout', ['timm', 'official'])
def test_timm_and_official_classifiers_initialise_vitdet_blocks(
        layout, tmp_path, info_lines):
    """timm's and the official DeiT III checkpoints (converted on load) fit
    too."""
    from test_parity_deit3 import to_official_layout
    from timm.models.vision_transformer import VisionTransformer

    ref = VisionTransformer(img_size=32, patch_size=8, embed_dim=32,
                            depth=3, num_heads=2, mlp_ratio=2,
                            init_values=1e-4, no_embed_class=True,
                            num_classes=10)
    ckpt = tmp_path / f'{layout}.pth'
    state = ref.state_dict()
    torch.save(to_official_layout(state) if layout == 'official' else state,
               ckpt)
    info_lines.clear()
    model = build(out_type='featmap', layer_scale_init_value=1e-4,
                  norm_cfg=dict(type='LN', eps=1e-6),
                  init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)),
                  **VITDET)
    assert sum(line.startswith('ViTDet') for line in info_lines) == 1
    torch.testing.assert_close(model.layers[1].attn.qkv.weight,
                               ref.blocks[1].attn.qkv.weight)


def test_rel_pos_tables_are_resized_on_load(tmp_path, info_lines):
    """Tables made for 3x3 windows load into 5x5 windows (and a global
    block's into another grid), resized linearly, checked against a direct
    interpolation."""
    src = randomize_(build(out_type='featmap', **VITDET))
    ckpt = tmp_path / 'w3.pth'
    save_classifier(src, ckpt)
    info_lines.clear()
    dst = build(out_type='featmap', window_size=5, global_attn_indexes=(-1, ),
                use_rel_pos=True, img_size=48,
                init_cfg=dict(type='Pretrained', prefix='backbone.',
                              checkpoint=str(ckpt)))
    [line] = [line for line in info_lines if line.startswith('ViTDet')]
    assert 'resize 6 relative-position tables' in line
    for name in ('layers.0.attn.rel_pos_h', 'layers.2.attn.rel_pos_w'):
        table = src.state_dict()[name]  # (2 * 3 - 1, d) and (2 * 4 - 1, d)
        length = dst.state_dict()[name].shape[0]  # 9 and 11
        expected = F.interpolate(table.T[None], size=length,
                                 mode='linear')[0].T
        torch.testing.assert_close(dst.state_dict()[name], expected)


@pytest.mark.slow
def test_torch_export_with_dynamic_hw():
    """A windowed backbone exported once runs at grids that need other
    paddings, and a global block's tables follow the grid."""
    model = randomize_(build(out_type='featmap', **VITDET))
    # At least 4 patches a side: two 3x3 windows or more (torch.export
    # specialises a dimension of size 1).
    h, w = torch.export.Dim('h', min=4, max=16), torch.export.Dim(
        'w', min=4, max=16)
    x = torch.randn(2, 3, 32, 32)
    program = torch.export.export(
        model, (x, ),
        dynamic_shapes={'x': {0: torch.export.Dim('b', max=8), 2: 8 * h,
                              3: 8 * w}})
    for shape in [(1, 3, 32, 32), (2, 3, 56, 40), (1, 3, 40, 72)]:
        x = torch.randn(shape)
        with torch.no_grad():
            torch.testing.assert_close(program.module()(x)[0], model(x)[0])
