"""Training machinery, laid out as mmengine's: ``hooks/`` (one a file),
``optimizers/``, ``runners/`` (runners, the FSDP strategy, the distributed
set-up) and ``checkpoint/`` (loading, the converters' command line, weights
out). Every public name imports from here."""
import sys

from . import checkpoint, hooks, optimizers, runners
from .checkpoint import (CheckpointMismatchError, CorruptCheckpointError,
                         UnsafeCheckpointError, check_fits, converter_main,
                         download_checkpoint, export_checkpoint,
                         load_checkpoint_any, load_checkpoint_file,
                         load_pretrained, setup_safe_checkpoint_loading,
                         timm_config)
from .hooks import (ClassifierCheckHook, DenseClassCheckHook, EMAHook,
                    LoggerHook, NonFiniteError, NonFiniteGuardHook,
                    RuntimeInfoHook, SafeCheckpointHook)
from .optimizers import (AdamW, AmpOptimWrapper,
                         LearningRateDecayOptimWrapperConstructor,
                         resolve_amp_dtype)
from .runners import (FlexibleRunner, FSDPStrategy, Runner, init_distributed,
                      is_transformer_block, transformer_block_policy)

setup_safe_checkpoint_loading()

# The modules' paths before the engine had folders keep importing:
# ``from mmvit_ext.engine.weights_out import export_checkpoint`` still works.
_MOVED = {
    'amp': optimizers.amp_optim_wrapper,
    'classifier_check': hooks.classifier_check_hook,
    'console': runners.console,
    'convert': checkpoint.convert,
    'dense_check': hooks.dense_check_hook,
    'dist': runners.dist,
    'ema_hook': hooks.ema_hook,
    'fsdp': runners.fsdp_strategy,
    'runner': runners.runner,
    'runtime_info': hooks.runtime_info_hook,
    'weights_out': checkpoint.weights_out,
}
for _name, _module in _MOVED.items():
    sys.modules[f'{__name__}.{_name}'] = _module
    globals()[_name] = _module

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
