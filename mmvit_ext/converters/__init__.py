"""Pure functions: official/timm checkpoint -> mmvit_ext state dict, and
back (weights out)."""
from .ceit import convert_ceit, export_ceit
from .deepvit import convert_deepvit, export_deepvit
from .deit3 import convert_deit, convert_deit3, export_deit, export_deit3
from .layouts import LAYOUTS, detect_layout, to_mmvit_checkpoint
from .pit import convert_pit, export_pit
from .utils import (CannotExpressError, ema_state_dict, raw_state_dict,
                    rename_keys, save_checkpoint_atomic, unwrap_state_dict)

__all__ = [
    'convert_ceit', 'convert_deepvit', 'convert_deit', 'convert_deit3',
    'convert_pit', 'detect_layout', 'LAYOUTS', 'rename_keys',
    'to_mmvit_checkpoint', 'save_checkpoint_atomic',
    'unwrap_state_dict', 'export_ceit', 'export_deepvit', 'export_deit',
    'export_deit3', 'export_pit',
    'CannotExpressError', 'ema_state_dict', 'raw_state_dict'
]
