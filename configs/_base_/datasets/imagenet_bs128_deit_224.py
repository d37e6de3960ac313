# ImageNet-1k with DeiT's augmentation recipe (facebookresearch/deit
# main.py, datasets.py: timm's RandAugment rand-m9-mstd0.5-inc1 and random
# erasing 0.25; Mixup/CutMix are in the model's train_cfg), under
# data/imagenet (mmpretrain's ``ImageNet`` layout: train/, val/ and
# meta/{train,val}.txt). For your own images use
# ``dataset_type = 'CustomDataset'`` with one sub-folder per class.
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)
bgr_mean = data_preprocessor['mean'][::-1]
bgr_std = data_preprocessor['std'][::-1]

# The pieces that the other ImageNet bases reuse as {{_base_.name}}.
rand_augment = dict(
    type='RandAugment',
    policies='timm_increasing',
    num_policies=2,
    total_level=10,
    magnitude_level=9,
    magnitude_std=0.5,
    hparams=dict(pad_val=[round(x) for x in bgr_mean],
                 interpolation='bicubic'))
random_erasing = dict(
    type='RandomErasing',
    erase_prob=0.25,
    mode='rand',
    min_area_ratio=0.02,
    max_area_ratio=1 / 3,
    fill_color=bgr_mean,
    fill_std=bgr_std)
# timm turns colour jitter off when RandAugment is on, so there is none.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    rand_augment,
    random_erasing,
    dict(type='PackInputs'),
]

# Resize to 256 and crop 224 (crop ratio 0.875), as DeiT.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    # DeiT's repeated augmentation (--repeated-aug, on by default): each
    # image 3 times per epoch, on 3 processes, with DeiT's per-rank count.
    sampler=dict(type='mmvit_ext.RepeatAugSampler', num_repeats=3,
                 selected_round=256, shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
