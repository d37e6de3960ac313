"""Registry scope: our names never collide with mmpretrain's, and the
configs resolve to our classes everywhere a user builds them."""
import numpy as np
import pytest
from mmengine.config import Config
from mmengine import registry as mmengine_registry
from mmpretrain import registry as mmpretrain_registry
from mmpretrain.apis import ImageClassificationInferencer, get_model
from mmpretrain.models import DeiT3 as MMPretrainDeiT3

import mmvit_ext
from mmvit_ext import registry
from mmvit_ext.models import DeiT3

DEMO = 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'


def test_every_mmpretrain_registry_has_our_child():
    for name in registry.__all__:
        ours = getattr(registry, name)
        assert ours.scope == 'mmvit_ext'
        # mmpretrain has no FUNCTIONS; ours hangs off mmengine's.
        parent = getattr(mmpretrain_registry if hasattr(
            mmpretrain_registry, name) else mmengine_registry, name)
        assert ours.parent is parent, name


def test_collate_functions_resolve_in_our_scope():
    from mmvit_ext.datasets import batch_collate
    assert mmengine_registry.FUNCTIONS.get('mmvit_ext.batch_collate') is \
        batch_collate


def test_deit3_names_do_not_collide():
    assert registry.MODELS.get('DeiT3') is DeiT3
    assert mmpretrain_registry.MODELS.get('DeiT3') is MMPretrainDeiT3
    # The scoped name reaches ours from any registry in the tree.
    assert mmpretrain_registry.MODELS.get('mmvit_ext.DeiT3') is DeiT3
    # mmpretrain's modules are still reachable from our scope.
    assert registry.MODELS.get('ImageClassifier') is \
        mmpretrain_registry.MODELS.get('ImageClassifier')


def test_get_model_returns_our_deit3(repo_root):
    model = get_model(f'{repo_root}/configs/deit3/deit3-s-p16_8xb256_in1k.py')
    assert type(model.backbone) is DeiT3


def test_inferencer_runs_our_config(repo_root):
    cfg = Config.fromfile(f'{repo_root}/{DEMO}')
    inferencer = ImageClassificationInferencer(cfg, device='cpu')
    assert type(inferencer.model.backbone) is DeiT3
    img = np.random.default_rng(0).integers(0, 255, (28, 28, 1), np.uint8)
    result = inferencer(img)[0]
    assert 0 <= result['pred_label'] < 10
    assert result['pred_scores'].shape == (10, )
    np.testing.assert_allclose(result['pred_scores'].sum(), 1, rtol=1e-5)


# Every registry's names, printed by a fresh interpreter after ``import
# mmvit_ext`` alone, and before it (mmpretrain imported, ours not).
REGISTERED = """
import json, sys
from mmpretrain.apis import get_model
import mmengine.registry
if sys.argv[1] == 'after':
    import mmvit_ext
    from mmvit_ext import registry
    names = {n: sorted(getattr(registry, n).module_dict)
             for n in registry.__all__}
else:
    names = {n: sorted(k for k in getattr(mmengine.registry, n).module_dict
                       if k.startswith('mmvit_ext.'))
             for n in ('MODELS', 'FUNCTIONS')}
    names['modules'] = sorted(m for m in sys.modules if m == 'mmvit_ext'
                              or m.startswith('mmvit_ext.'))
print(json.dumps(names))
"""


def test_importing_the_package_registers_everything(repo_root, tmp_path):
    """``import mmvit_ext`` alone, in a fresh interpreter, registers every
    module that this process (which has imported every test's modules) has
    registered; before it, none is."""
    import json
    import subprocess
    import sys

    def registered(when):
        proc = subprocess.run([sys.executable, '-c', REGISTERED, when],
                              cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.splitlines()[-1])

    before = registered('before')
    assert before == {'MODELS': [], 'FUNCTIONS': [], 'modules': []}
    after = registered('after')
    here = {n: sorted(getattr(registry, n).module_dict)
            for n in registry.__all__}
    assert after == here
    for name in ('DeiT3', 'DeiT', 'DeepViT', 'CeiT', 'PiT', 'SimpleFPN',
                 'LCAClsHead', 'DistillationClsHead'):
        assert name in after['MODELS'], name
    assert mmvit_ext.__version__


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match=r"arch 'xl' is not one of .*'s'"):
        DeiT3(arch='xl')
    with pytest.raises(ValueError, match='feedforward_channels'):
        DeiT3(arch=dict(embed_dims=8, num_layers=1, num_heads=1))


def test_scoped_names_resolve_from_a_sibling_package():
    """mmdet and mmseg configs name our modules as ``mmvit_ext.<Name>``."""
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as ROOT_OWC
    from mmengine.registry import Registry

    from mmvit_ext.models import PiT, SimpleFPN
    from mmvit_ext.engine import LearningRateDecayOptimWrapperConstructor

    # A package registered beside mmpretrain, as mmdet and mmseg are.
    det_models = Registry('models', parent=ROOT_MODELS, scope='fake_det')
    det_owc = Registry('optim wrapper constructor', parent=ROOT_OWC,
                       scope='fake_det')
    assert det_models.get('mmvit_ext.PiT') is PiT
    assert det_models.get('mmvit_ext.SimpleFPN') is SimpleFPN
    assert det_owc.get('mmvit_ext.LearningRateDecayOptimWrapperConstructor') \
        is LearningRateDecayOptimWrapperConstructor
    # Inside our scope, mmpretrain's modules are still found.
    from mmpretrain.models import ImageClassifier
    from mmvit_ext.registry import MODELS
    assert MODELS.get('ImageClassifier') is ImageClassifier
