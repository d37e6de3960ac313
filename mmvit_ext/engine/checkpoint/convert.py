"""The ``SRC DST`` command line of ``tools/model_converters``: the safe
loader reads the source, a converter of :mod:`mmvit_ext.converters` maps its
keys, and the result is written atomically. It lives here, not among the
converters, so that the engine calls the converters and never the reverse."""
import argparse
import os

from mmvit_ext.converters.utils import save_checkpoint_atomic
from .loading import load_checkpoint_file


def converter_main(convert, description, argv=None):
    """The ``SRC DST`` command line shared by ``tools/model_converters``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='source checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the mmvit_ext checkpoint')
    args = parser.parse_args(argv)
    if os.path.abspath(args.src) == os.path.abspath(args.dst):
        parser.error('src and dst must differ')
    checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    try:
        state_dict = convert(checkpoint)
    except (KeyError, ValueError, TypeError) as e:
        parser.exit(2, f'error: cannot convert {args.src}: {e}\n')
    save_checkpoint_atomic(
        state_dict, args.dst,
        meta=dict(converted_from=os.path.basename(args.src),
                  converter=convert.__name__))
    print(f'Converted {len(state_dict)} tensors: {args.src} -> {args.dst}')
