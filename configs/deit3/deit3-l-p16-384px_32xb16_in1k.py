# DeiT III fine-tuning at 384 px, 20 epochs (README_revenge.md), from a
# 224 px checkpoint: set ``load_from`` (or
# ``--cfg-options load_from=...``); the position embedding is resized on load.
_base_ = [
    '../_base_/models/deit3/deit3-l-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3_384.py',
    '../_base_/schedules/imagenet_bs512_adamw_finetune.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(img_size=384, layer_cfgs=dict(drop_path_rate=0.4)),
    head=dict(loss={{_base_.finetune_loss}}))

train_dataloader = dict(batch_size=16)

# 32 GPUs x 16 images.
auto_scale_lr = dict(base_batch_size=512)
