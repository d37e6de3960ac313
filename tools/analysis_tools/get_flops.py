"""FLOPs and parameters of the model of a config, layer by layer.

Usage: python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]
"""
import argparse

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmpretrain.apis import get_model

import mmvit_ext  # noqa: F401


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input size H [W]; defaults to the backbone '
                        'img_size')
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    if cfg.model.get('teacher'):
        cfg.model.teacher = None  # the student alone is measured
    if args.shape:
        h, w = (args.shape * 2)[:2]
    else:
        size = cfg.model.backbone.get('img_size', 224)
        h, w = (size, size) if isinstance(size, int) else size
    in_channels = cfg.model.backbone.get('in_channels', 3)
    model = get_model(cfg).eval()
    with torch.no_grad():
        info = get_model_complexity_info(
            model, input_shape=(in_channels, h, w), show_table=True,
            show_arch=False)
    print(info['out_table'])
    print(f"Input shape: {(in_channels, h, w)}\n"
          f"FLOPs: {info['flops_str']}\nParams: {info['params_str']}")


if __name__ == '__main__':
    main()
