# DeiT III-B, stage 2 of 2: fine-tuning at 224 px, 20 epochs
# (README_revenge.md), from the last checkpoint of stage 1,
# deit3-b-p16-192px_8xb256_in1k.py (its default work dir below; or set
# --cfg-options load_from=PATH). The 192 px position embedding is resized
# to 224 px on load.
_base_ = [
    '../_base_/models/deit3/deit3-b-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3-ft_224.py',
    '../_base_/schedules/imagenet_bs512_adamw_finetune.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(layer_cfgs=dict(drop_path_rate=0.2)),
    head=dict(loss={{_base_.finetune_loss}}))

train_dataloader = dict(batch_size=64)

load_from = 'work_dirs/deit3-b-p16-192px_8xb256_in1k/epoch_800.pth'

# 8 GPUs x 64 images.
auto_scale_lr = dict(base_batch_size=512)
