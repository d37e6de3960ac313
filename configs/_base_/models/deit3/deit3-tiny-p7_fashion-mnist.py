# A small DeiT III for 28x28 grey images: 4x4 patches of 7 px.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.DeiT3',
        arch=dict(
            embed_dims=64,
            num_layers=4,
            num_heads=4,
            feedforward_channels=256),
        img_size=28,
        patch_size=7,
        in_channels=1,
        # CaiT's LayerScale init for shallow networks (<= 18 blocks); the
        # default 1e-4 is meant for 12+ blocks and slows short schedules.
        layer_scale_init_value=0.1,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original'),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
)
