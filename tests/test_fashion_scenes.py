"""The Fashion-MNIST scene generator: deterministic, split-clean, and its
boxes, masks and label maps agree; mmdet and mmseg read what it writes."""
import filecmp
import json
import os

import numpy as np
import pytest
from PIL import Image
from scene_utils import (ROOT, TOOL, decode, generate,
                         write_fashion_lookalike)
from user_utils import call

from mmvit_ext.utils import import_by_path

scenes = import_by_path(TOOL, 'make_fashion_scenes')


@pytest.fixture(scope='module')
def fashion_root(tmp_path_factory):
    return write_fashion_lookalike(tmp_path_factory.mktemp('fashion'))


@pytest.fixture(scope='module')
def scene_set(tmp_path_factory, fashion_root):
    out = tmp_path_factory.mktemp('scenes') / 'set'
    proc = generate(out, fashion_root)
    assert proc.returncode == 0, proc.stderr
    assert '6 train scenes' in proc.stdout and '96x112' in proc.stdout
    return out


def test_same_seed_same_files_other_seed_other_scenes(tmp_path, scene_set,
                                                      fashion_root):
    again = tmp_path / 'again'
    assert generate(again, fashion_root).returncode == 0
    files = sorted(os.path.relpath(os.path.join(d, f), scene_set)
                   for d, _, fs in os.walk(scene_set) for f in fs)
    assert len(files) == 2 * (6 + 4) + 2 + 1
    match, mismatch, errors = filecmp.cmpfiles(scene_set, again, files,
                                               shallow=False)
    assert not mismatch and not errors
    other = tmp_path / 'other'
    assert generate(other, fashion_root, '--seed', '1').returncode == 0
    assert not filecmp.cmp(scene_set / 'images/train/000000.png',
                           other / 'images/train/000000.png', shallow=False)


@pytest.mark.parametrize('split', ['train', 'val'])
def test_boxes_masks_and_label_maps_agree(scene_set, split):
    coco = json.loads(
        (scene_set / f'annotations/instances_{split}.json').read_text())
    assert [c['name'] for c in coco['categories']] == list(scenes.CLASSES)
    assert [c['id'] for c in coco['categories']] == list(range(1, 11))
    by_image = {}
    for ann in coco['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    assert len(coco['images']) == (6 if split == 'train' else 4)
    for info in coco['images']:
        assert (info['height'], info['width']) == (96, 112)
        image = np.asarray(
            Image.open(scene_set / 'images' / split / info['file_name']))
        assert image.shape == (96, 112, 3)
        label_map = np.asarray(
            Image.open(scene_set / 'semantic' / split / info['file_name']))
        anns = by_image.get(info['id'], [])
        assert 1 <= len(anns) <= scenes.MAX_ITEMS
        union = np.zeros(label_map.shape, np.uint8)
        for ann in anns:
            mask = decode(ann['segmentation'])
            assert ann['iscrowd'] == 0
            assert ann['area'] == mask.sum() >= scenes.MIN_AREA
            ys, xs = np.nonzero(mask)
            assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                   ys.max() - ys.min() + 1]
            assert not union[mask].any(), 'visible masks overlap'
            union[mask] = ann['category_id']
        np.testing.assert_array_equal(union, label_map)
        # The background is textured, not flat: thresholding does not
        # find the objects.
        background = image[label_map == 0].astype(float)
        assert background.std() > 10


def test_training_scenes_hold_training_items_only(scene_set):
    """The lookalike's training items are of classes 0-4 (category ids
    1-5), its test items of classes 5-9."""
    for split, ids in (('train', range(1, 6)), ('val', range(6, 11))):
        coco = json.loads(
            (scene_set / f'annotations/instances_{split}.json').read_text())
        assert {a['category_id'] for a in coco['annotations']} <= set(ids)


@pytest.mark.dense
def test_pycocotools_and_the_scene_configs_read_the_set(scene_set):
    pytest.importorskip('mmdet')
    from mmengine.config import Config
    from pycocotools.coco import COCO
    from pycocotools import mask as mask_utils

    coco = COCO(str(scene_set / 'annotations/instances_val.json'))
    for ann in coco.dataset['annotations']:
        rle = coco.annToRLE(ann)
        np.testing.assert_array_equal(
            mask_utils.decode(rle).astype(bool), decode(ann['segmentation']))
        np.testing.assert_allclose(mask_utils.toBbox(rle), ann['bbox'])
    from mmdet.registry import DATASETS as DET_DATASETS
    from mmseg.registry import DATASETS as SEG_DATASETS
    from mmengine.registry import init_default_scope
    det = Config.fromfile(os.path.join(
        ROOT, 'configs/mmdet/_base_/datasets/fashion-scenes_instance.py'))
    seg = Config.fromfile(os.path.join(
        ROOT, 'configs/mmseg/_base_/datasets/fashion-scenes.py'))
    # The detection pipeline resizes to fit 128x128; segmentation keeps the
    # canvas.
    for cfg, registry, scope, shape in (
            (det, DET_DATASETS, 'mmdet', (3, 110, 128)),
            (seg, SEG_DATASETS, 'mmseg', (3, 96, 112))):
        init_default_scope(scope)
        dataset = registry.build(
            dict(cfg.val_dataloader.dataset, data_root=str(scene_set)))
        assert len(dataset) == 4
        assert tuple(dataset[0]['inputs'].shape) == shape
    # The semantic classes are background plus the instance classes.
    assert det.classes == seg.classes[1:]
    init_default_scope('mmvit_ext')


def test_bad_arguments_are_named_and_leave_nothing(tmp_path, fashion_root):
    proc = generate(tmp_path / 'small', fashion_root, '--size', '64', '64')
    assert proc.returncode != 0
    assert '--size 64 64 is too small' in proc.stderr
    proc = call(ROOT, TOOL, '--out', tmp_path / 'x', '--fashion-root',
                tmp_path / 'nowhere')
    assert proc.returncode != 0 and 'make data' in proc.stderr
    assert not (tmp_path / 'x').exists()
    (tmp_path / 'taken').mkdir()
    proc = generate(tmp_path / 'taken', fashion_root)
    assert proc.returncode != 0 and '--overwrite' in proc.stderr
    assert generate(tmp_path / 'taken', fashion_root,
                    '--overwrite').returncode == 0


def test_an_interrupted_run_leaves_nothing(tmp_path, fashion_root,
                                           monkeypatch):
    calls = []

    def failing(*args):
        calls.append(args)
        raise KeyboardInterrupt

    monkeypatch.setattr(scenes, 'write_split', failing)
    with pytest.raises(KeyboardInterrupt):
        scenes.make_fashion_scenes(str(tmp_path / 'out'),
                                   fashion_root=fashion_root)
    assert calls and os.listdir(tmp_path) == []
