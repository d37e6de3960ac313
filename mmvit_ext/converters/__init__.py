"""Pure functions: official/timm checkpoint -> mmvit_ext state dict."""
from .ceit import convert_ceit
from .deepvit import convert_deepvit
from .deit3 import convert_deit, convert_deit3
from .pit import convert_pit
from .utils import rename_keys, save_checkpoint_atomic, unwrap_state_dict

__all__ = [
    'convert_ceit', 'convert_deepvit', 'convert_deit', 'convert_deit3',
    'convert_pit', 'rename_keys', 'save_checkpoint_atomic',
    'unwrap_state_dict'
]
