from .checkpoint import (UnsafeCheckpointError, load_checkpoint_file,
                         setup_safe_checkpoint_loading)
from .dist import init_cpu_distributed

setup_safe_checkpoint_loading()

__all__ = [
    'UnsafeCheckpointError', 'init_cpu_distributed', 'load_checkpoint_file',
    'setup_safe_checkpoint_loading'
]
