from .ceit import CeiT
from .deepvit import DeepViT
from .deit3 import DeiT3
from .pit import PiT

__all__ = ['CeiT', 'DeepViT', 'DeiT3', 'PiT']
