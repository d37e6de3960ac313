"""Registries of mmvit_ext.

Every registry is a child of mmpretrain's registry of the same kind, under the
scope ``mmvit_ext``. A config with ``default_scope='mmvit_ext'`` therefore finds
our modules first (``DeiT3`` is ours, not mmpretrain's) and falls back to
mmpretrain's and mmengine's for everything we do not define (``ImageClassifier``,
datasets, transforms, metrics, ...). mmdet and mmseg configs reach our modules
with the scope prefix: ``type='mmvit_ext.PiT'``.
"""
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS', 'FUNCTIONS',
    'STRATEGIES'
]

SCOPE = 'mmvit_ext'


def _child(name, locations=()):
    """A registry that inherits from mmpretrain's registry called ``name``.

    A child looks its parent's modules up without importing them, so it also
    imports the parent's locations (e.g. ``mmpretrain.visualization``) when
    it is first used.
    """
    parent = getattr(mmpretrain_registry, name)
    child = Registry(
        name.lower(),
        parent=parent,
        scope=SCOPE,
        locations=list(parent._locations) + list(locations))
    # mmengine resolves a scoped name (``mmvit_ext.PiT``) from another
    # package's registry by looking among the *root's* children only, and
    # ours is a grandchild (root -> mmpretrain -> mmvit_ext). Listing it under
    # the root as well lets mmdet and mmseg configs reach our modules; lookups
    # inside our scope still fall back to mmpretrain through ``parent``.
    child._get_root_registry()._children.setdefault(SCOPE, child)
    return child


RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
HOOKS = _child('HOOKS', ['mmvit_ext.engine'])
LOG_PROCESSORS = _child('LOG_PROCESSORS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
DATASETS = _child('DATASETS')
DATA_SAMPLERS = _child('DATA_SAMPLERS', ['mmvit_ext.datasets'])
TRANSFORMS = _child('TRANSFORMS', ['mmvit_ext.datasets'])
MODELS = _child('MODELS', ['mmvit_ext.models'])
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
BATCH_AUGMENTS = _child('BATCH_AUGMENTS')
TASK_UTILS = _child('TASK_UTILS')
METRICS = _child('METRICS')
EVALUATORS = _child('EVALUATORS')
VISUALIZERS = _child('VISUALIZERS')
VISBACKENDS = _child('VISBACKENDS')

# mmpretrain has no function registry; ours hangs off mmengine's, where the
# runner looks collate functions up (``dict(type='mmvit_ext.batch_collate')``).
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope=SCOPE,
                     locations=['mmvit_ext.datasets', 'mmvit_ext.engine'])

# Nor a strategy registry (mmengine's FlexibleRunner builds its strategy
# there): ours hangs off mmengine's too (``dict(type='mmvit_ext.FSDPStrategy')``).
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope=SCOPE,
                      locations=['mmvit_ext.engine'])
