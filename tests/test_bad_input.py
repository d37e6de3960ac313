"""Bad input gets an error that names the bad value and what is allowed:
backbone arguments, image files, and a head that does not fit its backbone
or its data (the last through ``tools/train.py``, as a user meets them)."""
import os
import re

import cv2
import numpy as np
import pytest
import torch

from mmvit_ext.datasets import ImageLoadError, LoadImageFromFile
from mmvit_ext.registry import MODELS
from user_utils import run, write_folder

DEIT3 = dict(type='DeiT3', arch=dict(embed_dims=64, num_layers=1,
                                     num_heads=4, feedforward_channels=64),
             img_size=28, patch_size=7)
DEEPVIT = dict(type='DeepViT', arch=dict(embed_dims=64, num_layers=2,
                                         num_heads=4, mlp_ratio=1),
               img_size=28, patch_size=7)
CEIT = dict(type='CeiT', arch=dict(embed_dims=64, num_layers=1, num_heads=4,
                                   mlp_ratio=1),
            img_size=32, stem_cfg=dict(stem_channels=8))
PIT = dict(type='PiT', arch=dict(embed_dims=(16, 32), depths=(1, 1),
                                 num_heads=(2, 4), patch_size=4, stride=4),
           img_size=32)


def arch(base, **changes):
    return dict(base, arch=dict(base['arch'], **changes))


# (config, the message's expected text: the bad value and what is allowed)
BAD_BACKBONES = {
    'deit3 heads': (arch(DEIT3, num_heads=5),
                    'DeiT3 embed_dims 64 is not divisible by num_heads 5: '
                    'use num_heads in [1, 2, 4, 8, 16, 32, 64]'),
    'deit heads': (dict(arch(DEIT3, num_heads=3), type='DeiT'),
                   'DeiT embed_dims 64 is not divisible by num_heads 3'),
    'deit3 patch 0': (dict(DEIT3, patch_size=0),
                      'DeiT3 patch_size 0 is invalid: it must be an int >= 1 '
                      'or an (H, W) pair of them'),
    'deit3 img_size': (dict(DEIT3, img_size=(0, 28)),
                       'DeiT3 img_size (0, 28) is invalid: it must be an int'
                       ' >= 1 or an (H, W) pair of them'),
    'deit3 channels': (dict(DEIT3, in_channels=0),
                       'DeiT3 in_channels 0 is invalid: it must be an int '
                       '>= 1'),
    'deit3 layer scale': (dict(DEIT3, layer_scale_init_value=0.),
                          'DeiT3 layer_scale_init_value 0.0 is invalid: it '
                          'must be > 0 with use_layer_scale=True'),
    'deit3 arch': (dict(DEIT3, arch='tiny'),
                   "DeiT3 arch 'tiny' is not one of ['b', 'base', 'h',"),
    'deit3 arch keys': (dict(DEIT3, arch=dict(embed_dims=64)),
                        'DeiT3 custom arch misses the keys '
                        "['feedforward_channels', 'num_heads', 'num_layers']"),
    'deit3 out_type': (dict(DEIT3, out_type='pooled'),
                       "DeiT3 out_type 'pooled' is not one of ['avg_featmap',"
                       " 'cls_token', 'featmap', 'raw']"),
    'deit3 out_indices': (dict(DEIT3, out_indices=(0, 1)),
                          'out_indices 1 is out of range: there are 1, so '
                          'use -1..0'),
    'deit3 frozen_stages': (dict(DEIT3, frozen_stages=2),
                            'frozen_stages 2 is out of range -1..1'),
    'deepvit heads': (arch(DEEPVIT, num_heads=6),
                      'DeepViT embed_dims 64 is not divisible by num_heads 6'),
    'deepvit patch': (dict(DEEPVIT, patch_size=-7),
                      'DeepViT patch_size -7 is invalid: it must be an int '
                      '>= 1'),
    'deepvit channels': (dict(DEEPVIT, in_channels=1.5),
                         'DeepViT in_channels 1.5 is invalid: it must be an '
                         'int >= 1'),
    'deepvit cnn stem': (dict(DEEPVIT, patch_embed='cnn'),
                         "DeepViT patch_size 7 is invalid for patch_embed="
                         "'cnn': it must be even"),
    'deepvit stem name': (dict(DEEPVIT, patch_embed='resnet'),
                          "DeepViT patch_embed 'resnet' is not one of "
                          "['cnn', 'conv', 'linear']"),
    'deepvit re_attention': (dict(DEEPVIT, re_attention=3),
                             're_attention 3 (the last N blocks) is out of '
                             'range 0..2'),
    'ceit heads': (arch(CEIT, num_heads=5),
                   'CeiT embed_dims 64 is not divisible by num_heads 5'),
    'ceit stem': (dict(CEIT, stem_cfg=dict(patch_size=0)),
                  'CeiT stem_cfg patch_size 0 is invalid: it must be an int '
                  '>= 1'),
    'ceit channels': (dict(CEIT, in_channels=-1),
                      'CeiT in_channels -1 is invalid'),
    'pit heads': (arch(PIT, num_heads=(2, 5)),
                  'PiT stage 1 embed_dims 32 is not divisible by num_heads 5:'
                  ' use num_heads in [1, 2, 4, 8, 16, 32]'),
    'pit stride': (arch(PIT, stride=0),
                   'PiT stride 0 is invalid: it must be an int >= 1'),
    'pit stages': (arch(PIT, depths=(1, 1, 1)),
                   'PiT arch needs one value per stage in embed_dims, depths '
                   'and num_heads, got (16, 32), (1, 1, 1) and (2, 4)'),
}


@pytest.mark.parametrize('cfg,message', BAD_BACKBONES.values(),
                         ids=BAD_BACKBONES.keys())
def test_bad_backbone_argument_is_named_with_what_is_allowed(cfg, message):
    with pytest.raises(ValueError) as error:
        MODELS.build(cfg)
    assert message in str(error.value)


# Every stem at an input it does not tile: the grid of the position
# embedding is the one the stem makes, so nothing is resized at img_size.
UNTILED = {
    'deit3 conv': (dict(DEIT3, img_size=30), (5, 5)),
    'deepvit conv': (dict(DEEPVIT, img_size=100, patch_size=16), (7, 7)),
    'deepvit linear': (dict(DEEPVIT, img_size=100, patch_size=16,
                            patch_embed='linear'), (7, 7)),
    'deepvit cnn': (dict(DEEPVIT, img_size=100, patch_size=16,
                         patch_embed='cnn'), (7, 7)),
    'ceit i2t': (dict(CEIT, img_size=(100, 70)), (7, 5)),
    'pit overlapping conv': (dict(arch(PIT, patch_size=6, stride=3),
                                  img_size=(28, 25)), (9, 8)),
}


@pytest.mark.parametrize('cfg,grid', UNTILED.values(), ids=UNTILED.keys())
def test_every_stem_pads_an_untiled_size_and_builds_its_grid(cfg, grid):
    model = MODELS.build(dict(cfg, out_type='featmap', out_indices=0)).eval()
    # The position embedding is built for the grid the stem makes at
    # img_size, so it is used as built, never resized, at that size.
    assert model.patch_resolution == grid
    x = torch.randn(1, model.in_channels, *model.img_size)
    with torch.no_grad():
        out = model(x)[0]
    assert tuple(out.shape[2:]) == grid
    if cfg['type'] in ('DeiT3', 'PiT') or (
            cfg['type'] == 'DeepViT' and cfg.get('patch_embed') != 'cnn'):
        # The padding is zeros at the bottom and right: an input padded by
        # hand to the next tiled size gives the same features. (The CNN and
        # I2T stems pad their own feature map, after a conv.)
        pit = cfg['type'] == 'PiT'
        stride = model.stride if pit else model.patch_stride
        kernel = model.patch_size if pit else stride
        h, w = (kernel + (g - 1) * stride for g in grid)
        x_padded = torch.nn.functional.pad(
            x, (0, w - x.shape[3], 0, h - x.shape[2]))
        assert x_padded.shape[2:] != x.shape[2:]
        with torch.no_grad():
            torch.testing.assert_close(model(x_padded)[0], out)


# ------------------------------------------------------------ image files
@pytest.fixture
def bad_images(tmp_path):
    ok, png = cv2.imencode('.png', np.full((20, 20, 3), 128, np.uint8))
    files = {
        'empty': b'',
        'truncated': png.tobytes()[:len(png) // 2],
        'not an image': b'these are not the pixels you are looking for',
    }
    for name, data in files.items():
        (tmp_path / f'{name}.png').write_bytes(data)
    return tmp_path


@pytest.mark.parametrize('name,reason', [
    ('empty', 'empty file'),
    ('truncated', r'truncated or not an image \(\d+ bytes\)'),
    ('not an image', r'truncated or not an image \(44 bytes\)'),
    ('missing', 'no such file'),
])
def test_an_unreadable_image_names_its_file_and_index(bad_images, name,
                                                      reason):
    path = str(bad_images / f'{name}.png')
    with pytest.raises(ImageLoadError) as error:
        LoadImageFromFile()(dict(img_path=path, sample_idx=12))
    assert re.search(f'cannot read image #12 {re.escape(path)}: {reason} '
                     r'\(LoadImageFromFile\(ignore_empty=True\) skips',
                     str(error.value)), str(error.value)


def test_ignore_empty_skips_and_counts_bad_images(bad_images):
    load = LoadImageFromFile(ignore_empty=True)
    paths = [str(bad_images / f) for f in ('empty.png', 'truncated.png')]
    assert [load(dict(img_path=p, sample_idx=i))
            for i, p in enumerate(paths)] == [None, None]
    assert load.num_skipped == 2


# --------------------------------------- through tools/train.py, as a user
GREY = 'configs/custom/deit3-tiny-p7_1xb64_folder-grey-28px.py'


@pytest.fixture(scope='module')
def user_dir(tmp_path_factory):
    cwd = tmp_path_factory.mktemp('user')
    write_folder(cwd / 'data' / 'my_dataset', per_class=12)
    return cwd


def train(repo_root, cwd, *options, ok):
    return run(cwd, os.path.join(repo_root, 'tools/train.py'),
               os.path.join(repo_root, GREY), '--work-dir', 'work_dirs/bad',
               '--cfg-options', 'model.backbone.init_cfg=None',
               'train_cfg.max_epochs=1', *options, ok=ok)


@pytest.mark.slow
def test_too_few_classes_stop_before_the_first_iteration(repo_root,
                                                        user_dir):
    log = train(repo_root, user_dir, 'model.head.num_classes=2',
                'data_preprocessor.num_classes=2', ok=False)
    assert 'The head (LinearClsHead) has num_classes=2, but the ' \
        'training set (CustomDataset at data/my_dataset) has 3 classes: set ' \
        'model.head.num_classes=3' in log
    assert 'Epoch(train)' not in log


@pytest.mark.slow
def test_head_channels_that_differ_from_the_backbone_stop_before_training(
        repo_root, user_dir):
    log = train(repo_root, user_dir, 'model.head.in_channels=32', ok=False)
    assert 'The head (LinearClsHead) has in_channels=32, but the ' \
        'backbone gives 64 channels: set model.head.in_channels=64' in log
    assert 'Epoch(train)' not in log


@pytest.mark.slow
def test_a_bad_image_stops_training_by_default_and_is_skipped_on_request(
        repo_root, user_dir):
    bad = user_dir / 'data/my_dataset/train/checker/0.png'
    bad.write_bytes(b'')
    log = train(repo_root, user_dir, ok=False)
    index = re.search(r'cannot read image #(\d+) (\S+): empty file', log)
    assert index and index.group(2) == 'data/my_dataset/train/checker/0.png'
    assert 'Epoch(train)' not in log
    log = train(repo_root, user_dir,
                'train_dataloader.dataset.pipeline.0.ignore_empty=True',
                ok=True)
    assert f'Skipped image #{index.group(1)} ' \
        'data/my_dataset/train/checker/0.png: empty file (1 skipped so ' \
        'far)' in log
    assert 'Epoch(val) [1]' in log
