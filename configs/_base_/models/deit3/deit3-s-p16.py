# DeiT III-Small, patch 16: ImageNet-1k classifier.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.DeiT3',
        arch='small',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        # DeiT III trains with binary cross-entropy on mixed targets.
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True,
                  loss_weight=1.0),
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
