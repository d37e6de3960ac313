"""Convert an official DeiT (facebookresearch/deit) or a timm ``deit_*``
checkpoint, distilled or not, for the ``configs/deit`` ImageNet configs.

Usage: python tools/model_converters/deit_to_mmvit.py SRC DST
"""
from mmvit_ext.converters import convert_deit
from mmvit_ext.engine import converter_main

if __name__ == '__main__':
    converter_main(convert_deit, __doc__.splitlines()[0])
