"""The optimizer pieces: the AMP wrapper, AdamW and the layer-decay
constructor."""
from .adamw import AdamW
from .amp_optim_wrapper import AmpOptimWrapper, resolve_amp_dtype
from .layer_decay_optim_wrapper_constructor import \
    LearningRateDecayOptimWrapperConstructor

__all__ = [
    'AdamW', 'AmpOptimWrapper', 'LearningRateDecayOptimWrapperConstructor',
    'resolve_amp_dtype'
]
