# A small DeepViT for 28x28 grey images: 4x4 patches of 7 px, 6 blocks,
# re-attention in all of them.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.DeepViT',
        arch=dict(
            embed_dims=64,
            num_layers=6,
            num_heads=4,
            mlp_ratio=3,
            re_attention=True,
            patch_embed='conv'),
        img_size=28,
        patch_size=7,
        in_channels=1,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
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
