_base_ = [
    '../_base_/models/ceit/ceit-b.py',
    '../_base_/datasets/imagenet_bs128_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

# CeiT-B trains 100 epochs (the README of coeusguo/ceit, --epochs 100).
param_scheduler = [
    {{_base_.warmup}},
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         end=100),
]
train_cfg = dict(max_epochs=100)

# The official recipe is DeiT's: 4 GPUs x 256 images, AdamW at lr 1e-3.
auto_scale_lr = dict(base_batch_size=1024)
