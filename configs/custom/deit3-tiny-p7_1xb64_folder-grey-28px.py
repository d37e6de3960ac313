# Fine-tune the Fashion-MNIST demo model (``make demo``) on your own small
# grey images, of any size (resized to 28x28).
#
# Put the images in an ImageNet-style folder, one subfolder per class:
#   data/my_dataset/train/<class name>/*.png
#   data/my_dataset/val/<class name>/*.png
# then set the values below (or copy this file and edit them) and run
#   python tools/train.py configs/custom/deit3-tiny-p7_1xb64_folder-grey-28px.py
_base_ = [
    '../_base_/models/deit3/deit3-tiny-p7_fashion-mnist.py',
    '../_base_/schedules/fashion_mnist_adamw.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/my_dataset'
num_classes = 3          # the number of class subfolders
# Class names. None: the subfolder names; label i is the i-th subfolder in
# sorted order. A list (or a .txt file, one per line) renames them, one name
# per subfolder in that order.
classes = None
# A missing, empty or truncated image stops training with its path and
# index. True skips such files in training instead, with a warning each.
skip_bad_images = False
# Images are read as 1-channel grey, colour ones included (the model is
# grey).
# The demo's final checkpoint; its backbone is loaded, the head is new.
pretrained = 'work_dirs/demo/epoch_8.pth'

model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                                prefix='backbone.')),
    head=dict(num_classes=num_classes))

# Grey in, and colour turned grey (for mmpretrain's inferencer, which reads
# files in colour).
data_preprocessor = dict(
    type='mmvit_ext.GreyClsDataPreprocessor',
    num_classes=num_classes, mean=[72.94], std=[90.02], to_rgb=False)

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale',
         ignore_empty=skip_bad_images),
    dict(type='Resize', scale=(28, 28)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(28, 28)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,  # mmpretrain's tools/train.py defaults True
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='train', classes=classes,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,  # mmpretrain's tools/train.py defaults True
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='val', classes=classes,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 5
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
auto_scale_lr = dict(base_batch_size=64)
