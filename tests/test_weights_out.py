"""Weights out: ours -> timm's or the official layout, for every family.

The round trip ours -> target -> ours is the identity on every key; the
reference model (timm, or the official code through the committed
fixtures) loads the exported state dict strictly and gives our logits;
what a target cannot express is an error that says why."""
import copy
import json
import os
import subprocess
import sys

import pytest
import timm
import torch
from mmengine.config import Config

from mmvit_ext.converters import (convert_ceit, convert_deepvit, convert_deit,
                                  convert_deit3, convert_pit)
from mmvit_ext.converters.ceit import export_ceit
from mmvit_ext.converters.deepvit import export_deepvit
from mmvit_ext.converters.deit3 import export_deit, export_deit3
from mmvit_ext.converters.pit import export_pit
from mmvit_ext.converters.utils import CannotExpressError
from mmvit_ext.engine.weights_out import export_checkpoint, timm_config
from mmvit_ext.registry import MODELS
from parity_utils import load_official_fixture, randomize_

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
TINY_VIT = dict(embed_dims=64, num_layers=2, num_heads=4,
                feedforward_channels=192)


def classifier(backbone, head):
    return randomize_(MODELS.build(dict(type='ImageClassifier',
                                        backbone=backbone, head=head)).eval())


def deit3(img_size=32, **kwargs):
    backbone = dict(type='mmvit_ext.DeiT3', arch=TINY_VIT, img_size=img_size,
                    patch_size=8, **kwargs)
    head = dict(type='VisionTransformerClsHead', num_classes=7,
                in_channels=64)
    return dict(backbone=backbone, head=head)


def deit(distilled, img_size=32):
    backbone = dict(type='mmvit_ext.DeiT', arch=TINY_VIT, img_size=img_size,
                    patch_size=8, with_dist_token=distilled)
    head = dict(type='mmvit_ext.DistillationClsHead' if distilled
                else 'VisionTransformerClsHead', num_classes=7,
                in_channels=64)
    return dict(backbone=backbone, head=head)


def pit(distilled, img_size=64):
    backbone = dict(type='mmvit_ext.PiT', img_size=img_size,
                    arch=dict(embed_dims=(32, 64, 128), depths=(1, 2, 1),
                              num_heads=(2, 4, 8)),
                    with_dist_token=distilled)
    head = dict(type='mmvit_ext.DistillationClsHead' if distilled
                else 'VisionTransformerClsHead', num_classes=7,
                in_channels=128)
    return dict(backbone=backbone, head=head)


CASES = {
    'deit3': (deit3, {}, export_deit3, convert_deit3),
    'deit3-48px': (deit3, dict(img_size=48), export_deit3, convert_deit3),
    'deit': (deit, dict(distilled=False), export_deit, convert_deit),
    'deit-distilled': (deit, dict(distilled=True), export_deit, convert_deit),
    'pit': (pit, dict(distilled=False), export_pit, convert_pit),
    'pit-distilled': (pit, dict(distilled=True), export_pit, convert_pit),
    'pit-96px': (pit, dict(distilled=False, img_size=96), export_pit,
                 convert_pit),
}


def assert_same_state(a, b):
    assert list(a) == list(b) or sorted(a) == sorted(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize('case', sorted(CASES))
@pytest.mark.parametrize('layout', ['timm', 'official'])
def test_round_trip_is_the_identity(case, layout):
    make, kwargs, export, convert = CASES[case]
    model = classifier(**make(**kwargs))
    ours = model.state_dict()
    assert_same_state(convert(export(ours, layout)), ours)


@pytest.mark.parametrize('case', sorted(CASES))
def test_timm_builds_the_model_from_config_json_and_gives_our_logits(case):
    make, kwargs, export, _ = CASES[case]
    cfg = make(**kwargs)
    model = classifier(**cfg)
    config = timm_config(cfg)
    ref = timm.create_model(config['architecture'], pretrained=False,
                            **config['model_args']).eval()
    ref.load_state_dict(export(model.state_dict(), 'timm'), strict=True)
    size = config['model_args']['img_size']
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(ref(x), model(x, mode='tensor'),
                                   rtol=1e-5, atol=1e-5)


def test_official_deit3_layout_names_layer_scale_as_models_v2():
    state = export_deit3(classifier(**deit3()).state_dict(), 'official')
    assert 'blocks.0.gamma_1' in state and 'blocks.1.gamma_2' in state
    assert not any('.ls1.' in k for k in state)


@pytest.mark.parametrize('fixture,convert,export', [
    ('ceit/tiny.pth', convert_ceit, export_ceit),
    ('ceit/ceit_tiny_224.pth', convert_ceit, export_ceit),
    ('deepvit/tiny_16b.pth', convert_deepvit, export_deepvit),
    ('deepvit/tiny_s.pth', convert_deepvit, export_deepvit),
])
def test_official_code_gets_back_its_own_weights(fixture, convert, export):
    """The official models produced the committed fixtures' logits from
    these weights; ours give the same logits from their conversion (the
    parity tests), and exporting ours gives back every official tensor,
    key for key, so the official model computes those logits again."""
    official, _, _ = load_official_fixture(os.path.join(FIXTURES, fixture))
    ours = convert(official)
    assert_same_state(export(ours), official)
    assert_same_state(convert(export(ours)), ours)


def test_what_a_target_cannot_express_is_named():
    distilled = classifier(**deit3(with_dist_token=True)).state_dict()
    with pytest.raises(CannotExpressError, match='a dist token'):
        export_deit3(distilled)
    vitdet = deit3(window_size=2, use_rel_pos=True, out_type='featmap',
                   with_cls_token=False)
    with pytest.raises(CannotExpressError, match='ViTDet'):
        timm_config(vitdet)
    ceit_cfg = dict(backbone=dict(type='mmvit_ext.CeiT', arch='tiny'),
                    head=dict(type='mmvit_ext.LCAClsHead', num_classes=2))
    with pytest.raises(CannotExpressError, match='timm has no CeiT'):
        timm_config(ceit_cfg)
    with pytest.raises(CannotExpressError, match='final norm'):
        export_ceit({'backbone.ln1.weight': torch.ones(2)})
    with pytest.raises(ValueError, match="layout 'timm' is not one of"):
        export_deepvit({}, 'timm')


@pytest.fixture(scope='module')
def trained_like(repo_root, tmp_path_factory):
    """A checkpoint as tools/train.py saves it (weights, EMA and config) for
    the Fashion-MNIST DeiT III: 1 input channel, patch 7, 28 px."""
    from mmpretrain.apis import get_model
    config = f'{repo_root}/configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'
    cfg = Config.fromfile(config)
    model = randomize_(get_model(cfg)).eval()
    ema = {f'module.{k}': v + 1 for k, v in model.state_dict().items()}
    path = tmp_path_factory.mktemp('out') / 'epoch_8.pth'
    torch.save({'state_dict': model.state_dict(), 'ema_state_dict': ema,
                'meta': {'cfg': cfg.pretty_text, 'ema': 'ema_state_dict'}},
               path)
    return model, str(path)


@pytest.mark.slow
@pytest.mark.parametrize('ema', [False, True])
def test_command_line_writes_what_timm_loads_as_a_hub_entry(
        repo_root, trained_like, tmp_path, ema):
    model, path = trained_like
    dst = tmp_path / 'model.safetensors'
    subprocess.run([sys.executable,
                    'tools/model_converters/mmvit_to_timm.py', path, str(dst),
                    *(['--ema'] if ema else [])], cwd=repo_root, check=True)
    config = json.loads((tmp_path / 'config.json').read_text())
    assert config['architecture'] == 'deit3_base_patch16_224'
    assert config['model_args'] == dict(
        num_classes=10, in_chans=1, img_size=28, patch_size=7, embed_dim=64,
        depth=4, num_heads=4, mlp_ratio=4.0)
    assert config['pretrained_cfg']['mean'] == [72.94 / 255]
    # timm's own loader of a hub entry, from the folder.
    ref = timm.create_model(f'local-dir:{tmp_path}', pretrained=True).eval()
    if ema:  # the fixture's EMA is every tensor + 1
        model = copy.deepcopy(model)
        with torch.no_grad():
            for p in model.state_dict().values():
                p.add_(1)
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(ref(x), model(x, mode='tensor'),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_command_line_official_pth_and_refusals(repo_root, trained_like,
                                                tmp_path):
    model, path = trained_like
    dst = tmp_path / 'deit3.pth'
    subprocess.run([sys.executable, 'tools/model_converters/mmvit_to_timm.py',
                    path, str(dst), '--layout', 'official'], cwd=repo_root,
                   check=True)
    official = torch.load(dst, weights_only=True)
    assert set(official) == {'model'} and 'blocks.0.gamma_1' in \
        official['model']
    assert not (tmp_path / 'config.json').exists()
    # Back in: the ImageNet configs' head names (head.layers.head).
    back = convert_deit3(official)
    ours = {k.replace('head.fc.', 'head.layers.head.'): v
            for k, v in model.state_dict().items()}
    assert_same_state(back, ours)
    bare = tmp_path / 'bare.pth'
    torch.save({'state_dict': model.state_dict()}, bare)
    proc = subprocess.run([sys.executable,
                           'tools/model_converters/mmvit_to_timm.py',
                           str(bare), str(tmp_path / 'x.safetensors')],
                          cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode != 0 and 'carries no config' in proc.stderr
    assert not (tmp_path / 'x.safetensors').exists()
    assert sorted(os.listdir(tmp_path)) == ['bare.pth', 'deit3.pth']


def test_export_checkpoint_takes_the_ema_where_the_hook_put_it():
    cfg = deit3()
    model = classifier(**cfg)
    sd = model.state_dict()
    ema = {f'module.{k}': v * 2 for k, v in sd.items()}
    ema['steps'] = torch.tensor(3)
    ours = {'state_dict': sd, 'ema_state_dict': ema,
            'meta': {'ema': 'ema_state_dict'}}
    mmengine_style = {'state_dict': {k[7:]: v for k, v in ema.items()
                                     if k != 'steps'},
                      'ema_state_dict': {f'module.{k}': v
                                         for k, v in sd.items()}}
    for checkpoint in (ours, mmengine_style):
        raw, _ = export_checkpoint(checkpoint, cfg, 'timm', ema=False)
        averaged, _ = export_checkpoint(checkpoint, cfg, 'timm', ema=True)
        key = 'blocks.0.attn.qkv.weight'
        torch.testing.assert_close(raw[key],
                                   sd['backbone.layers.0.attn.qkv.weight'])
        torch.testing.assert_close(averaged[key], 2 * raw[key])


@pytest.mark.slow
def test_publish_model_writes_the_ema_in_timms_layout(repo_root, trained_like,
                                                      tmp_path):
    model, path = trained_like
    dst = tmp_path / 'model.safetensors'
    out = subprocess.run(
        [sys.executable, 'tools/misc/publish_model.py', path, str(dst),
         '--layout', 'timm'], cwd=repo_root, check=True, capture_output=True,
        text=True).stdout
    assert 'published them' in out and 'sha256 ' in out
    ref = timm.create_model(f'local-dir:{tmp_path}', pretrained=True).eval()
    ema = copy.deepcopy(model)  # the fixture's EMA: every tensor + 1
    with torch.no_grad():
        for p in ema.state_dict().values():
            p.add_(1)
        x = torch.randn(2, 1, 28, 28)
        torch.testing.assert_close(ref(x), ema(x, mode='tensor'),
                                   rtol=1e-5, atol=1e-5)
