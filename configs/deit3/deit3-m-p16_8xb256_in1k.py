# DeiT III-M at 224 px. The official code has no training command for M;
# this is B's pre-training recipe at 224 px.
_base_ = [
    '../_base_/models/deit3/deit3-m-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3_224.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=256)

# 8 GPUs x 256 images; the lr above is for this total batch of 2048.
auto_scale_lr = dict(base_batch_size=2048)
