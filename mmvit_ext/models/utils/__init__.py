"""Pieces the models share that are not layers: argument checks and the
checkpoint fitting every backbone runs on load."""
from .checks import (check_choice, check_heads, check_positive_ints,
                     check_stem, normalize_indices, resolve_arch, to_hw)

__all__ = [
    'check_choice', 'check_heads', 'check_positive_ints', 'check_stem',
    'normalize_indices', 'resolve_arch', 'to_hw'
]
