_base_ = [
    '../_base_/models/deepvit/deepvit-s.py',
    '../_base_/datasets/imagenet_bs128_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

# The official recipe: 16 GPUs x 32 images, AdamW at lr 5e-4.
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
auto_scale_lr = dict(base_batch_size=512)
