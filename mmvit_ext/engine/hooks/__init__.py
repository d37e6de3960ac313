"""The hooks, one a file, named after it as in mmengine and mmpretrain."""
from .checkpoint_hook import SafeCheckpointHook, is_intact
from .classifier_check_hook import ClassifierCheckHook
from .dense_check_hook import DenseClassCheckHook
from .ema_hook import EMAHook
from .logger_hook import LoggerHook
from .non_finite_guard_hook import NonFiniteError, NonFiniteGuardHook
from .runtime_info_hook import RuntimeInfoHook

__all__ = [
    'ClassifierCheckHook', 'DenseClassCheckHook', 'EMAHook', 'LoggerHook',
    'NonFiniteError', 'NonFiniteGuardHook', 'RuntimeInfoHook',
    'SafeCheckpointHook'
]
