_base_ = [
    '../_base_/models/deit3/deit3-l-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3_224.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=64)

# 32 GPUs x 64 images; the lr above is for this total batch of 2048.
auto_scale_lr = dict(base_batch_size=2048)
