from .ceit import CeiT
from .deepvit import DeepViT
from .deit3 import DeiT, DeiT3
from .pit import PiT

__all__ = ['CeiT', 'DeepViT', 'DeiT', 'DeiT3', 'PiT']
