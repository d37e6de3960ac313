"""The look-inside tools, run as a user runs them on the Fashion-MNIST
configs of each family (random weights, saved as a checkpoint): the maps
they record are the ones the models apply, and the files they write have
the expected sizes and contents."""
import json
import math
import os
import re

import cv2
import numpy as np
import pytest
import torch

import mmvit_ext  # noqa: F401
from mmvit_ext.models.backbones.deepvit import ReAttention
from mmvit_ext.models.heads.lca_head import LCAAttention
from mmvit_ext.utils import import_by_path
from mmvit_ext.visualization import (AttentionRecorder, attention_rollout,
                                     layer_similarity, token_grid)
from user_utils import FAMILY_CONFIGS as CONFIGS
from user_utils import build_random, run

VIS = 'tools/visualization/vis_attention.py'
SIMILARITY = 'tools/analysis_tools/attention_similarity.py'
LCA = 'tools/analysis_tools/lca_weights.py'
CAM = 'tools/visualization/vis_cam.py'


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    """A 28x28 grey image: a bright square on noise."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, (28, 28)).astype(np.uint8)
    img[6:16, 10:22] = 230
    path = tmp_path_factory.mktemp('img') / 'square.png'
    cv2.imwrite(str(path), img)
    return str(path)


def png_size(path):
    img = cv2.imread(str(path))
    assert img is not None, f'{path} is not an image'
    assert img.std() > 0, f'{path} is blank'
    return img.shape[1], img.shape[0]  # (width, height)


# --------------------------------------------------------- the recorder
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_recorded_maps_are_the_ones_the_model_applies(name, repo_root):
    """Each recorded map, times the values, through the output projection,
    gives the attention module's own output; softmax rows sum to 1."""
    model = build_random(repo_root, name)
    seen = {}

    def keep(module_name):
        def hook(module, inputs, output):
            seen[module_name] = (inputs[0], output)
        return hook

    recorder = AttentionRecorder(model)
    for module_name, module in recorder.modules:
        module.register_forward_hook(keep(module_name))
    x = torch.randn(2, 1, 28, 28)
    with recorder, torch.no_grad():
        model(x, mode='tensor')
    assert [m.name for m in recorder.maps] == [n for n, _ in recorder.modules]
    for record in recorder.maps:
        module = dict(model.named_modules())[record.name]
        inputs, output = seen[record.name]
        B, N, C = inputs.shape
        torch.testing.assert_close(record.attn.sum(-1),
                                   torch.ones(record.attn.shape[:-1]))
        v = module.qkv(inputs).reshape(B, N, 3, module.num_heads,
                                       -1)[:, :, 2].transpose(1, 2)
        y = (record.weighing @ v).transpose(1, 2).flatten(2)
        y = module.proj(y)
        if hasattr(module, 'gamma1'):
            y = module.gamma1(y)
        torch.testing.assert_close(y, output, atol=1e-5, rtol=1e-4)
        is_re = isinstance(module, ReAttention) and module.re_attention
        assert (record.mixed is not None) == is_re
        if isinstance(module, LCAAttention):
            assert record.attn.shape == (B, module.num_heads, 1, N)


def test_recorder_refuses_a_model_without_attention():
    with pytest.raises(ValueError, match='no attention module'):
        AttentionRecorder(torch.nn.Linear(2, 2))


def test_rollout_and_similarity_on_known_maps():
    eye = torch.eye(5).expand(1, 2, 5, 5)
    uniform = torch.full((1, 2, 5, 5), 0.2)
    # Identity attention rolls out to the identity; uniform to uniform.
    torch.testing.assert_close(attention_rollout([eye, eye])[0],
                               torch.eye(5))
    rolled = attention_rollout([uniform] * 3)[0]
    torch.testing.assert_close(rolled.sum(-1), torch.ones(5))
    # Column t of the identity is e_t: orthogonal to e_t' but not to the
    # uniform map's (cos = 1/sqrt(5)).
    shifted = eye.roll(1, dims=-1)
    m = layer_similarity([eye, eye, shifted, uniform])
    assert m.shape == (4, 4)
    torch.testing.assert_close(m.diagonal(), torch.ones(4, dtype=m.dtype))
    assert m[0, 1] == pytest.approx(1)
    assert m[0, 2] == pytest.approx(0)
    assert m[0, 3] == pytest.approx(1 / math.sqrt(5))
    torch.testing.assert_close(m, m.T)


def test_token_grid_follows_the_image_aspect():
    assert token_grid(16, (28, 28)) == (4, 4)
    assert token_grid(12, (96, 128)) == (3, 4)
    assert token_grid(12, (128, 96)) == (4, 3)
    assert token_grid(49, (224, 224)) == (7, 7)


# ---------------------------------------------------------- vis_attention
@pytest.mark.slow
@pytest.mark.parametrize('name', ['deit3', 'deit', 'deepvit', 'ceit', 'pit'])
def test_vis_attention_writes_grids_and_rows(name, repo_root, checkpoints,
                                             image, tmp_path):
    out = run(repo_root, VIS, CONFIGS[name], checkpoints[name], image,
              '--out', str(tmp_path))
    model = build_random(repo_root, name)
    recorder = AttentionRecorder(model.backbone)
    layers = len(recorder.modules)
    heads = max(m.num_heads for _, m in recorder.modules)
    assert f'{layers} attention layers' in out
    # 1.2-inch cells at 100 dpi: heads (of the widest layer) + mean
    # across, one row per layer.
    assert png_size(tmp_path / 'cls_attention.png') == (
        120 * (heads + 1), 120 * layers)
    stages = 3 if name == 'pit' else 1
    assert png_size(tmp_path / 'rollout.png') == (200 * (stages + 1), 200)
    arrays = np.load(tmp_path / 'attention.npz')
    for layer_name, module in recorder.modules:
        rows = arrays[layer_name]
        assert rows.shape[0] == module.num_heads
        np.testing.assert_allclose(rows.sum(-1), 1, atol=1e-5)
    for s in range(stages):
        np.testing.assert_allclose(arrays[f'rollout.{s}'].sum(), 1,
                                   atol=1e-5)
    has_mixed = name == 'deepvit'
    assert (tmp_path / 'reattention.png').exists() == has_mixed
    if has_mixed:
        assert png_size(tmp_path / 'reattention.png') == (
            120 * (heads + 1), 2 * 120 * layers)
        assert f'{recorder.modules[0][0]}.mixed' in arrays


@pytest.mark.slow
def test_vis_attention_picks_layers_and_names_bad_ones(
        repo_root, checkpoints, image, tmp_path):
    run(repo_root, VIS, CONFIGS['deit3'], checkpoints['deit3'], image,
        '--layers', '0', '-1', '--out', str(tmp_path))
    assert png_size(tmp_path / 'cls_attention.png')[1] == 2 * 120
    out = run(repo_root, VIS, CONFIGS['deit3'], checkpoints['deit3'], image,
              '--layers', '7', '--out', str(tmp_path), ok=False)
    assert '--layers 7: the backbone has 4 attention layers' in out
    out = run(repo_root, VIS, CONFIGS['deit3'], checkpoints['deit3'],
              'missing.png', ok=False)
    assert 'image missing.png does not exist' in out


# --------------------------------------------------- attention similarity
@pytest.mark.slow
@pytest.mark.parametrize('name', ['deepvit', 'pit'])
def test_attention_similarity_matrix_and_curves(name, repo_root,
                                                checkpoints, tmp_path):
    out = run(repo_root, SIMILARITY, CONFIGS[name], checkpoints[name],
              '--data', '24', '--batch-size', '10', '--out', str(tmp_path))
    with open(tmp_path / 'similarity.json') as f:
        summary = json.load(f)
    assert summary['images'] == 24
    m = np.array([[np.nan if v is None else v for v in row]
                  for row in summary['attention']['matrix']])
    layers = len(summary['layers'])
    assert m.shape == (layers, layers)
    np.testing.assert_allclose(np.diag(m), 1, atol=1e-9)  # self: 1
    np.testing.assert_allclose(m, m.T, atol=1e-9)
    finite = m[~np.isnan(m)]
    assert (finite > -1 - 1e-9).all() and (finite < 1 + 1e-9).all()
    adjacent = [m[i, i + 1] for i in range(layers - 1)
                if not np.isnan(m[i, i + 1])]
    mean = summary['attention']['mean_adjacent_similarity']
    assert mean == pytest.approx(np.mean(adjacent))
    assert f'mean similarity of adjacent layers: {mean:.4f}' in out
    assert summary['attention']['next_k']['1'][:-1] == pytest.approx(
        [m[i, i + 1] if not np.isnan(m[i, i + 1]) else None
         for i in range(layers - 1)])
    entropy = summary['softmax_entropy']
    assert len(entropy) == layers
    assert all(0 < e <= 1 + 1e-6 for e in entropy)
    assert f'mean over layers: {np.mean(entropy):.4f}' in out
    if name == 'pit':  # stages of different sizes are not compared
        assert np.isnan(m[0, -1])
        assert 'softmax_before_mixing' not in summary
    else:
        assert 'softmax_before_mixing' in summary
        assert 'softmax maps before re-attention mixing' in out
    pngs = ['similarity_matrix.png', 'similar_next_k.png']
    if name == 'deepvit':
        pngs.append('similarity_matrix_softmax.png')
    assert sorted(os.listdir(tmp_path)) == sorted(pngs + ['similarity.json'])
    for png in pngs:
        assert png_size(tmp_path / png) == (450, 450)


@pytest.mark.slow
def test_attention_similarity_of_the_same_images_in_two_runs_is_equal(
        repo_root, checkpoints, tmp_path):
    """Batching does not change the result: 12 images in one batch or in
    batches of 5, 5 and 2."""
    results = []
    for bs in ('12', '5'):
        run(repo_root, SIMILARITY, CONFIGS['deit3'], checkpoints['deit3'],
            '--data', '12', '--batch-size', bs, '--out', str(tmp_path / bs))
        with open(tmp_path / bs / 'similarity.json') as f:
            results.append(json.load(f)['attention']['matrix'])
    np.testing.assert_allclose(results[0], results[1], atol=1e-9)


@pytest.mark.slow
def test_attention_similarity_names_bad_arguments(repo_root, checkpoints):
    out = run(repo_root, SIMILARITY, CONFIGS['deit3'], checkpoints['deit3'],
              '--data', '0', ok=False)
    assert '--data 0: give at least one image' in out
    out = run(repo_root, SIMILARITY, CONFIGS['deit3'], checkpoints['deit3'],
              '--data', '20000', ok=False)
    assert '--data 20000: the validation set has only 10000 images' in out


# -------------------------------------------------------------- LCA weights
@pytest.mark.slow
def test_lca_weights_sum_to_one(repo_root, checkpoints, tmp_path):
    png = tmp_path / 'lca.png'
    out = run(repo_root, LCA, CONFIGS['ceit'], checkpoints['ceit'],
              '--data', '20', '--out', str(png))
    weights = [float(w) for w in re.findall(r'\d+: (\d\.\d+)', out)]
    assert len(weights) == 4  # one per CeiT block
    assert sum(weights) == pytest.approx(1, abs=3e-3)  # printed rounded
    assert png_size(png) == (800, 400)
    out = run(repo_root, LCA, CONFIGS['deit3'], checkpoints['deit3'],
              '--data', '20', '--out', str(png), ok=False)
    assert 'not LCAClsHead' in out


# ------------------------------------------------------------------ Grad-CAM
@pytest.mark.slow
@pytest.mark.parametrize('name', ['deit3', 'deit', 'deepvit', 'ceit', 'pit'])
def test_grad_cam_on_token_models_and_pit(name, repo_root, checkpoints,
                                          image, tmp_path):
    pytest.importorskip('pytorch_grad_cam')
    png = tmp_path / 'cam.png'
    out = run(repo_root, CAM, CONFIGS[name], checkpoints[name], image,
              '--out', str(png))
    assert png_size(png) == (500, 250)
    layer = 'backbone.stages.2.blocks.1.ln1' if name == 'pit' else \
        'backbone.layers.{}.ln1'.format(5 if name == 'deepvit' else 3)
    assert f'GradCAM for class ' in out and layer in out


def test_grad_cam_map_covers_the_input(repo_root):
    pytest.importorskip('pytorch_grad_cam')
    vis_cam = import_by_path(f'{repo_root}/{CAM}', 'tool_vis_cam')
    model = build_random(repo_root, 'pit')
    x = torch.randn(1, 1, 28, 28)
    layer = vis_cam.default_target_layer(model)
    heat, category, score = vis_cam.compute_cam(model, x, [layer])
    assert heat.shape == (28, 28)
    assert heat.min() >= 0 and heat.max() <= 1
    assert category == int(model(x, mode='tensor').argmax())
    assert 0 < score < 1
    # Grad-CAM keeps the positive part only, which random weights may lack
    # for one class; across the classes the map must show something.
    spread = [vis_cam.compute_cam(model, x, [layer], category=c)[0].std()
              for c in range(10)]
    assert max(spread) > 0.05
    with pytest.raises(ValueError, match='--target-category 10: the model '
                       r'has 10 classes \(0..9\)'):
        vis_cam.compute_cam(model, x, [layer], category=10)
    with pytest.raises(ValueError, match="--target-layers \\['nope'\\]"):
        vis_cam.compute_cam(model, x, ['nope'])
