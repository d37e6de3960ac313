"""Convert an official DeiT III (facebookresearch/deit ``models_v2``) or a
timm ``deit3_*`` checkpoint for the ``configs/deit3`` ImageNet configs.

Usage: python tools/model_converters/deit3_to_mmvit.py SRC DST
"""
from mmvit_ext.converters import convert_deit3
from mmvit_ext.engine import converter_main

if __name__ == '__main__':
    converter_main(convert_deit3, __doc__.splitlines()[0])
