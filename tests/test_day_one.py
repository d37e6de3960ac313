"""The first things a user does: official weights by path or URL, own data
through the tools, predictions for image files, configs from outside."""
import contextlib
import functools
import http.server
import os
import threading

import cv2
import numpy as np
import pytest
import timm
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.apis import get_model

from mmvit_ext.engine import CheckpointMismatchError, load_checkpoint_any
from mmvit_ext.registry import MODELS
from parity_utils import image, randomize_
from user_utils import run, write_folder

DEIT3_S = 'configs/deit3/deit3-s-p16_8xb256_in1k.py'
GREY = 'configs/custom/deit3-tiny-p7_1xb64_folder-grey-28px.py'
RGB = 'configs/custom/deit3-s-p16_1xb32_folder-224px.py'
TINY = dict(arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                      feedforward_channels=32), img_size=32, patch_size=8)


@contextlib.contextmanager
def serve(folder):
    """An http server for ``folder`` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()


@pytest.fixture(scope='module')
def timm_deit3(tmp_path_factory):
    """A raw timm DeiT III-S state dict (random weights) and its logits."""
    folder = tmp_path_factory.mktemp('timm')
    reference = randomize_(timm.create_model('deit3_small_patch16_224'))
    torch.save(reference.state_dict(), folder / 'deit3_small.pth')
    with torch.no_grad():
        logits = reference(image(224))
    return folder, logits


def test_raw_timm_checkpoint_by_path_url_and_init_cfg(
        timm_deit3, repo_root, tmp_path, monkeypatch):
    folder, expected = timm_deit3
    monkeypatch.setenv('MMVIT_EXT_CACHE', str(tmp_path / 'cache'))
    config = os.path.join(repo_root, DEIT3_S)
    with serve(folder) as url:
        by_url = get_model(config, pretrained=f'{url}/deit3_small.pth')
    # Downloaded once, atomically, into the cache.
    cached = list((tmp_path / 'cache' / 'checkpoints').iterdir())
    assert [p.name.split('-', 1)[1] for p in cached] == ['deit3_small.pth']
    by_path = get_model(config, pretrained=str(folder / 'deit3_small.pth'))

    cfg = Config.fromfile(config)
    cfg.model.init_cfg = dict(type='Pretrained',
                              checkpoint=str(folder / 'deit3_small.pth'))
    with DefaultScope.overwrite_default_scope('mmvit_ext'):
        by_init_cfg = MODELS.build(cfg.model)
        by_init_cfg.init_weights()
    for model in (by_url, by_path, by_init_cfg.eval()):
        with torch.no_grad():
            torch.testing.assert_close(
                model(image(224), mode='tensor'), expected, rtol=1e-4,
                atol=1e-4)


def test_backbone_init_cfg_takes_the_backbone_of_a_raw_checkpoint(
        timm_deit3):
    """No prefix needed: the converted classifier's ``backbone.`` part."""
    folder, _ = timm_deit3
    path = str(folder / 'deit3_small.pth')
    backbone = MODELS.build(dict(
        type='DeiT3', arch='s', init_cfg=dict(type='Pretrained',
                                              checkpoint=path)))
    backbone.init_weights()
    converted = load_checkpoint_any(path)['state_dict']
    for key, value in backbone.state_dict().items():
        torch.testing.assert_close(value, converted[f'backbone.{key}'])


def test_pretrained_in_a_list_init_cfg_survives_init_weights(tmp_path):
    source = randomize_(MODELS.build(dict(type='DeiT3', **TINY)))
    torch.save({'state_dict': source.state_dict()}, tmp_path / 'b.pth')
    model = MODELS.build(dict(
        type='DeiT3', **TINY, init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02),
            dict(type='Pretrained', checkpoint=str(tmp_path / 'b.pth'))]))
    model.init_weights()
    for key, value in source.state_dict().items():  # pos_embed, cls_token..
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)


def test_a_checkpoint_that_does_not_fit_is_an_error(tmp_path):
    pit = randomize_(timm.create_model('pit_ti_224'))
    torch.save(pit.state_dict(), tmp_path / 'pit.pth')
    model = MODELS.build(dict(type='DeiT3', **TINY, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'pit.pth'))))
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing key.*layers\.0\.attn\.qkv\.weight'):
        model.init_weights()
    # Any loading path: the backbone checks what it is given.
    other = MODELS.build(dict(type='DeiT3', **dict(TINY, arch=dict(
        TINY['arch'], embed_dims=32))))
    with pytest.raises(CheckpointMismatchError,
                       match=r"shape mismatch.*cls_token: checkpoint"):
        MODELS.build(dict(type='DeiT3', **TINY)).load_state_dict(
            other.state_dict(), strict=False)


# ------------------------------------------------------ through the tools
@pytest.fixture(scope='module')
def grey_run(repo_root, tmp_path_factory):
    """Fine-tune the grey folder config from a demo checkpoint, with the
    data and checkpoint where the config expects them (cwd-relative)."""
    cwd = tmp_path_factory.mktemp('user')
    write_folder(cwd / 'data' / 'my_dataset', per_class=240)
    demo = get_model(os.path.join(
        repo_root, 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'))
    demo.init_weights()  # stands in for the demo's trained weights
    os.makedirs(cwd / 'work_dirs' / 'demo')
    torch.save({'state_dict': demo.state_dict()},
               cwd / 'work_dirs' / 'demo' / 'epoch_8.pth')
    config = os.path.join(repo_root, GREY)
    log = run(cwd, os.path.join(repo_root, 'tools/train.py'), config,
              '--work-dir', 'work_dirs/grey')
    return cwd, config, log, demo


@pytest.mark.slow
def test_own_grey_folder_fine_tunes_and_evaluates(grey_run, repo_root):
    cwd, config, log, demo = grey_run
    assert "Loaded DeiT3 from work_dirs/demo/epoch_8.pth (prefix " \
        "'backbone.')" in log
    accs = [float(line.split('accuracy/top1: ')[1].split()[0])
            for line in log.splitlines() if 'Epoch(val)' in line
            and 'accuracy/top1' in line]
    assert len(accs) == 5 and accs[-1] >= 90, accs  # chance is 33%
    out = cwd / 'metrics.json'
    run(cwd, os.path.join(repo_root, 'tools/test.py'), config,
        'work_dirs/grey/epoch_5.pth', '--out', str(out), '--out-item',
        'metrics')
    import json
    assert json.loads(out.read_text())['accuracy/top1'] == \
        pytest.approx(accs[-1])


@pytest.mark.slow
def test_infer_prints_topk_for_grey_image_files(grey_run, repo_root):
    cwd, config, _, _ = grey_run
    dark = cwd / 'data/my_dataset/val/horizontal/0.png'
    bright = cv2.cvtColor(cv2.imread(
        str(cwd / 'data/my_dataset/val/vertical/0.png')), cv2.COLOR_BGR2RGB)
    cv2.imwrite(str(cwd / 'bright_colour.jpg'), bright)  # 3 channels
    log = run(cwd, os.path.join(repo_root, 'tools/infer.py'), config,
              'work_dirs/grey/epoch_5.pth', str(dark), 'bright_colour.jpg',
              '--topk', '2', '--show-dir', 'shown')
    lines = log.splitlines()
    first = lines.index(str(dark))
    assert lines[first + 1].split()[:2] == ['1.', 'horizontal']
    second = lines.index('bright_colour.jpg')
    assert lines[second + 1].split()[:2] == ['1.', 'vertical']
    scores = [float(lines[i].split()[-1]) for i in (first + 1, first + 2)]
    assert scores[0] >= scores[1] and 0 < sum(scores) <= 1 + 1e-6
    assert sorted(os.listdir(cwd / 'shown')) == ['0.png',
                                                 'bright_colour.png']


@pytest.mark.slow
def test_tools_refuse_a_checkpoint_that_does_not_fit(grey_run, repo_root):
    cwd, config, _, _ = grey_run
    # The 10-class demo checkpoint into the 3-class model.
    log = run(cwd, os.path.join(repo_root, 'tools/test.py'), config,
              'work_dirs/demo/epoch_8.pth', ok=False)
    assert 'shape mismatch' in log and 'head.fc.weight: checkpoint (10, 64)' \
        ' vs model (3, 64)' in log
    log = run(cwd, os.path.join(repo_root, 'tools/train.py'), config,
              '--cfg-options', 'load_from=work_dirs/demo/epoch_8.pth',
              'train_cfg.max_epochs=1', ok=False)
    assert 'head.fc.weight: checkpoint (10, 64) vs model (3, 64)' in log


@pytest.mark.slow
def test_own_rgb_folder_fine_tunes_from_an_official_url(
        timm_deit3, repo_root, tmp_path):
    """The RGB folder config as shipped (DeiT III-S at 224 px, 2 loader
    workers), its `pretrained` URL served locally: the raw timm file is
    downloaded, converted and loaded, grey files are read as RGB, and the
    fine-tuned checkpoint evaluates and predicts with the folder's classes."""
    folder, _ = timm_deit3
    write_folder(tmp_path / 'data' / 'my_dataset', per_class=12)
    config = os.path.join(repo_root, RGB)
    env = dict(os.environ, MMVIT_EXT_CACHE=str(tmp_path / 'cache'))
    with serve(folder) as url:
        log = run(tmp_path, os.path.join(repo_root, 'tools/train.py'),
                  config, '--work-dir', 'work_dirs/rgb', '--cfg-options',
                  f'model.backbone.init_cfg.checkpoint={url}/deit3_small.pth',
                  'model.head.num_classes=3',
                  'data_preprocessor.num_classes=3', 'train_cfg.max_epochs=1',
                  env=env)
    assert f'{url}/deit3_small.pth: converted from the DeiT III ' \
        '(facebookresearch/deit or timm) layout' in log, log[-3000:]
    assert 'Epoch(val) [1]' in log
    log = run(tmp_path, os.path.join(repo_root, 'tools/infer.py'), config,
              'work_dirs/rgb/epoch_1.pth',
              'data/my_dataset/val/checker/0.png', '--topk', '3',
              '--cfg-options', 'model.head.num_classes=3', env=env)
    lines = log.splitlines()
    first = lines.index('data/my_dataset/val/checker/0.png')
    assert sorted(line.split()[1] for line in lines[first + 1:first + 4]) \
        == ['checker', 'horizontal', 'vertical']


def test_distilled_config_predicts_without_its_teacher(tmp_path, repo_root):
    """A converted distilled DeiT, tiny, through the inferencer."""
    reference = randomize_(timm.create_model(
        'deit_tiny_distilled_patch16_224', img_size=32, patch_size=8,
        depth=1))
    torch.save(reference.state_dict(), tmp_path / 'deit_distilled.pth')
    cfg = Config.fromfile(os.path.join(
        repo_root, 'configs/deit/deit-ti-distilled_8xb128_in1k.py'))
    cfg.model.backbone.update(arch=dict(embed_dims=192, num_layers=1,
                                        num_heads=3,
                                        feedforward_channels=768),
                              img_size=32, patch_size=8)
    cv2.imwrite(str(tmp_path / 'x.png'),
                np.random.default_rng(0).integers(0, 255, (32, 32, 3),
                                                  dtype=np.uint8))
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'),
                                            dict(type='PackInputs')]
    from mmvit_ext.apis import ImageClassificationInferencer
    inferencer = ImageClassificationInferencer(
        cfg, pretrained=str(tmp_path / 'deit_distilled.pth'))
    result = inferencer(str(tmp_path / 'x.png'))[0]
    x = torch.from_numpy(cv2.cvtColor(cv2.imread(str(tmp_path / 'x.png')),
                                      cv2.COLOR_BGR2RGB)).permute(2, 0, 1)
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    with torch.no_grad():
        expected = reference.eval()((x[None].float() - mean) / std)
    torch.testing.assert_close(
        torch.as_tensor(result['pred_scores']), expected.softmax(-1)[0],
        rtol=1e-4, atol=1e-5)


def test_a_config_outside_the_repo_inherits_our_and_mmpretrain_bases(
        tmp_path):
    (tmp_path / 'mine.py').write_text(
        "_base_ = ['mmvit_ext::_base_/models/pit/pit-s.py',\n"
        "          'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',\n"
        "          'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin"
        ".py',\n          'mmvit_ext::_base_/default_runtime.py']\n"
        "model = dict(head=dict(num_classes=7))\n")
    (tmp_path / 'leaf.py').write_text(
        "_base_ = 'mmvit_ext::deit3/deit3-s-p16_8xb256_in1k.py'\n")
    cfg = Config.fromfile(str(tmp_path / 'mine.py'))
    assert cfg.model.backbone.type == 'mmvit_ext.PiT'
    assert cfg.train_dataloader.dataset.type == 'ImageNet'
    assert cfg.model.head.num_classes == 7
    leaf = Config.fromfile(str(tmp_path / 'leaf.py'))
    assert leaf.model.backbone.arch == 'small'
    with torch.device('meta'):
        assert type(get_model(cfg).backbone).__name__ == 'PiT'


def _timm(name, layout=None):
    import test_parity_deit3
    import test_parity_pit
    reference = randomize_(timm.create_model(name)).eval()
    checkpoint = reference.state_dict()
    if layout == 'deit3-official':
        checkpoint = test_parity_deit3.to_official_layout(checkpoint)
    elif layout == 'pit-official':
        checkpoint = test_parity_pit.to_official_layout(checkpoint)
    with torch.no_grad():
        return checkpoint, image(224), reference(image(224))


def _fixture(name):
    from parity_utils import load_official_fixture
    return load_official_fixture(os.path.join(
        os.path.dirname(__file__), 'fixtures', name))


RAW = {
    'deit3 official': ('configs/deit3/deit3-s-p16_8xb256_in1k.py',
                       lambda: _timm('deit3_small_patch16_224',
                                     'deit3-official')),
    'deit timm distilled': ('configs/deit/deit-ti-distilled_8xb128_in1k.py',
                            lambda: _timm('deit_tiny_distilled_patch16_224')),
    'pit timm': ('configs/pit/pit-ti_8xb128_in1k.py',
                 lambda: _timm('pit_ti_224')),
    'pit official': ('configs/pit/pit-ti_8xb128_in1k.py',
                     lambda: _timm('pit_ti_224', 'pit-official')),
    'deepvit official': ('configs/deepvit/deepvit-16b_16xb32_in1k.py',
                         lambda: _fixture('deepvit/16b_224.pth')),
    'ceit official': ('configs/ceit/ceit-t_8xb128_in1k.py',
                      lambda: _fixture('ceit/ceit_tiny_224.pth')),
}


@pytest.mark.parametrize('config,make', RAW.values(), ids=RAW.keys())
def test_every_family_raw_checkpoint_by_path(config, make, repo_root,
                                             tmp_path):
    """A raw official or timm file of each family, given as `pretrained`,
    is recognised, converted and gives the reference's logits."""
    checkpoint, x, expected = make()
    torch.save(checkpoint, tmp_path / 'raw.pth')
    model = get_model(os.path.join(repo_root, config),
                      pretrained=str(tmp_path / 'raw.pth'))
    with torch.no_grad():
        got = model.eval()(x, mode='tensor')
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
