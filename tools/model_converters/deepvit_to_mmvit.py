"""Convert an official DeepViT (zhoudaquan/dvit_repo) checkpoint for the
``configs/deepvit`` ImageNet configs.

Usage: python tools/model_converters/deepvit_to_mmvit.py SRC DST
"""
from mmvit_ext.converters import convert_deepvit
from mmvit_ext.engine import converter_main

if __name__ == '__main__':
    converter_main(convert_deepvit, __doc__.splitlines()[0])
