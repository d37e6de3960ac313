"""FLOPs and parameters of the model of a config, layer by layer.

Usage: python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]

mmengine's counter with attention counted (``mmvit_ext.analysis``): one
multiply-add is one FLOP, as in the DeiT, PiT and DeepViT papers.

For an mmdet or mmseg config the count is of the backbone and neck
(``extract_feat``), which do not depend on the image's content; the heads'
cost does (proposals, RoIs). The parameters are counted whole and for the
backbone alone.
"""
import argparse

import torch
from mmengine.analysis.print_helper import complexity_stats_table
from mmengine.config import Config
from mmpretrain.apis import get_model

import mmvit_ext  # noqa: F401
from mmvit_ext.analysis import drop_teacher, flop_analyzer, input_shape


class FeatureExtractor(torch.nn.Module):
    """A detector's or segmentor's ``extract_feat`` as a module."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.extract_feat(x)


def build_dense(cfg):
    """The mmdet or mmseg model of ``cfg``, in its scope."""
    from mmengine.registry import DefaultScope, init_default_scope
    from mmengine.utils import import_modules_from_strings

    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.default_scope)
    if cfg.default_scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input size H [W]; defaults to the backbone '
                        'img_size')
    args = parser.parse_args()

    cfg = drop_teacher(Config.fromfile(args.config))
    dense = cfg.get('default_scope') in ('mmdet', 'mmseg')
    backbone = cfg.model.backbone
    if dense and not args.shape and 'img_size' not in backbone:
        parser.error(f'{backbone.type} has no img_size: give --shape H [W]')
    in_channels, h, w = input_shape(backbone, args.shape)
    model = (build_dense(cfg) if dense else get_model(cfg)).eval()
    measured = FeatureExtractor(model) if dense else model
    with torch.no_grad():
        analyzer = flop_analyzer(measured,
                                 (torch.randn(1, in_channels, h, w), ))
        print(complexity_stats_table(analyzer, max_depth=3,
                                     show_param_shapes=False))
        flops = analyzer.total()
    params = sum(p.numel() for p in model.parameters())
    print(f'Input shape: {(in_channels, h, w)}')
    if dense:
        print(f'FLOPs: {flops / 1e9:.3f}G (backbone and neck)\n'
              f'Params: {params / 1e6:.2f}M\nBackbone params: '
              f'{sum(p.numel() for p in model.backbone.parameters()) / 1e6:.3f}M')
    else:
        print(f'FLOPs: {flops / 1e9:.2f}G\nParams: {params / 1e6:.2f}M')


if __name__ == '__main__':
    main()
