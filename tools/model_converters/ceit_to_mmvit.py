"""Convert an official CeiT (coeusguo/ceit) checkpoint for the
``configs/ceit`` ImageNet configs (backbone + LCA head).

Usage: python tools/model_converters/ceit_to_mmvit.py SRC DST
"""
from mmvit_ext.converters import convert_ceit
from mmvit_ext.engine import converter_main

if __name__ == '__main__':
    converter_main(convert_ceit, __doc__.splitlines()[0])
