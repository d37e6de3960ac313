"""Convert a timm ``pit_*`` or a naver-ai/pit checkpoint for the
``configs/pit`` ImageNet configs (distilled ones included).

Usage: python tools/model_converters/pit_to_mmvit.py SRC DST
"""
from mmvit_ext.converters import convert_pit
from mmvit_ext.engine import converter_main

if __name__ == '__main__':
    converter_main(convert_pit, __doc__.splitlines()[0])
