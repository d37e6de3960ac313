from .amp import AmpOptimWrapper, resolve_amp_dtype
from .checkpoint import (CheckpointMismatchError, CorruptCheckpointError,
                         UnsafeCheckpointError, check_fits,
                         download_checkpoint, load_checkpoint_any,
                         load_checkpoint_file, load_pretrained,
                         setup_safe_checkpoint_loading)
from .classifier_check import ClassifierCheckHook
from .convert import converter_main
from .dense_check import DenseClassCheckHook
from .dist import init_distributed
from .ema_hook import EMAHook
from .fsdp import (FlexibleRunner, FSDPStrategy, is_transformer_block,
                   transformer_block_policy)
from .hooks import (LoggerHook, NonFiniteError, NonFiniteGuardHook,
                    SafeCheckpointHook)
from .optimizers import AdamW, LearningRateDecayOptimWrapperConstructor
from .runner import Runner
from .runtime_info import RuntimeInfoHook
from .weights_out import export_checkpoint, timm_config

setup_safe_checkpoint_loading()

__all__ = [
    'AmpOptimWrapper', 'resolve_amp_dtype',
    'CheckpointMismatchError', 'ClassifierCheckHook',
    'CorruptCheckpointError', 'DenseClassCheckHook', 'EMAHook', 'check_fits',
    'converter_main',
    'download_checkpoint', 'load_checkpoint_any', 'load_pretrained',
    'AdamW', 'LearningRateDecayOptimWrapperConstructor', 'NonFiniteError',
    'LoggerHook', 'NonFiniteGuardHook', 'Runner', 'RuntimeInfoHook',
    'SafeCheckpointHook',
    'UnsafeCheckpointError',
    'FlexibleRunner', 'FSDPStrategy', 'is_transformer_block',
    'transformer_block_policy',
    'init_distributed', 'load_checkpoint_file',
    'setup_safe_checkpoint_loading', 'export_checkpoint', 'timm_config'
]
