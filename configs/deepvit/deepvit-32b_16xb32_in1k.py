_base_ = [
    '../_base_/models/deepvit/deepvit-32b.py',
    '../_base_/datasets/imagenet_bs32_deepvit_224.py',
    '../_base_/schedules/imagenet_bs512_adamw_deepvit.py',
    '../_base_/default_runtime.py',
]

# The official recipe: 16 GPUs x 32 images, AdamW at lr 5e-4.
auto_scale_lr = dict(base_batch_size=512)

# The official 32B run trains with mixed precision (amp: True): add --amp.
