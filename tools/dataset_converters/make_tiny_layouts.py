"""Tiny stand-ins for ImageNet, COCO and ADE20K, laid out as the shipped
paper-scale configs expect them, so that a config can be tried (a few
iterations and a validation) before a cluster run.

Written under ``--out`` (run the configs from that folder, or link its
``data`` and ``checkpoints`` into your working folder)::

    data/imagenet/{train,val}/...           mmpretrain's ImageNet: JPEGs and
    data/imagenet/meta/{train,val}.txt      "path label" lists
    data/coco/{train2017,val2017}/*.jpg     mmdet's CocoDataset: boxes and
    data/coco/annotations/instances_{train,val}2017.json   polygons, 80
                                            COCO categories
    data/ade/ADEChallengeData2016/{images,annotations}/{training,validation}
                                            mmseg's ADE20KDataset (labels
                                            0-150, 0 ignored)
    checkpoints/regnety_160-a5fe301d.pth    with --teacher: a random
                                            RegNetY-16GF in the official
                                            layout (needs timm)
    cache/checkpoints/<sha>-<name>.pth      with --pretrained: random
    pretrain/*.pth                          weights in place of each
                                            pretrained checkpoint (URL or
                                            path) of the shipped COCO and
                                            ADE20K configs; URLs are found
                                            with MMVIT_EXT_CACHE=DIR/cache
                                            (needs timm)

The images are random colour noise with a few rectangles (the COCO objects
and the ADE20K regions); only the layout is real. ``--num-train`` is at
least 256 by default because DeiT's repeated augmentation rounds the
training set down to a multiple of 256. The layouts are built in a
temporary folder beside ``--out`` and moved into place at the end, so an
interrupted run leaves nothing half-written.

Usage:
    python tools/dataset_converters/make_tiny_layouts.py --out DIR
        [--num-train 256] [--num-val 8] [--size 64] [--seed 0]
        [--sets imagenet coco ade] [--teacher] [--pretrained]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image

ADE_CLASSES = 150
SETS = ['imagenet', 'coco', 'ade']


def noise_image(rng, size):
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def boxes(rng, size, count):
    """``count`` random boxes (x, y, w, h) of at least 8 pixels a side."""
    out = []
    for _ in range(count):
        w, h = rng.integers(8, size // 2, 2)
        x, y = rng.integers(0, size - w), rng.integers(0, size - h)
        out.append([int(x), int(y), int(w), int(h)])
    return out


def write_imagenet(root, rng, num_train, num_val, size):
    # mmpretrain's ImageNet labels come from its 1000-class list, so a
    # handful of class folders is enough.
    for split, count in (('train', num_train), ('val', num_val)):
        lines = []
        for i in range(count):
            label = i % 10
            name = f'n{label:08d}/img_{i:05d}.JPEG' if split == 'train' \
                else f'ILSVRC2012_val_{i + 1:08d}.JPEG'
            path = os.path.join(root, split, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Image.fromarray(noise_image(rng, size)).save(path, 'JPEG')
            lines.append(f'{name} {label}')
        os.makedirs(os.path.join(root, 'meta'), exist_ok=True)
        with open(os.path.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')


def coco_category_names():
    try:
        from mmdet.datasets import CocoDataset
    except ImportError as e:
        sys.exit(f'the COCO layout takes its 80 class names from mmdet, '
                 f'which is not installed ({e}): run make dense, or leave '
                 'coco out of --sets')
    return CocoDataset.METAINFO['classes']


def write_coco(root, rng, num_train, num_val, size, names):
    categories = [dict(id=i + 1, name=n, supercategory='thing')
                  for i, n in enumerate(names)]
    for split, count in (('train2017', num_train), ('val2017', num_val)):
        os.makedirs(os.path.join(root, split))
        images, annotations = [], []
        for i in range(count):
            img = noise_image(rng, size)
            file_name = f'{i + 1:012d}.jpg'
            images.append(dict(id=i + 1, file_name=file_name, width=size,
                               height=size))
            for x, y, w, h in boxes(rng, size, int(rng.integers(1, 4))):
                img[y:y + h, x:x + w] = rng.integers(0, 256, 3)
                polygon = [x, y, x + w, y, x + w, y + h, x, y + h]
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=i + 1,
                    category_id=int(rng.integers(1, len(names) + 1)),
                    bbox=[x, y, w, h], area=w * h, iscrowd=0,
                    segmentation=[[float(v) for v in polygon]]))
            Image.fromarray(img).save(os.path.join(root, split, file_name))
        os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
        with open(os.path.join(root, 'annotations',
                               f'instances_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=annotations,
                           categories=categories), f)


def write_ade(root, rng, num_train, num_val, size):
    for split, count in (('training', num_train), ('validation', num_val)):
        for sub in ('images', 'annotations'):
            os.makedirs(os.path.join(root, sub, split))
        for i in range(count):
            img = noise_image(rng, size)
            label = np.zeros((size, size), np.uint8)  # 0: ignored
            label[:] = rng.integers(1, ADE_CLASSES + 1)
            for x, y, w, h in boxes(rng, size, 3):
                value = rng.integers(1, ADE_CLASSES + 1)
                label[y:y + h, x:x + w] = value
                img[y:y + h, x:x + w] = rng.integers(0, 256, 3)
            stem = f'ADE_{split[:5]}_{i + 1:08d}'
            Image.fromarray(img).save(
                os.path.join(root, 'images', split, stem + '.jpg'))
            Image.fromarray(label).save(
                os.path.join(root, 'annotations', split, stem + '.png'))


# Random stand-ins for the pretrained weights of the dense configs'
# backbones: a timm model for a URL (official or timm layouts are both
# converted on load), one of our ImageNet configs for a local path.
PRETRAINED = {
    'deit_3_small_224_1k.pth': ('timm', 'deit3_small_patch16_224'),
    'deit_3_base_224_1k.pth': ('timm', 'deit3_base_patch16_224'),
    'pit_s_809.pth': ('timm', 'pit_s_224'),
    'ceit-s_in1k.pth': ('config', 'configs/ceit/ceit-s_8xb128_in1k.py'),
}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def pretrained_checkpoints():
    """Every ``init_cfg`` checkpoint (URL or path) of the shipped COCO and
    ADE20K configs."""
    from mmengine.config import Config
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'checkpoint' and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    for folder in ('mmdet', 'mmseg'):
        for path in sorted(os.listdir(os.path.join(ROOT, 'configs', folder))):
            if path.endswith(('_coco.py', '-512x512.py')):  # COCO, ADE20K
                walk(Config.fromfile(os.path.join(
                    ROOT, 'configs', folder, path)).to_dict())
    return sorted(found)


def stand_in(kind, name):
    if kind == 'timm':
        import timm
        return timm.create_model(name).state_dict()
    from mmpretrain.apis import get_model
    return {'state_dict': get_model(os.path.join(ROOT, name)).state_dict()}


def write_pretrained(out):
    """URLs go to ``out/cache`` (``MMVIT_EXT_CACHE``), relative paths under
    ``out``, where the configs run."""
    import torch

    import mmvit_ext  # noqa: F401  (registers our models)
    from mmvit_ext.engine.checkpoint import cached_checkpoint_path
    for checkpoint in pretrained_checkpoints():
        name = os.path.basename(checkpoint.split('?')[0])
        if name not in PRETRAINED:
            sys.exit(f'no stand-in for {checkpoint}: add one to PRETRAINED '
                     'in make_tiny_layouts.py')
        if checkpoint.startswith(('http://', 'https://')):
            path = cached_checkpoint_path(
                checkpoint, os.path.join(out, 'cache', 'checkpoints'))
        else:
            path = os.path.join(out, checkpoint)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(stand_in(*PRETRAINED[name]), path)


def write_teacher(folder):
    import timm
    import torch
    model = timm.create_model('regnety_160', num_classes=1000,
                              global_pool='avg')
    os.makedirs(folder)
    torch.save({'model': model.state_dict()},
               os.path.join(folder, 'regnety_160-a5fe301d.pth'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='folder to write')
    parser.add_argument('--num-train', type=int, default=256,
                        help='training images of each set (default 256)')
    parser.add_argument('--num-val', type=int, default=8,
                        help='validation images of each set (default 8)')
    parser.add_argument('--size', type=int, default=64,
                        help='image side in pixels (default 64)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--sets', nargs='+', choices=SETS, default=SETS,
                        help='which layouts to write (default: all; COCO '
                        "needs mmdet's class names: make dense)")
    parser.add_argument('--teacher', action='store_true',
                        help='also write a random RegNetY-16GF teacher in '
                        "the official layout (needs timm: the 'teacher' "
                        'extra)')
    parser.add_argument('--pretrained', action='store_true',
                        help='also write random stand-ins for the '
                        'checkpoint URLs of the COCO and ADE20K configs '
                        '(needs timm)')
    args = parser.parse_args(argv)
    for name in ('num_train', 'num_val'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{getattr(args, name)}')
    if args.size < 32:
        parser.error(f'--size must be >= 32, got {args.size}')
    return args


def main(argv=None):
    args = parse_args(argv)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f'{out} exists and is not empty: choose another --out')
    names = coco_category_names() if 'coco' in args.sets else None
    rng = np.random.default_rng(args.seed)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.tiny-layouts-', dir=os.path.dirname(out))
    try:
        sizes = (args.num_train, args.num_val, args.size)
        if 'imagenet' in args.sets:
            write_imagenet(os.path.join(tmp, 'data', 'imagenet'), rng,
                           *sizes)
        if 'coco' in args.sets:
            write_coco(os.path.join(tmp, 'data', 'coco'), rng, *sizes, names)
        if 'ade' in args.sets:
            write_ade(os.path.join(tmp, 'data', 'ade',
                                   'ADEChallengeData2016'), rng, *sizes)
        if args.teacher:
            write_teacher(os.path.join(tmp, 'checkpoints'))
        if args.pretrained:
            write_pretrained(tmp)
        if os.path.exists(out):
            os.rmdir(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f'Tiny {", ".join(args.sets)} layouts in {out}')


if __name__ == '__main__':
    main()
