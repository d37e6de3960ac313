# mmdet's runtime with ours on top, for the Fashion-MNIST scene configs: the
# console starts with the training log (the environment, config and hook
# lists go to the log file only), the logged lr is the base one under
# layer-wise decay, checkpoints are written atomically and resume exactly,
# a non-finite loss stops the run, and heads whose num_classes differ from
# the data's classes are refused before the first iteration.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
runner_type = 'mmvit_ext.Runner'

default_hooks = dict(
    runtime_info=dict(type='mmvit_ext.RuntimeInfoHook'),
    logger=dict(type='mmvit_ext.LoggerHook', interval=50, min_points=50),
    checkpoint=dict(type='mmvit_ext.SafeCheckpointHook', by_epoch=False,
                    interval=1000, max_keep_ckpts=1),
    nonfinite=dict(type='mmvit_ext.NonFiniteGuardHook'),
    class_check=dict(type='mmvit_ext.DenseClassCheckHook'))
log_processor = dict(by_epoch=False)
