"""mmvit_ext: DeiT III, DeepViT, CeiT and PiT for OpenMMLab.

Importing the package registers every module in the ``mmvit_ext`` scope and
makes mmengine's checkpoint loading safe on torch >= 2.6.
"""
from .version import __version__
from . import apis, datasets, engine, models  # noqa: F401,E402  (registers modules)
from .mim import register_package  # noqa: E402

register_package()

__all__ = ['__version__']
