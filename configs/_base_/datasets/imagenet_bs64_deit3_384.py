# DeiT III's fine-tuning augmentation at 384 px (README_revenge.md): a random
# resized crop and a flip, then RandAugment rand-m9-mstd0.5-inc1 (--aa), no
# colour jitter (timm turns it off under RandAugment), no random erasing
# (--reprob 0.0) and no repeated augmentation (--no-repeated-aug).
# Evaluation crop ratio 1.0.
_base_ = ['./imagenet_bs128_deit_224.py']

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=384, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.rand_augment}},
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=384, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=384),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
