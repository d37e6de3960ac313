# DeiT III-S pre-training at 224 px, 800 epochs (README_revenge.md).
_base_ = [
    '../_base_/models/deit3/deit3-s-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3_224.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=256)

# S trains at lr 4e-3; its warm-up still starts at 1e-6.
optim_wrapper = dict(optimizer=dict(lr=4e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 4e-3, by_epoch=True, begin=0,
         end=5),
    {{_base_.cosine}},
]

# 8 GPUs x 256 images; the lr above is for this total batch of 2048.
auto_scale_lr = dict(base_batch_size=2048)
