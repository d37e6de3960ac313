"""Export a checkpoint trained here to timm's layout or the official code's.

Usage:
    python tools/model_converters/mmvit_to_timm.py SRC DST
        [--layout timm|official] [--ema] [--format safetensors|pth]

SRC is a checkpoint of ours (``tools/train.py``'s, or ``publish_model.py``'s
that kept ``meta['cfg']``); its model config says the family and the
architecture, custom ones included. ``--layout timm`` (DeiT III, DeiT, PiT)
writes timm's state dict and, beside DST, the ``config.json`` of a timm hub
entry: ``architecture`` and ``model_args``, so that

    timm.create_model(cfg['architecture'], **cfg['model_args'],
                      pretrained=True, pretrained_cfg_overlay=dict(file=DST))

rebuilds the model. ``--layout official`` writes the layout of
facebookresearch/deit, naver-ai/pit, coeusguo/ceit or zhoudaquan/dvit_repo
(``{'model': state_dict}`` for ``.pth``). ``--ema`` exports the EMA weights.
Every file is written atomically; a checkpoint the target cannot express
(a dist token in DeiT III, ViTDet's tables, CeiT in timm, ...) is an error
that says why, and nothing is written.
"""
import argparse
import json
import os.path as osp
import sys

import torch

import mmvit_ext  # noqa: F401  (registers modules)
from mmvit_ext.converters.utils import CannotExpressError
from mmvit_ext.engine import export_checkpoint
from mmvit_ext.engine import load_checkpoint_file
from mmvit_ext.utils import atomic_write


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='our checkpoint (.pth)')
    parser.add_argument('dst', help='the file to write')
    parser.add_argument('--layout', choices=['timm', 'official'],
                        default='timm')
    parser.add_argument('--ema', action='store_true',
                        help='export the EMA weights, not the raw ones')
    parser.add_argument('--format', choices=['safetensors', 'pth'],
                        help='default: from the extension of DST '
                        '(safetensors unless it ends with .pth)')
    args = parser.parse_args(argv)
    if args.format is None:
        args.format = 'pth' if args.dst.endswith('.pth') else 'safetensors'
    if osp.abspath(args.src) == osp.abspath(args.dst):
        parser.error('src and dst must differ')
    return args


def model_config(checkpoint, src):
    from mmengine.config import Config
    text = (checkpoint.get('meta') or {}).get('cfg')
    if not text:
        raise CannotExpressError(
            f'{src} carries no config (meta.cfg), so its architecture is '
            'unknown: export a checkpoint that tools/train.py saved')
    cfg = Config.fromstring(text, '.py')
    model = cfg.model
    # mmpretrain configs keep the preprocessor (mean, std) beside the model.
    if cfg.get('data_preprocessor') and not model.get('data_preprocessor'):
        model.data_preprocessor = cfg.data_preprocessor
    return model


def save(state_dict, dst, fmt, layout):
    state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    with atomic_write(dst) as f:
        if fmt == 'safetensors':
            from safetensors.torch import save
            f.write(save(state_dict, metadata={'format': 'pt'}))
        else:
            torch.save({'model': state_dict} if layout == 'official'
                       else state_dict, f)


def export_file(checkpoint, src, dst, layout='timm', ema=False,
                fmt='safetensors'):
    """Write ``checkpoint`` (loaded from ``src``) to ``dst`` in ``layout``,
    and timm's ``config.json`` beside it. Exits with the reason when the
    target cannot express it; nothing is written then."""
    try:
        state_dict, config = export_checkpoint(
            checkpoint, model_config(checkpoint, src), layout, ema)
    except (CannotExpressError, KeyError, ValueError) as e:
        sys.exit(f'error: cannot export {src}: {e}')
    save(state_dict, dst, fmt, layout)
    print(f'Exported {len(state_dict)} tensors ({layout} layout): '
          f'{src} -> {dst}')
    if config is not None:
        path = osp.join(osp.dirname(osp.abspath(dst)), 'config.json')
        with atomic_write(path, 'w') as f:
            json.dump(config, f, indent=2)
        print(f"timm model {config['architecture']} with "
              f"{config['model_args']}: {path}")


def main(argv=None):
    args = parse_args(argv)
    export_file(load_checkpoint_file(args.src, map_location='cpu'),
                args.src, args.dst, args.layout, args.ema, args.format)


if __name__ == '__main__':
    main()
