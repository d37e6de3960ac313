_base_ = [
    '../_base_/models/pit/pit-s-distilled.py',
    '../_base_/datasets/imagenet_bs128_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

# 8 GPUs x 128 images.
auto_scale_lr = dict(base_batch_size=1024)

# pit.py keeps the dist token inside its cls_token, which is exempt from
# weight decay (no_weight_decay()): ours is dist_token.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'.dist_token': dict(decay_mult=0.0)}))
