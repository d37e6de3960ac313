from .fileio import atomic_write

__all__ = ['atomic_write']
