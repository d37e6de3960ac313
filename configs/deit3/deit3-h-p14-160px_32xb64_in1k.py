# DeiT III-H, stage 1 of 2: pre-training at 160 px, 800 epochs
# (README_revenge.md). Stage 2, deit3-h-p14-ft_16xb32_in1k.py, fine-tunes the last
# checkpoint of this run at 224 px.
_base_ = [
    '../_base_/models/deit3/deit3-h-p14.py',
    '../_base_/datasets/imagenet_bs64_deit3_160.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(img_size=160))
train_dataloader = dict(batch_size=64)

# 32 GPUs x 64 images; the lr above is for this total batch of 2048.
auto_scale_lr = dict(base_batch_size=2048)
