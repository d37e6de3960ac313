# mmseg's runtime with ours on top, as for the scene detectors: a quiet
# console, the base lr logged, atomic checkpoints, a non-finite guard and a
# class-count check before the first iteration.
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
runner_type = 'mmvit_ext.Runner'

default_hooks = dict(
    runtime_info=dict(type='mmvit_ext.RuntimeInfoHook'),
    logger=dict(type='mmvit_ext.LoggerHook', interval=50, min_points=50),
    checkpoint=dict(type='mmvit_ext.SafeCheckpointHook', by_epoch=False,
                    interval=1000, max_keep_ckpts=1),
    nonfinite=dict(type='mmvit_ext.NonFiniteGuardHook'),
    class_check=dict(type='mmvit_ext.DenseClassCheckHook'),
    # mmseg keeps its hooks in its schedules, which these configs do not
    # use; draws only under tools/test.py --show-dir.
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
