from .deit3 import DeiT3
from .pit import PiT

__all__ = ['DeiT3', 'PiT']
