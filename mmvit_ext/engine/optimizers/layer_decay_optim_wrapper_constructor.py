"""Layer-wise learning-rate decay for detectors and segmentors."""
from functools import partial

from mmpretrain.engine.optimizers import \
    LearningRateDecayOptimWrapperConstructor as _MMPretrainConstructor

from mmvit_ext.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LearningRateDecayOptimWrapperConstructor(_MMPretrainConstructor):
    """mmpretrain's layer-wise lr decay, for any model with a ``backbone``.

    mmpretrain's constructor asks the model itself for ``get_layer_depth``,
    which its classifiers have and mmdet's detectors and mmseg's segmentors
    do not. This one falls back to ``model.backbone.get_layer_depth`` with the
    ``backbone.`` prefix, so every parameter outside the backbone (neck,
    heads) gets the full learning rate, as in ViTDet and BEiT. Everything
    else, ``paramwise_cfg`` included, is mmpretrain's.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.1),
        ...     constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.7, flat_decay_mult=0.))
    """

    def add_params(self, params, module, prefix='', get_layer_depth=None,
                   **kwargs):
        if (get_layer_depth is None and prefix == ''
                and not hasattr(module, 'get_layer_depth')):
            backbone = getattr(module, 'backbone', None)
            if backbone is None or not hasattr(backbone, 'get_layer_depth'):
                raise NotImplementedError(
                    f'Layer-wise lr decay needs get_layer_depth() on the '
                    f'model ({type(module).__name__}) or on its backbone '
                    f'({type(backbone).__name__}); neither has it.')
            get_layer_depth = partial(backbone.get_layer_depth,
                                      prefix='backbone.')
        super().add_params(params, module, prefix=prefix,
                           get_layer_depth=get_layer_depth, **kwargs)
