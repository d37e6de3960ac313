# ImageNet-1k with DeiT III's pre-training augmentation (README_revenge.md,
# augment.py of facebookresearch/deit): a random resized crop and a flip,
# then 3-Augment (one of grayscale, solarize, Gaussian blur) and colour
# jitter 0.3; no RandAugment and no random erasing (--reprob 0.0). Repeated
# augmentation as DeiT (--repeated-aug). Evaluation crop ratio 1.0.
_base_ = ['./imagenet_bs128_deit_224.py']

three_augment = dict(type='mmvit_ext.ThreeAugment')
color_jitter = dict(type='ColorJitter', brightness=0.3, contrast=0.3,
                    saturation=0.3)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    three_augment,
    color_jitter,
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
