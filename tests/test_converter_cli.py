"""tools/model_converters/*_to_mmvit.py SRC DST, end to end: the written
checkpoint loads with strict=True into the matching ImageNet config and
gives the source model's logits."""
import os
import subprocess
import sys

import pytest
import timm
import torch
from mmengine.runner import load_checkpoint
from mmpretrain.apis import get_model

from parity_utils import image, load_official_fixture, randomize_

pytestmark = pytest.mark.slow

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def timm_source(name):
    torch.manual_seed(0)
    model = randomize_(timm.create_model(name, pretrained=False))
    x = image(224)
    with torch.no_grad():
        return model.state_dict(), x, model(x)


def fixture_source(path, wrap):
    state_dict, x, logits = load_official_fixture(path)
    return ({wrap: state_dict} if wrap else state_dict), x, logits


SOURCES = {
    'deit3': (lambda: timm_source('deit3_small_patch16_224'),
              'configs/deit3/deit3-s-p16_8xb256_in1k.py'),
    'pit': (lambda: timm_source('pit_ti_distilled_224'),
            'configs/pit/pit-ti-distilled_8xb128_in1k.py'),
    'deepvit': (lambda: fixture_source(
        f'{FIXTURES}/deepvit/16b_224.pth', 'state_dict'),
                'configs/deepvit/deepvit-16b_16xb32_in1k.py'),
    'ceit': (lambda: fixture_source(
        f'{FIXTURES}/ceit/ceit_tiny_224.pth', 'model'),
             'configs/ceit/ceit-t_8xb128_in1k.py'),
}


@pytest.mark.parametrize('algo', list(SOURCES))
def test_converter_cli(algo, repo_root, tmp_path):
    make_source, config = SOURCES[algo]
    checkpoint, x, expected = make_source()
    src, dst = tmp_path / 'src.pth', tmp_path / 'out' / 'converted.pth'
    torch.save(checkpoint, src)
    proc = subprocess.run(
        [sys.executable, f'tools/model_converters/{algo}_to_mmvit.py',
         str(src), str(dst)], cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # A distilled config names a teacher it trains with; not needed here.
    overrides = dict(teacher=None) if 'distilled' in config else {}
    model = get_model(f'{repo_root}/{config}', **overrides)
    load_checkpoint(model, str(dst), strict=True)
    assert all(k.startswith(('backbone.', 'head.')) for k in torch.load(
        dst, weights_only=True)['state_dict'])
    with torch.no_grad():
        got = model.eval()(x, mode='tensor')
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_converter_cli_refuses_a_wrong_layout(repo_root, tmp_path):
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    torch.save({'model': {'blocks.0.mystery.weight': torch.zeros(1)}}, src)
    proc = subprocess.run(
        [sys.executable, 'tools/model_converters/deit3_to_mmvit.py',
         str(src), str(dst)], cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 2
    assert 'blocks.0.mystery.weight' in proc.stderr
    assert not dst.exists()
