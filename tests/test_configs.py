"""Every shipped classification config builds its model offline."""
import glob
import os

import pytest
import torch
from mmengine.config import Config
from mmpretrain.apis import get_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(
    os.path.relpath(p, ROOT)
    for p in glob.glob(f'{ROOT}/configs/**/*.py', recursive=True)
    if '_base_' not in p and '/mmdet/' not in p and '/mmseg/' not in p)


def test_configs_are_found():
    assert len(CONFIGS) >= 9


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_offline(config):
    cfg = Config.fromfile(os.path.join(ROOT, config))
    assert cfg.default_scope == 'mmvit_ext'
    if config.startswith('configs/teachers/'):
        model = get_model(cfg)  # small CNNs; mmpretrain's ResNet needs data
    else:
        # The meta device: no memory or init time for the huge models.
        with torch.device('meta'):
            model = get_model(cfg)
    if not config.startswith('configs/teachers/'):
        assert type(model.backbone).__module__.startswith('mmvit_ext.'), \
            f'{config} builds {type(model.backbone)} instead of ours'
    name = os.path.basename(config)
    if name.endswith('_in1k.py'):
        assert cfg.model.head.num_classes == 1000
        assert cfg.auto_scale_lr.base_batch_size > 0


def test_distillation_config_asks_for_its_teacher_when_training():
    """It builds and predicts without its teacher; training needs it."""
    cfg = Config.fromfile(
        f'{ROOT}/configs/deit/deit-ti-distilled_8xb128_in1k.py')
    cfg.model.backbone.arch = dict(embed_dims=16, num_layers=1, num_heads=2,
                                   feedforward_channels=32)
    cfg.model.backbone.img_size = 32
    cfg.model.head.in_channels = 16
    model = get_model(cfg)
    x = torch.randn(2, 3, 32, 32)
    assert model(x, mode='tensor').shape == (2, 1000)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(1) for _ in range(2)]
    with pytest.raises(FileNotFoundError, match='model.teacher.checkpoint'):
        model(x, samples, mode='loss')


def test_each_algorithm_readme_is_generated_from_its_metafile(monkeypatch):
    """configs/<algo>/README.md and docs/model_zoo.md are what
    tools/misc/make_config_readmes.py writes from the metafiles (rerun it
    after changing a metafile), list every model of the metafiles, and link
    configs that exist."""
    import re

    from mmvit_ext.utils import import_by_path
    monkeypatch.chdir(ROOT)
    tool = import_by_path(f'{ROOT}/tools/misc/make_config_readmes.py',
                          'make_config_readmes')
    for algo in tool.ALGOS:
        with open(f'configs/{algo}/README.md') as f:
            text = f.read()
        assert text == tool.readme(algo), \
            f'configs/{algo}/README.md is stale: run ' \
            'python tools/misc/make_config_readmes.py'
        names = [m['Name'] for m in tool.load_metafile(algo)['Models']]
        rows = [r for r in re.findall(r'^\| ([\w.-]+) \|', text, re.M)
                if r != 'Model']
        assert sorted(rows) == sorted(names)
        for link in re.findall(r'\]\(\./([\w.-]+\.py)\)', text):
            assert os.path.exists(f'configs/{algo}/{link}'), link
    with open('docs/model_zoo.md') as f:
        zoo = f.read()
    assert zoo == tool.model_zoo(), \
        'docs/model_zoo.md is stale: run python tools/misc/make_config_readmes.py'
    for algo in tool.ALGOS:
        for model in tool.load_metafile(algo)['Models']:
            assert f"`{model['Config']}`" in zoo, model['Name']
