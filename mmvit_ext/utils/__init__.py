from .cpu_malloc import CPU_MALLOC_MODES, set_cpu_malloc
from .fileio import atomic_write
from .imports import import_by_path

__all__ = ['atomic_write', 'import_by_path', 'set_cpu_malloc',
           'CPU_MALLOC_MODES']
