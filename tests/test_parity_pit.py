"""PiT parity: timm / naver-ai weights -> our converter -> same logits."""
import re

import pytest
import timm
import torch

from mmvit_ext.converters import convert_pit
from parity_utils import build_ours, image, randomize_

ARCHS = ['ti', 'xs', 's', 'b']


def timm_reference(name):
    torch.manual_seed(0)
    return randomize_(timm.create_model(name, pretrained=False))


def to_official_layout(timm_state_dict):
    """naver-ai/pit keeps the poolings in ``pools.i`` (before stage i+1)."""
    renamed = {}
    for key, value in timm_state_dict.items():
        m = re.fullmatch(r'transformers\.(\d+)\.pool\.(.*)', key)
        if m:
            key = f'pools.{int(m[1]) - 1}.{m[2]}'
        renamed[key] = value
    return renamed


@pytest.mark.parametrize('layout', ['timm', 'official'])
@pytest.mark.parametrize('arch', ARCHS)
def test_pit_logits_match(arch, layout, repo_root):
    ref = timm_reference(f'pit_{arch}_224')
    checkpoint = ref.state_dict()
    if layout == 'official':
        checkpoint = to_official_layout(checkpoint)
    ours = build_ours(f'{repo_root}/configs/pit/pit-{arch}_8xb128_in1k.py',
                      convert_pit(checkpoint))
    x = image(224)
    with torch.no_grad():
        expected = ref(x)
        got = ours(x, mode='tensor')
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('arch', ARCHS)
def test_pit_distilled_logits_match(arch, repo_root):
    """cls and dist logits each, and their average at inference."""
    ref = timm_reference(f'pit_{arch}_distilled_224')
    ours = build_ours(
        f'{repo_root}/configs/pit/pit-{arch}-distilled_8xb128_in1k.py',
        convert_pit(ref.state_dict()), teacher=None)
    x = image(224)
    with torch.no_grad():
        fused = ref(x)
        ref.set_distilled_training(True)
        ref.train()
        # Dropout and drop path are 0 in the reference, so train mode only
        # changes what the head returns.
        cls_logits, dist_logits = ref(x)
        cls_ours, dist_ours = ours.head.dual_logits(ours.extract_feat(x))
        got_fused = ours(x, mode='tensor')
    torch.testing.assert_close(cls_ours, cls_logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(dist_ours, dist_logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got_fused, fused, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(fused, (cls_logits + dist_logits) / 2)
