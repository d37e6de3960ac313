# Fine-tune DeiT III-S (official ImageNet-1k weights) on your own RGB images.
#
# Put the images in an ImageNet-style folder, one subfolder per class:
#   data/my_dataset/train/<class name>/*.jpg
#   data/my_dataset/val/<class name>/*.jpg
# then set the values below (or copy this file and edit them) and run
#   python tools/train.py configs/custom/deit3-s-p16_1xb32_folder-224px.py
_base_ = [
    '../_base_/models/deit3/deit3-s-p16.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/my_dataset'
num_classes = 5          # the number of class subfolders
# Class names. None: the subfolder names; label i is the i-th subfolder in
# sorted order. A list (or a .txt file, one per line) renames them, one name
# per subfolder in that order.
classes = None
# A missing, empty or truncated image stops training with its path and
# index. True skips such files in training instead, with a warning each.
skip_bad_images = False
# Images are read as 3-channel RGB, grey ones included (the model is RGB).
# The official weights, converted on the fly and cached under
# ~/.cache/mmvit_ext; a local .pth (ours, official or timm) works too.
pretrained = 'https://dl.fbaipublicfiles.com/deit/deit_3_small_224_1k.pth'

model = dict(
    backbone=dict(
        layer_cfgs=dict(drop_path_rate=0.1),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # Softmax cross-entropy on hard labels: DeiT III's binary cross-entropy
    # needs the mixed targets of Mixup/CutMix, which small datasets skip.
    head=dict(num_classes=num_classes,
              loss=dict(_delete_=True, type='CrossEntropyLoss')),
    train_cfg=None)  # no Mixup/CutMix for small datasets

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile', ignore_empty=skip_bad_images),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='train', classes=classes,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='val', classes=classes,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 10
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'.cls_token': dict(decay_mult=0.0),
                                    '.pos_embed': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
