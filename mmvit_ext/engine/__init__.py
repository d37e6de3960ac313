from .amp import AmpOptimWrapper, resolve_amp_dtype
from .checkpoint import (CheckpointMismatchError, CorruptCheckpointError,
                         UnsafeCheckpointError, check_fits,
                         download_checkpoint, load_checkpoint_any,
                         load_checkpoint_file, load_pretrained,
                         setup_safe_checkpoint_loading)
from .classifier_check import ClassifierCheckHook
from .dist import init_cpu_distributed
from .hooks import (LoggerHook, NonFiniteError, NonFiniteGuardHook,
                    SafeCheckpointHook)
from .optimizers import AdamW, LearningRateDecayOptimWrapperConstructor
from .runner import Runner

setup_safe_checkpoint_loading()

__all__ = [
    'AmpOptimWrapper', 'resolve_amp_dtype',
    'CheckpointMismatchError', 'ClassifierCheckHook',
    'CorruptCheckpointError', 'check_fits',
    'download_checkpoint', 'load_checkpoint_any', 'load_pretrained',
    'AdamW', 'LearningRateDecayOptimWrapperConstructor', 'NonFiniteError',
    'LoggerHook', 'NonFiniteGuardHook', 'Runner', 'SafeCheckpointHook',
    'UnsafeCheckpointError',
    'init_cpu_distributed', 'load_checkpoint_file',
    'setup_safe_checkpoint_loading'
]
