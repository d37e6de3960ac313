# ImageNet-1k with DeepViT's recipe (scripts/*.yaml of zhoudaquan/dvit_repo):
# DeiT's RandAugment and random erasing 0.25 for inputs normalised with
# mean = std = 0.5, no repeated augmentation (use_repeated_aug: false), and
# evaluation at crop ratio 0.9 (the models' crop_pct: resize 248, crop 224).
_base_ = ['./imagenet_bs128_deit_224.py']

# DeiT's RandAugment and random erasing with DeepViT's mean and std: timm
# fills RandAugment's empty pixels with the model's mean (0.5) and erases
# with per-pixel noise of the normalised inputs.
rand_augment = dict(
    type='RandAugment',
    policies='timm_increasing',
    num_policies=2,
    total_level=10,
    magnitude_level=9,
    magnitude_std=0.5,
    hparams=dict(pad_val=[128, 128, 128], interpolation='bicubic'))
random_erasing = dict(
    type='RandomErasing',
    erase_prob=0.25,
    mode='rand',
    min_area_ratio=0.02,
    max_area_ratio=1 / 3,
    fill_color=[127.5] * 3,
    fill_std=[127.5] * 3)
# DeepViT's train_interpolation is 'random' (bilinear or bicubic per image);
# mmpretrain's RandomResizedCrop takes one, and bicubic is kept.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    rand_augment,
    random_erasing,
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=248, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
