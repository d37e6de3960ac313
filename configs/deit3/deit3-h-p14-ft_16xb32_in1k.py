# DeiT III-H, stage 2 of 2: fine-tuning at 224 px, 20 epochs
# (README_revenge.md), from the last checkpoint of stage 1,
# deit3-h-p14-160px_32xb64_in1k.py (its default work dir below; or set
# --cfg-options load_from=PATH). The 160 px position embedding is resized
# to 224 px on load.
_base_ = [
    '../_base_/models/deit3/deit3-h-p14.py',
    '../_base_/datasets/imagenet_bs64_deit3-ft_224.py',
    '../_base_/schedules/imagenet_bs512_adamw_finetune.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(layer_cfgs=dict(drop_path_rate=0.55)),
    head=dict(loss={{_base_.finetune_loss}}))

train_dataloader = dict(batch_size=32)

load_from = 'work_dirs/deit3-h-p14-160px_32xb64_in1k/epoch_800.pth'

# 16 GPUs x 32 images.
auto_scale_lr = dict(base_batch_size=512)
