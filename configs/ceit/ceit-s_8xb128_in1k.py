_base_ = [
    '../_base_/models/ceit/ceit-s.py',
    '../_base_/datasets/imagenet_bs128_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

# The official recipe is DeiT's: 4 GPUs x 256 images, AdamW at lr 1e-3.
auto_scale_lr = dict(base_batch_size=1024)
