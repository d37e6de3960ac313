# A small DeiT with a distillation token for 28x28 grey images (4x4 patches
# of 7 px). Without a teacher (``distill_cfg type='none'``) both tokens learn
# the labels: the baseline of the distillation recipe.
model = dict(
    type='mmvit_ext.DistillationClassifier',
    teacher=None,
    backbone=dict(
        type='mmvit_ext.DeiT',
        arch=dict(
            embed_dims=64,
            num_layers=4,
            num_heads=4,
            feedforward_channels=256),
        img_size=28,
        patch_size=7,
        in_channels=1,
        with_dist_token=True,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='mmvit_ext.DistillationClsHead',
        num_classes=10,
        in_channels=64,
        distill_cfg=dict(type='none', alpha=0.5),
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original'),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
)
