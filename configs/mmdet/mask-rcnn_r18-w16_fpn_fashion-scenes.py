# The CNN baseline of the scene detectors: Mask R-CNN with mmdet's own
# ResNet-18 at a quarter of its width (16-128 channels) and FPN, from
# random weights, with the same neck, heads, data and schedule (AdamW, no
# layer-wise decay: a ResNet has no layer depth).
_base_ = [
    './_base_/models/mask-rcnn_fpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
]
strides = [4, 8, 16, 32, 64]

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128]),
    # anchors of 24-384 px (6 x the stride), as the other scene configs
    rpn_head=dict(anchor_generator=dict(scales=[6], strides=strides)))
optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    paramwise_cfg=dict(_delete_=True, norm_decay_mult=0.0,
                       bias_decay_mult=0.0))
