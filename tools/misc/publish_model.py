"""Strip a training checkpoint down to what inference needs, for sharing.

Usage: python tools/misc/publish_model.py IN_FILE OUT_FILE
                                          [--no-ema] [--dataset-type TYPE]
                                          [--layout mmvit|timm|official]

The same job as mmpretrain's ``tools/model_converters/publish_model.py``,
which cannot read our checkpoints (it loads them with torch's default
``weights_only=True`` and does not know mmengine's classes). This one:

- reads the checkpoint safely; an official or timm file (or a URL) is
  converted first;
- drops the optimizer, the schedulers, the message hub and the RNG states;
  with EMA it publishes the averaged weights (``--no-ema``: the raw ones);
- keeps or adds ``meta.dataset_meta`` (class names), from ``--dataset-type``
  when given;
- writes ``OUT_FILE`` with ``_<date>-<sha256[:8]>`` before ``.pth``,
  atomically. The result loads with plain ``torch.load(weights_only=True)``.

``--layout timm`` or ``official`` writes the weights (the EMA ones when
there are any, unless ``--no-ema``) in timm's or the official code's
layout instead, as ``tools/model_converters/mmvit_to_timm.py`` does, under
``OUT_FILE`` as named (timm's hub wants ``model.safetensors`` beside its
``config.json``), and prints its sha256.
"""
import argparse
import datetime
import hashlib
import io
import os.path as osp
import warnings

import torch

warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')

import mmpretrain  # noqa: E402

import mmvit_ext  # noqa: E402,F401  (registers modules)
from mmvit_ext.converters.utils import (ema_state_dict,  # noqa: E402
                                       raw_state_dict)
from mmvit_ext.engine import (load_checkpoint_any,  # noqa: E402
                              load_checkpoint_file)
from mmvit_ext.registry import DATASETS  # noqa: E402
from mmvit_ext.utils import atomic_write  # noqa: E402

TRAINING_ONLY = ('optimizer', 'param_schedulers', 'hook_msgs', 'message_hub')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Process a checkpoint to be published')
    parser.add_argument('in_file', help='input checkpoint file or URL')
    parser.add_argument('out_file', help='output checkpoint file name')
    parser.add_argument('--no-ema', action='store_true',
                        help='publish the raw weights, not the EMA ones')
    parser.add_argument('--layout', choices=['mmvit', 'timm', 'official'],
                        default='mmvit',
                        help='mmvit (default): our checkpoint; timm or '
                        "official: the weights in that layout (timm's with "
                        'its config.json beside OUT_FILE)')
    parser.add_argument('--dataset-type',
                        help='dataset whose METAINFO (class names) to store, '
                        'e.g. ImageNet or FashionMNIST')
    return parser.parse_args()


def publish(checkpoint, no_ema=False, dataset_type=None):
    """The checkpoint with only what inference needs."""
    checkpoint = {k: v for k, v in checkpoint.items()
                  if k not in TRAINING_ONLY}
    meta = dict(checkpoint.get('meta') or {})
    meta.pop('rng_states', None)
    meta.setdefault('mmpretrain_version', mmpretrain.__version__)
    meta.setdefault('mmvit_ext_version', mmvit_ext.__version__)
    if dataset_type is not None:
        meta['dataset_meta'] = dict(
            getattr(DATASETS.get(dataset_type), 'METAINFO', {}))
    if not meta.get('dataset_meta'):
        warnings.warn('The checkpoint has no class names '
                      '(meta.dataset_meta); --dataset-type adds them.')
    checkpoint['meta'] = meta

    if 'ema_state_dict' in checkpoint:
        # mmengine's EMAHook saves the averaged weights as ``state_dict`` and
        # the raw ones in ``ema_state_dict`` (as ``module.<key>``); ours,
        # when the raw model is the validated one, the other way round
        # (``meta['ema']`` says which).
        raw, ema = raw_state_dict(checkpoint), ema_state_dict(checkpoint)
        unknown = sorted(set(raw).symmetric_difference(ema))
        if unknown:
            raise ValueError(f'the EMA and the raw weights have different '
                             f'keys: {unknown[:5]}')
        checkpoint['state_dict'] = raw if no_ema else ema
        del checkpoint['ema_state_dict']
        meta.pop('ema', None)
        print('The checkpoint has EMA weights: published '
              + ('the raw ones (--no-ema).' if no_ema else 'them.'))
    return checkpoint


def publish_layout(args):
    """``--layout timm|official``: the EMA (or, with --no-ema or without
    one, the raw) weights in that layout, as mmvit_to_timm.py writes them."""
    from mmvit_ext.utils import import_by_path
    tool = import_by_path(
        osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                 'model_converters', 'mmvit_to_timm.py'), 'mmvit_to_timm')
    checkpoint = load_checkpoint_file(args.in_file, map_location='cpu')
    ema = 'ema_state_dict' in checkpoint and not args.no_ema
    if ema:
        print('The checkpoint has EMA weights: published them.')
    fmt = 'pth' if args.out_file.endswith('.pth') else 'safetensors'
    tool.export_file(checkpoint, args.in_file, args.out_file, args.layout,
                     ema, fmt)
    with open(args.out_file, 'rb') as f:
        print(f'sha256 {hashlib.sha256(f.read()).hexdigest()}  '
              f'{args.out_file}')


def main():
    args = parse_args()
    if args.layout != 'mmvit':
        return publish_layout(args)
    checkpoint = publish(load_checkpoint_any(args.in_file), args.no_ema,
                         args.dataset_type)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()[:8]
    stem = args.out_file[:-4] if args.out_file.endswith('.pth') \
        else args.out_file
    final = f'{stem}_{datetime.datetime.now():%Y%m%d}-{sha}.pth'
    with atomic_write(final) as f:
        f.write(data)
    print(f'Published {final}')


if __name__ == '__main__':
    main()
