"""Unpack Fashion-MNIST where mmpretrain's ``FashionMNIST`` dataset reads it.

The source is Debian's ``dataset-fashion-mnist`` package (gzipped IDX files).
The unpacked files are checked for their IDX headers and sizes, so a broken
or partial copy is never left behind.

Usage: python tools/prepare_data.py [--src DIR] [--dst data/fashion-mnist]
"""
import argparse
import gzip
import os
import shutil
import struct
import sys
import tempfile
from pathlib import Path

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
# file stem -> (IDX magic, number of items)
FILES = {
    'train-images-idx3-ubyte': (2051, 60000),
    'train-labels-idx1-ubyte': (2049, 60000),
    't10k-images-idx3-ubyte': (2051, 10000),
    't10k-labels-idx1-ubyte': (2049, 10000),
}
INSTALL_HINT = ('Install it with:  sudo apt-get install dataset-fashion-mnist'
                '  (Debian/Ubuntu), or pass --src to a folder with the four '
                'files {}.gz'.format(', '.join(FILES)))


def check_idx(path, magic, count):
    """Raise ``ValueError`` unless ``path`` is an IDX file of ``count``
    items with the expected magic number and size."""
    with open(path, 'rb') as f:
        got_magic, got_count = struct.unpack('>II', f.read(8))
    if (got_magic, got_count) != (magic, count):
        raise ValueError(f'{path}: header (magic {got_magic}, {got_count} '
                         f'items), expected (magic {magic}, {count} items)')
    item = 28 * 28 if magic == 2051 else 1
    header = 16 if magic == 2051 else 8
    size = os.path.getsize(path)
    if size != header + count * item:
        raise ValueError(f'{path}: {size} bytes, expected '
                         f'{header + count * item}')


def prepare(src, dst):
    src, dst = Path(src), Path(dst)
    missing = [s for s in FILES if not (src / f'{s}.gz').exists()]
    if missing:
        raise FileNotFoundError(
            f'Fashion-MNIST is not in {src} (missing {missing}). '
            f'{INSTALL_HINT}')
    dst.mkdir(parents=True, exist_ok=True)
    for stem, (magic, count) in FILES.items():
        out = dst / stem
        try:
            check_idx(out, magic, count)
            continue  # already unpacked and intact
        except (OSError, ValueError, struct.error):
            pass
        # Unpack next to the target, check, then rename: never a partial file.
        fd, tmp = tempfile.mkstemp(dir=dst, prefix=f'.{stem}.')
        try:
            with gzip.open(src / f'{stem}.gz', 'rb') as fin, \
                    os.fdopen(fd, 'wb') as fout:
                shutil.copyfileobj(fin, fout)
            os.chmod(tmp, 0o644)
            check_idx(tmp, magic, count)
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    print(f'Fashion-MNIST ready in {dst}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default=DEBIAN_DIR,
                        help='folder with the gzipped IDX files')
    parser.add_argument('--dst', default='data/fashion-mnist',
                        help='the data_root of the Fashion-MNIST configs')
    args = parser.parse_args()
    try:
        prepare(args.src, args.dst)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')


if __name__ == '__main__':
    main()
