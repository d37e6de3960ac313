"""Helpers of the scene tests: a tiny Fashion-MNIST lookalike, the scene
generator run as a user runs it, and COCO RLE decoding."""
import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, 'tools/dataset_converters/make_fashion_scenes.py')


def write_idx(path, array):
    with open(path, 'wb') as f:
        if array.ndim == 3:
            f.write(struct.pack('>IIII', 2051, *array.shape))
        else:
            f.write(struct.pack('>II', 2049, len(array)))
        f.write(array.astype(np.uint8).tobytes())


def write_fashion_lookalike(root, per_split=40):
    """A tiny Fashion-MNIST lookalike of bright ellipses in ``root``, whose
    training items are of classes 0-4 and test items of classes 5-9, so
    that a scene tells which split its items came from."""
    yy, xx = np.mgrid[:28, :28]
    rng = np.random.default_rng(0)
    for stem, first_class in (('train', 0), ('t10k', 5)):
        images, labels = [], []
        for i in range(per_split):
            r = (yy - 14)**2 / rng.uniform(30, 120) + \
                (xx - 14)**2 / rng.uniform(30, 120)
            images.append(np.where(r <= 1, rng.integers(120, 256), 0))
            labels.append(first_class + i % 5)
        write_idx(os.path.join(root, f'{stem}-images-idx3-ubyte'),
                  np.stack(images))
        write_idx(os.path.join(root, f'{stem}-labels-idx1-ubyte'),
                  np.array(labels))
    return str(root)


def generate(out, fashion_root, *extra, num_train=6, num_val=4,
             size=(96, 112)):
    """Run tools/dataset_converters/make_fashion_scenes.py as a user does
    (``user_utils.call``)."""
    from user_utils import call
    return call(ROOT, TOOL, '--out', out, '--fashion-root', fashion_root,
                '--num-train', num_train, '--num-val', num_val, '--size',
                *size, *extra)


def decode(rle):
    """COCO uncompressed RLE -> HxW bool (column-major runs)."""
    h, w = rle['size']
    flat = np.zeros(h * w, bool)
    pos, value = 0, False
    for count in rle['counts']:
        flat[pos:pos + count] = value
        pos, value = pos + count, not value
    assert pos == h * w
    return flat.reshape((h, w), order='F')
