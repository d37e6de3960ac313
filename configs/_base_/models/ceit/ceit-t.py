# CeiT-T (Yuan et al. 2021): I2T stem, LeFF blocks and layer-wise class-token
# attention. The backbone hands the LCA head the class token of every block,
# not normalised, as the official model does.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.CeiT',
        arch='tiny',
        img_size=224,
        out_type='cls_token',
        out_indices=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        final_norm=False,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='mmvit_ext.LCAClsHead',
        num_classes=1000,
        in_channels=192,
        num_layers=12,
        num_heads=3,
        mlp_ratio=4,
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
