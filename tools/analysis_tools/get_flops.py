"""FLOPs and parameters of the model of a config, layer by layer.

Usage: python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]

mmengine's counter with attention counted (``mmvit_ext.analysis``): one
multiply-add is one FLOP, as in the DeiT, PiT and DeepViT papers.
"""
import argparse

import torch
from mmengine.analysis.print_helper import complexity_stats_table
from mmengine.config import Config
from mmpretrain.apis import get_model

import mmvit_ext  # noqa: F401
from mmvit_ext.analysis import drop_teacher, flop_analyzer, input_shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input size H [W]; defaults to the backbone '
                        'img_size')
    args = parser.parse_args()

    cfg = drop_teacher(Config.fromfile(args.config))
    in_channels, h, w = input_shape(cfg.model.backbone, args.shape)
    model = get_model(cfg).eval()
    with torch.no_grad():
        analyzer = flop_analyzer(model, (torch.randn(1, in_channels, h, w), ))
        print(complexity_stats_table(analyzer, max_depth=3,
                                     show_param_shapes=False))
        flops = analyzer.total()
    params = sum(p.numel() for p in model.parameters())
    print(f'Input shape: {(in_channels, h, w)}\n'
          f'FLOPs: {flops / 1e9:.2f}G\nParams: {params / 1e6:.2f}M')


if __name__ == '__main__':
    main()
