_base_ = [
    '../_base_/models/deit/deit-s-distilled.py',
    '../_base_/datasets/imagenet_bs128_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

# DeiT's recipe: 8 GPUs x 128 images, AdamW at lr 5e-4 x 1024 / 512.
auto_scale_lr = dict(base_batch_size=1024)
