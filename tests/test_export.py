"""tools/deployment/export.py, run as a user runs it: the small
Fashion-MNIST model of each family exported at its native size with a
dynamic batch and H/W, then run by onnxruntime (or torch.export's loader)
at other sizes and compared with eager PyTorch."""
import os

import numpy as np
import pytest
import torch

import mmvit_ext  # noqa: F401
from mmvit_ext.utils import import_by_path
from user_utils import FAMILY_CONFIGS, build_random, run

TOOL = 'tools/deployment/export.py'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def models(repo_root, checkpoints):
    """``{family: (config, checkpoint, eager model)}``: the 28 px
    Fashion-MNIST configs with random weights."""
    return {name: (config, checkpoints[name],
                   build_random(repo_root, name))
            for name, config in FAMILY_CONFIGS.items()}


def eager(model, x, backbone=False):
    with torch.no_grad():
        if not backbone:
            return [model(x, mode='tensor').numpy()]
        outs = []
        for o in model.backbone(x):
            outs.extend(o if isinstance(o, tuple) else [o])
        return [o.numpy() for o in outs]


# Sizes other than the export's 28x28 (each config's img_size): another
# batch, non-square, and H/W that are not multiples of the patch size
# (padded by the stem).
OTHER_INPUTS = [(3, 1, 28, 28), (2, 1, 42, 35), (1, 1, 37, 45)]


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(FAMILY_CONFIGS))
def test_onnx_export_runs_at_other_sizes_in_onnxruntime(
        name, models, repo_root, tmp_path):
    ort = pytest.importorskip('onnxruntime')
    config, ckpt, model = models[name]
    onnx_file = tmp_path / f'{name}.onnx'
    out = run(repo_root, TOOL, config, ckpt, '--format', 'onnx',
              '--dynamic-batch', '--dynamic-hw', '--out', str(onnx_file))
    assert 'max |export - eager|' in out and 'input (2, 1, 28, 28)' in out
    session = ort.InferenceSession(str(onnx_file),
                                   providers=['CPUExecutionProvider'])
    torch.manual_seed(1)
    for shape in OTHER_INPUTS:
        x = torch.randn(shape)
        [got] = session.run(None, {'input': x.numpy()})
        [expected] = eager(model, x)
        assert got.shape == (shape[0], 10)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['deit', 'pit'])
def test_torch_export_of_the_backbone(name, models, repo_root, tmp_path):
    """--backbone: DeiT's (cls, dist) pair becomes two outputs; PiT's
    feature map follows the input size."""
    config, ckpt, model = models[name]
    pt2 = tmp_path / f'{name}.pt2'
    run(repo_root, TOOL, config, ckpt, '--format', 'torch-export',
        '--backbone', '--dynamic-batch', '--dynamic-hw', '--out', str(pt2))
    program = torch.export.load(str(pt2)).module()
    for shape in OTHER_INPUTS:
        x = torch.randn(shape)
        with torch.no_grad():
            got = program(x)
        got = [g.numpy() for g in got]
        expected = eager(model, x, backbone=True)
        assert len(got) == len(expected) == (2 if name == 'deit' else 1)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, atol=1e-5, rtol=1e-4)


EXPORT = import_by_path(os.path.join(ROOT, TOOL), 'tool_export')


def legacy_onnx_matches_eager(module, x, path):
    """``torch.onnx.export(..., dynamo=False)``, the TorchScript-based
    exporter of many deployment scripts, then onnxruntime at the export
    size against eager."""
    import warnings
    ort = pytest.importorskip('onnxruntime')
    module.eval()
    with torch.no_grad():
        expected = EXPORT.as_tuple(module(x))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the exporter's deprecation notice
        torch.onnx.export(module, (x, ), str(path), dynamo=False,
                          input_names=['input'])
    session = ort.InferenceSession(str(path),
                                   providers=['CPUExecutionProvider'])
    got = session.run(None, {'input': x.numpy()})
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize('name', sorted(FAMILY_CONFIGS))
def test_the_legacy_onnx_exporter_matches_eager(name, models, tmp_path):
    """Every family, mmcv's padded patch embedding included (its pad sizes
    are traced as tensors there, not as symbolic ints)."""
    model = models[name][2]
    x = torch.randn(2, 1, 28, 28)
    # the modules tools/deployment/export.py exports: the logits, and the
    # backbone's outputs flattened (DeiT's (cls, dist) pair into two)
    legacy_onnx_matches_eager(EXPORT.Exported(model), x,
                              tmp_path / 'model.onnx')
    legacy_onnx_matches_eager(EXPORT.Exported(model, backbone=True), x,
                              tmp_path / 'backbone.onnx')


def test_the_legacy_onnx_exporter_matches_eager_on_vitdet_blocks(tmp_path):
    """Windows padded and cropped, relative positions resized."""
    from mmvit_ext.registry import MODELS
    torch.manual_seed(0)
    backbone = MODELS.build(dict(
        type='DeiT3', arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                                feedforward_channels=64),
        img_size=56, patch_size=7, window_size=3, global_attn_indexes=(1, ),
        use_rel_pos=True, rel_pos_zero_init=False, out_type='featmap'))
    legacy_onnx_matches_eager(backbone, torch.randn(2, 3, 56, 56),
                              tmp_path / 'vitdet.onnx')


@pytest.mark.slow
def test_static_export_is_checked_and_refuses_bad_arguments(
        models, repo_root, tmp_path):
    config, ckpt, _ = models['deit3']
    out_file = tmp_path / 'static.pt2'
    out = run(repo_root, TOOL, config, ckpt, '--format', 'torch-export',
              '--out', str(out_file))
    assert 'input (1, 1, 28, 28): max |export - eager|' in out
    assert out_file.exists()
    out = run(repo_root, TOOL, config, ckpt, '--format', 'tflite', ok=False)
    assert "invalid choice: 'tflite'" in out
    out = run(repo_root, TOOL, config, ckpt, '--format', 'onnx', '--shape',
              '1', '2', '3', ok=False)
    assert '--shape [1, 2, 3]: give H or H W' in out


@pytest.mark.slow
def test_a_failed_check_leaves_no_file(models, repo_root, tmp_path):
    """An --atol no export can meet: the tool fails and removes its file."""
    config, ckpt, _ = models['deit3']
    out_file = tmp_path / 'never.pt2'
    out = run(repo_root, TOOL, config, ckpt, '--format', 'torch-export',
              '--atol', '-1', '--out', str(out_file), ok=False)
    assert 'differs from eager by more than --atol -1.0' in out
    assert not out_file.exists()
    assert os.listdir(tmp_path) == []
