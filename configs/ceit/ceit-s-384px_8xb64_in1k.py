# The official code gives no command for the 384 px fine-tune of CeiT; this
# borrows DeiT III's 384 px fine-tuning recipe.
# Fine-tunes a 224 px CeiT-S checkpoint at 384 px: set ``load_from``; the
# position embedding is resized on load.
_base_ = [
    '../_base_/models/ceit/ceit-s.py',
    '../_base_/datasets/imagenet_bs64_deit3_384.py',
    '../_base_/schedules/imagenet_bs512_adamw_finetune.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(img_size=384))
train_dataloader = dict(batch_size=64)

# 8 GPUs x 64 images.
auto_scale_lr = dict(base_batch_size=512)
