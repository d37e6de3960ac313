# DeepViT-16B (Zhou et al. 2021): 16 blocks, re-attention in all of them.
model = dict(
    type='ImageClassifier',
    # The official models normalise inputs with mean = std = 0.5.
    data_preprocessor=dict(
        num_classes=1000,
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        to_rgb=True),
    backbone=dict(
        type='mmvit_ext.DeepViT',
        arch='16b',
        img_size=224,
        # No official script for 16B; 24B, 32B, S and L train with 0.2.
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
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
