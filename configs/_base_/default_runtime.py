# Everything in these configs is built in the ``mmvit_ext`` scope: our own
# modules first, then mmpretrain's and mmengine's.
default_scope = 'mmvit_ext'
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
# mmengine's Runner, with the start-up dump kept in the log file only.
runner_type = 'mmvit_ext.Runner'

default_hooks = dict(
    # mmengine's RuntimeInfoHook; under layer-wise lr decay it logs the base
    # lr (the largest group's), not the stem's.
    runtime_info=dict(type='mmvit_ext.RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    # mmengine's LoggerHook; a run of fewer than 100 * 50 iterations logs
    # about 50 times, so that tools/analysis_tools/plot_curves.py draws it.
    logger=dict(type='mmvit_ext.LoggerHook', interval=100, min_points=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook with atomic, ordered writes, RNG states for
    # exact resume, and newest-intact auto-resume.
    checkpoint=dict(type='mmvit_ext.SafeCheckpointHook', interval=1,
                    max_keep_ckpts=2, save_best='auto'),
    # Stop at the first non-finite loss or gradient (None to disable).
    nonfinite=dict(type='mmvit_ext.NonFiniteGuardHook'),
    # Before the first iteration: the head takes the backbone's channels
    # and has at least the data's classes.
    classifier_check=dict(type='mmvit_ext.ClassifierCheckHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
    # Freed memory stays in the process for the next iteration (glibc;
    # 'system' for the C library's defaults): see mmvit_ext.utils.cpu_malloc
    cpu_malloc='auto',
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
