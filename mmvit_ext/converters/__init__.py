"""Pure functions: official/timm checkpoint -> mmvit_ext state dict."""
from .deit3 import convert_deit3
from .utils import rename_keys, save_checkpoint_atomic, unwrap_state_dict

__all__ = [
    'convert_deit3', 'rename_keys', 'save_checkpoint_atomic',
    'unwrap_state_dict'
]
