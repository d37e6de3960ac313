"""Pure functions: official/timm checkpoint -> mmvit_ext state dict."""
from .ceit import convert_ceit
from .deepvit import convert_deepvit
from .deit3 import convert_deit, convert_deit3
from .layouts import LAYOUTS, detect_layout, to_mmvit_checkpoint
from .pit import convert_pit
from .utils import rename_keys, save_checkpoint_atomic, unwrap_state_dict

__all__ = [
    'convert_ceit', 'convert_deepvit', 'convert_deit', 'convert_deit3',
    'convert_pit', 'detect_layout', 'LAYOUTS', 'rename_keys',
    'to_mmvit_checkpoint', 'save_checkpoint_atomic',
    'unwrap_state_dict'
]
