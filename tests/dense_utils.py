"""Helpers of the mmdet/mmseg tests: the skip, tiny backbones, synthetic data."""
import glob
import os

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Tiny settings of each backbone, keeping the depth the configs index into.
TINY_BACKBONES = {
    'mmvit_ext.DeiT3': dict(arch=dict(embed_dims=32, num_layers=12,
                                      num_heads=2, feedforward_channels=64)),
    'mmvit_ext.CeiT': dict(arch=dict(embed_dims=32, num_layers=12,
                                     num_heads=2, mlp_ratio=2),
                           stem_cfg=dict(stem_channels=8)),
    'mmvit_ext.PiT': dict(arch=dict(embed_dims=(16, 32, 64), depths=(1, 1, 1),
                                    num_heads=(1, 2, 4))),
}


def require_dense():
    """Skip the calling module unless full mmcv, mmdet and mmseg import."""
    try:
        import mmcv.ops  # noqa: F401  (the compiled ops)
        import mmdet.models  # noqa: F401
        import mmseg.models  # noqa: F401
    except ImportError as e:
        pytest.skip(
            f'the dense extra is not installed ({e}); `make dense` builds '
            'full mmcv and installs mmdet and mmseg',
            allow_module_level=True)


def dense_configs(kind):
    """The shipped COCO and ADE20K leaf configs under ``configs/<kind>``
    (mmdet or mmseg); the Fashion-MNIST scene configs have their own tests
    (test_dense_scenes.py)."""
    return sorted(
        os.path.relpath(p, ROOT)
        for p in glob.glob(f'{ROOT}/configs/{kind}/*.py')
        if 'fashion-scenes' not in p)


def shrink(cfg, img_size):
    """Give ``cfg.model`` a tiny backbone and wire the neck and heads to it.

    Everything else in the config stays as shipped, but for stochastic depth,
    which could drop a whole branch from a one-step test. Returns the
    backbone's output channels.
    """
    from mmvit_ext.registry import MODELS

    backbone = cfg.model.backbone
    backbone.update(TINY_BACKBONES[backbone.type], img_size=img_size,
                    drop_path_rate=0.0, init_cfg=None)
    channels = [f['num_chs'] for f in MODELS.build(backbone).feature_info]

    neck = cfg.model.get('neck')
    if neck is not None and neck.type == 'mmvit_ext.SimpleFPN':
        neck.in_channels = channels[-1]
    elif neck is not None and neck.type == 'MultiLevelNeck':
        neck.update(in_channels=channels, out_channels=channels[0])
        channels = [channels[0]] * len(neck.scales)
    elif neck is not None:  # mmdet's FPN
        neck.in_channels = channels
    for name in ('decode_head', 'auxiliary_head'):  # mmseg
        head = cfg.model.get(name)
        if head is None:
            continue
        if isinstance(head.in_index, int):
            head.in_channels = channels[head.in_index]
        else:
            head.in_channels = [channels[i] for i in head.in_index]
        head.channels = 16
    return channels


def seg_batch(num_classes, shape=(64, 64), batch_size=2, seed=0):
    """Random images with random segmentation maps, as a data loader packs."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    rng = np.random.RandomState(seed)
    inputs, samples = [], []
    for _ in range(batch_size):
        inputs.append(torch.from_numpy(
            rng.randint(0, 256, (3, *shape), dtype=np.uint8)))
        sample = SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(
            rng.randint(0, num_classes, (1, *shape))).long())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _square_and_disc_images(num_images, size, seed):
    """Yield images of a red square and a blue disc on a noisy grey
    background, with the square as ``(y, x, side)``, the disc as
    ``(cy, cx, r)`` and the disc's pixel mask."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    for _ in range(num_images):
        img = rng.randint(90, 150, (size, size, 3)).astype(np.uint8)
        s = int(rng.randint(size // 5, size // 3))
        y, x = (int(v) for v in rng.randint(0, size - s, 2))
        img[y:y + s, x:x + s] = (40, 40, 220)  # BGR red
        r = int(rng.randint(size // 10, size // 6))
        cy, cx = (int(v) for v in rng.randint(r, size - r, 2))
        disc = (yy - cy)**2 + (xx - cx)**2 <= r * r
        img[disc] = (220, 40, 40)  # BGR blue
        yield img, (y, x, s), (cy, cx, r), disc


def write_synthetic_seg(root, num_images=16, size=64, seed=0):
    """Square-and-disc images with segmentation maps.

    Labels: 0 background, 1 square, 2 disc. Writes ``img/*.png`` and
    ``ann/*.png`` under ``root``.
    """
    import mmcv

    for i, (img, (y, x, s), _, disc) in enumerate(
            _square_and_disc_images(num_images, size, seed)):
        ann = np.zeros((size, size), np.uint8)
        ann[y:y + s, x:x + s] = 1
        ann[disc] = 2
        mmcv.imwrite(img, os.path.join(root, 'img', f'{i:03d}.png'))
        mmcv.imwrite(ann, os.path.join(root, 'ann', f'{i:03d}.png'))


def write_synthetic_coco(root, num_images=16, size=128, seed=0):
    """Square-and-disc images as COCO-style instances.

    Writes ``img/*.png`` and ``annotations.json`` (boxes and polygon masks,
    categories ``square`` and ``disc``) under ``root``.
    """
    import json

    import mmcv

    images, annotations = [], []
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    for i, (img, (y, x, s), (cy, cx, r), _) in enumerate(
            _square_and_disc_images(num_images, size, seed)):
        square = dict(category_id=1, bbox=[x, y, s, s], area=s * s,
                      segmentation=[[x, y, x + s, y, x + s, y + s, x, y + s]])
        polygon = np.stack([cx + r * np.cos(angles), cy + r * np.sin(angles)],
                           axis=1).ravel().tolist()
        disc = dict(category_id=2, bbox=[cx - r, cy - r, 2 * r, 2 * r],
                    area=float(np.pi * r * r), segmentation=[polygon])
        file_name = f'{i:03d}.png'
        mmcv.imwrite(img, os.path.join(root, 'img', file_name))
        images.append(dict(id=i, file_name=file_name, height=size, width=size))
        for ann in (square, disc):
            annotations.append(dict(ann, id=len(annotations) + 1, image_id=i,
                                    iscrowd=0))
    categories = [dict(id=1, name='square'), dict(id=2, name='disc')]
    with open(os.path.join(root, 'annotations.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations,
                       categories=categories), f)
