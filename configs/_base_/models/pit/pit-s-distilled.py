# PiT-S distilled (Heo et al. 2021): ImageNet-1k classifier.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.PiT',
        arch='small',
        img_size=224,
        with_dist_token=True,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        # timm's ``head`` and ``head_dist``: cls and dist logits in training,
        # their average at inference.
        type='DeiTClsHead',
        num_classes=1000,
        in_channels=576,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
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
