"""Fashion-MNIST scenes: a small detection and segmentation set made of real
image content, for mmdet's ``CocoDataset`` and mmseg's ``BaseSegDataset``.

Each scene is an RGB canvas on a textured background (smooth colour noise,
grain and faint strokes, so that "every bright pixel is an object" does not
solve it) with 1-6 Fashion-MNIST items, each rescaled, tinted and placed so
that it may hide part of an earlier one, but never more than half of it.
Training scenes draw only from Fashion-MNIST's training items, validation
scenes only from its test items. Scene ``i`` of a split depends only on
``(seed, split, i)``: the same seed writes the same files.

Written under ``--out``::

    images/{train,val}/000000.png        RGB scenes
    semantic/{train,val}/000000.png      labels: 0 background, 1-10 classes
    annotations/instances_{train,val}.json
                                         COCO instances: bbox, RLE mask,
                                         area, iscrowd 0, 10 categories
    meta.json                            the arguments that made the set

A scene's annotations agree by construction: the semantic map is the union
of the visible instance masks, and each box is the extent of its instance's
visible mask (COCO's ``[x, y, w, h]``, in pixels, as pycocotools' ``toBbox``).

The set is built in a temporary folder beside ``--out`` and moved into place
at the end, so an interrupted run leaves nothing half-written.

Usage:
    python tools/dataset_converters/make_fashion_scenes.py \
        --out data/fashion_scenes [--seed 0] [--num-train 2000] \
        [--num-val 500] [--size 128 128] [--fashion-root data/fashion-mnist]
"""
import argparse
import json
import os
import shutil
import struct
import sys
import tempfile

import numpy as np
from PIL import Image

CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
SPLITS = {'train': ('train', 0), 'val': ('t10k', 1)}  # name: (IDX stem, id)

MAX_ITEMS = 6
SCALES = (0.8, 3.0)  # item side: 28 px times this (22-84 px)
ITEM_THRESHOLD = 40  # Fashion-MNIST pixels above this belong to the item
MIN_VISIBLE = 0.5  # an item keeps at least this part of its mask visible
MIN_AREA = 24  # ... and at least this many pixels
PLACEMENT_TRIES = 20


def read_idx(path):
    """An IDX file as a numpy array (uint8 images or labels)."""
    with open(path, 'rb') as f:
        magic, count = struct.unpack('>II', f.read(8))
        if magic == 2051:
            rows, cols = struct.unpack('>II', f.read(8))
            shape = (count, rows, cols)
        elif magic == 2049:
            shape = (count, )
        else:
            raise ValueError(f'{path}: not an IDX image or label file '
                             f'(magic {magic}, expected 2051 or 2049)')
        data = np.frombuffer(f.read(), np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f'{path}: {data.size} values, expected '
                         f'{int(np.prod(shape))} for shape {shape}')
    return data.reshape(shape)


def load_fashion(root, stem):
    """Images (N, 28, 28) and labels (N,) of one Fashion-MNIST split, from
    the unpacked IDX files that ``make data`` (tools/prepare_data.py)
    writes."""
    paths = [os.path.join(root, f'{stem}-{kind}-ubyte')
             for kind in ('images-idx3', 'labels-idx1')]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f'Fashion-MNIST is not unpacked in {root} (missing {missing}); '
            'run `make data` or `python tools/prepare_data.py --dst '
            f'{root}`, or pass --fashion-root')
    images, labels = (read_idx(p) for p in paths)
    if len(images) != len(labels):
        raise ValueError(f'{root}: {len(images)} images but {len(labels)} '
                         f'labels in the {stem} split')
    return images, labels


def background(rng, height, width):
    """Smooth colour noise, grain and a few faint strokes (uint8 HxWx3)."""
    coarse = rng.uniform(15, 120, (4, 4, 3)).astype(np.float32)
    smooth = np.asarray(
        Image.fromarray(coarse.astype(np.uint8)).resize(
            (width, height), Image.BILINEAR), np.float32)
    canvas = smooth + rng.normal(0, 14, (height, width, 3))
    for _ in range(rng.integers(0, 4)):  # faint strokes across the scene
        y0, y1 = rng.integers(0, height, 2)
        x0, x1 = rng.integers(0, width, 2)
        steps = max(abs(int(y1) - int(y0)), abs(int(x1) - int(x0)), 1) + 1
        ys = np.linspace(y0, y1, steps).round().astype(int)
        xs = np.linspace(x0, x1, steps).round().astype(int)
        canvas[ys, xs] += rng.uniform(30, 70, 3)
    return canvas


def render_item(rng, image):
    """A rescaled item: its grey values (float, 0-255) and its mask."""
    side = int(round(28 * rng.uniform(*SCALES)))
    grey = np.asarray(
        Image.fromarray(image).resize((side, side), Image.BILINEAR),
        np.float32)
    return grey, grey > ITEM_THRESHOLD


def make_scene(rng, images, labels, height, width):
    """One scene: the RGB image, the label map and its instances as
    ``(class index, visible mask)``, in drawing order."""
    canvas = background(rng, height, width)
    owner = np.full((height, width), -1, np.int64)  # item index per pixel
    items = []  # (class index, full-mask pixel count)
    for _ in range(rng.integers(1, MAX_ITEMS + 1)):
        index = int(rng.integers(len(images)))
        grey, mask = render_item(rng, images[index])
        if mask.sum() < MIN_AREA:
            continue
        side = grey.shape[0]
        if side > min(height, width):
            continue
        tint = rng.uniform(0.35, 1.0, 3)
        for _ in range(PLACEMENT_TRIES):
            y = int(rng.integers(0, height - side + 1))
            x = int(rng.integers(0, width - side + 1))
            window = owner[y:y + side, x:x + side]
            hidden = np.bincount(window[mask & (window >= 0)],
                                 minlength=len(items))
            visible = [(owner == k).sum() - hidden[k]
                       for k in range(len(items))]
            if all(v >= max(MIN_VISIBLE * full, MIN_AREA)
                   for v, (_, full) in zip(visible, items)):
                break
        else:
            continue  # no place where it hides too little of the others
        window[mask] = len(items)
        region = canvas[y:y + side, x:x + side]
        region[mask] = grey[mask, None] * tint
        items.append((int(labels[index]), int(mask.sum())))
    image = np.clip(canvas, 0, 255).round().astype(np.uint8)
    instances = [(cls, owner == k) for k, (cls, _) in enumerate(items)]
    label_map = np.zeros((height, width), np.uint8)
    for cls, mask in instances:
        label_map[mask] = cls + 1
    return image, label_map, instances


def encode_rle(mask):
    """COCO's uncompressed RLE of a binary mask (column-major runs, first
    run of zeros), which pycocotools and mmdet read."""
    flat = np.asfortranarray(mask).ravel(order='F').astype(np.int8)
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0]:
        counts = [0] + counts
    return dict(size=list(mask.shape), counts=counts)


def mask_bbox(mask):
    """COCO ``[x, y, w, h]`` of a mask's pixel extent."""
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
            int(ys.max() - ys.min() + 1)]


def write_split(root, split, seed, num, size, fashion):
    stem, split_id = SPLITS[split]
    images, labels = fashion[stem]
    height, width = size
    for sub in ('images', 'semantic'):
        os.makedirs(os.path.join(root, sub, split))
    coco_images, annotations = [], []
    for i in range(num):
        rng = np.random.default_rng([seed, split_id, i])
        image, label_map, instances = make_scene(rng, images, labels, height,
                                                 width)
        file_name = f'{i:06d}.png'
        Image.fromarray(image).save(
            os.path.join(root, 'images', split, file_name))
        Image.fromarray(label_map).save(
            os.path.join(root, 'semantic', split, file_name))
        coco_images.append(
            dict(id=i, file_name=file_name, height=height, width=width))
        for cls, mask in instances:
            annotations.append(
                dict(id=len(annotations) + 1, image_id=i,
                     category_id=cls + 1, bbox=mask_bbox(mask),
                     area=int(mask.sum()), segmentation=encode_rle(mask),
                     iscrowd=0))
    categories = [dict(id=k + 1, name=name) for k, name in enumerate(CLASSES)]
    with open(os.path.join(root, 'annotations', f'instances_{split}.json'),
              'w') as f:
        json.dump(dict(images=coco_images, annotations=annotations,
                       categories=categories), f)
    return len(annotations)


def make_fashion_scenes(out, seed=0, num_train=2000, num_val=500,
                        size=(128, 128), fashion_root='data/fashion-mnist',
                        overwrite=False):
    """Write the scene set to ``out``; returns the number of instances per
    split."""
    if min(size) < 84:
        raise ValueError(f'--size {size[0]} {size[1]} is too small: items '
                         'are up to 84 px, so each side must be >= 84')
    for name, num in (('--num-train', num_train), ('--num-val', num_val)):
        if num < 1:
            raise ValueError(f'{name} {num}: must be at least 1')
    out = os.path.abspath(out)
    if os.path.exists(out) and not overwrite:
        raise FileExistsError(f'{out} exists; pass --overwrite to replace it')
    fashion = {stem: load_fashion(fashion_root, stem)
               for stem, _ in SPLITS.values()}
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.fashion_scenes-', dir=parent)
    try:
        os.makedirs(os.path.join(tmp, 'annotations'))
        counts = {
            split: write_split(tmp, split, seed, num, tuple(size), fashion)
            for split, num in (('train', num_train), ('val', num_val))
        }
        meta = dict(seed=seed, num_train=num_train, num_val=num_val,
                    size=list(size), classes=list(CLASSES),
                    instances=counts)
        with open(os.path.join(tmp, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=500)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 128),
                        metavar=('H', 'W'), help='canvas size')
    parser.add_argument('--fashion-root', default='data/fashion-mnist',
                        help='unpacked Fashion-MNIST (`make data`)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        counts = make_fashion_scenes(
            args.out, args.seed, args.num_train, args.num_val, args.size,
            args.fashion_root, args.overwrite)
    except (OSError, ValueError) as e:
        sys.exit(f'make_fashion_scenes.py: {e}')
    print(f'Fashion-MNIST scenes in {os.path.abspath(args.out)}: '
          f'{args.num_train} train scenes ({counts["train"]} items), '
          f'{args.num_val} val scenes ({counts["val"]} items), '
          f'{args.size[0]}x{args.size[1]}, seed {args.seed}')


if __name__ == '__main__':
    main()
