# A small PiT for 28x28 grey images: a 6x6 stride-3 stem (on the image
# zero-padded to 30x30) gives a 9x9 grid, pooled to 5x5 and 3x3 by the later
# stages.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.PiT',
        arch=dict(
            embed_dims=(32, 64, 128),
            depths=(1, 2, 2),
            num_heads=(2, 4, 8),
            patch_size=6,
            stride=3),
        img_size=28,
        in_channels=1,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original'),
    ),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
)
