from .checkpoint import (UnsafeCheckpointError, load_checkpoint_file,
                         setup_safe_checkpoint_loading)

setup_safe_checkpoint_loading()

__all__ = [
    'UnsafeCheckpointError', 'load_checkpoint_file',
    'setup_safe_checkpoint_loading'
]
