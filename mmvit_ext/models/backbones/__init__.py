from .deit3 import DeiT3

__all__ = ['DeiT3']
