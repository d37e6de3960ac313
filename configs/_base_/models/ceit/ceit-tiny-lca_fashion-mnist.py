# A small CeiT for 28x28 grey images. The I2T stem keeps the resolution
# (3x3 stride-1 conv, max-pool to 14x14) and projects 3x3 patches (the
# 14x14 map is zero-padded to 15x15), so the LeFF blocks see a 5x5 grid; the
# LCA head attends over the class tokens of all 4 blocks.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.CeiT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4, mlp_ratio=2),
        img_size=28,
        in_channels=1,
        stem_cfg=dict(
            stem_channels=32, stem_kernel_size=3, stem_stride=1,
            patch_size=3),
        out_type='cls_token',
        out_indices=[0, 1, 2, 3],
        final_norm=False,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='mmvit_ext.LCAClsHead',
        num_classes=10,
        in_channels=64,
        num_layers=4,
        num_heads=4,
        mlp_ratio=2,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original'),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
)
