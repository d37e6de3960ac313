from .checkpoint import (UnsafeCheckpointError, load_checkpoint_file,
                         setup_safe_checkpoint_loading)
from .dist import init_cpu_distributed
from .optimizers import LearningRateDecayOptimWrapperConstructor

setup_safe_checkpoint_loading()

__all__ = [
    'LearningRateDecayOptimWrapperConstructor', 'UnsafeCheckpointError',
    'init_cpu_distributed', 'load_checkpoint_file',
    'setup_safe_checkpoint_loading'
]
