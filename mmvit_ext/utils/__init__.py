from .fileio import atomic_write
from .imports import import_by_path

__all__ = ['atomic_write', 'import_by_path']
