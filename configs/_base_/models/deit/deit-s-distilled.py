# DeiT-S distilled (Touvron et al. 2021): a distillation token trained by a
# teacher with hard distillation, alpha 0.5. The teacher checkpoint is yours
# to provide: --cfg-options model.teacher.checkpoint=PATH (or
# model.teacher=None to evaluate a distilled checkpoint alone).
model = dict(
    type='mmvit_ext.DistillationClassifier',
    teacher=dict(
        config='{{fileDirname}}/../teachers/regnety-160_in1k.py',
        checkpoint='checkpoints/regnety_160-a5fe301d.pth'),
    backbone=dict(
        type='mmvit_ext.DeiT',
        arch='small',
        img_size=224,
        with_dist_token=True,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='mmvit_ext.DistillationClsHead',
        num_classes=1000,
        in_channels=384,
        distill_cfg=dict(type='hard', alpha=0.5),
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        # Truncated-normal (std 0.02) as the official head, not zero
        # (mmpretrain's default for this head).
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
