# DeiT III-Small, patch 16: ImageNet-1k classifier.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.DeiT3',
        arch='small',
        img_size=224,
        patch_size=16,
        # models_v2.py gives every block the same stochastic depth
        # (dpr_constant), not a rate growing with depth.
        drop_path_rate=0.,
        layer_cfgs=dict(drop_path_rate=0.05)),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        # DeiT III: BCEWithLogitsLoss on the mixed targets thresholded to 0/1
        # (--bce-loss; --smoothing 0.0).
        loss=dict(type='mmvit_ext.ThresholdedBCELoss', target_threshold=0.),
        # The head starts truncated-normal (std 0.02) as models_v2.py's,
        # not at zero (mmpretrain's default for this head).
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
    # timm's Mixup (alpha 0.8) or CutMix (alpha 1.0), one of the two for each
    # batch with equal chance.
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
