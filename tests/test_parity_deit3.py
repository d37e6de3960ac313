"""DeiT III parity: timm / official weights -> our converter -> same logits."""
import pytest
import timm
import torch

from mmvit_ext.converters import convert_deit3
from parity_utils import build_ours, image, randomize_

CASES = [
    ('deit3_small_patch16_224', 'configs/deit3/deit3-s-p16_8xb256_in1k.py',
     224),
    ('deit3_base_patch16_224', 'configs/deit3/deit3-b-p16_8xb256_in1k.py',
     224),
    ('deit3_small_patch16_384',
     'configs/deit3/deit3-s-p16-384px_8xb64_in1k.py', 384),
]


def timm_reference(name):
    torch.manual_seed(0)
    return randomize_(timm.create_model(name, pretrained=False))


def to_official_layout(timm_state_dict):
    """facebookresearch/deit ``models_v2`` names LayerScale ``gamma_1/2`` and
    saves ``{'model': state_dict}``."""
    renamed = {
        k.replace('ls1.gamma', 'gamma_1').replace('ls2.gamma', 'gamma_2'): v
        for k, v in timm_state_dict.items()
    }
    return {'model': renamed}


@pytest.mark.parametrize('layout', ['timm', 'official'])
@pytest.mark.parametrize('name,config,size', CASES,
                         ids=[c[0] for c in CASES])
def test_deit3_logits_match(name, config, size, layout, repo_root):
    ref = timm_reference(name)
    checkpoint = ref.state_dict()
    if layout == 'official':
        checkpoint = to_official_layout(checkpoint)
    ours = build_ours(f'{repo_root}/{config}', convert_deit3(checkpoint))
    x = image(size)
    with torch.no_grad():
        expected = ref(x)
        got = ours(x, mode='tensor')
    assert expected.abs().max() > 0.1  # the logits carry signal
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_unknown_keys_are_named():
    with pytest.raises(KeyError, match='blocks.0.mystery'):
        convert_deit3({'blocks.0.mystery.weight': torch.zeros(1)})
