# PiT-S (Heo et al. 2021): ImageNet-1k classifier.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmvit_ext.PiT',
        arch='small',
        img_size=224,
        # pit.py gives block i of N the rate 0.1 * i / N, which stops short
        # of 0.1; ours runs linearly from 0 to drop_path_rate at the last
        # block, so the same rates are 0.1 * (N - 1) / N (N = 12 blocks).
        drop_path_rate=0.1 * 11 / 12),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=576,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        # PyTorch's default init, as naver-ai/pit's head (not mmpretrain's
        # zero init of this head).
        init_cfg=None,
    ),
    # pit.py initialises only LayerNorm (1, 0) and the tokens (done by the
    # backbone); its Linear and conv layers keep PyTorch's default init.
    init_cfg=[
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
