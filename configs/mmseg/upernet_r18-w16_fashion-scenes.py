# The CNN baseline of the scene segmentors: UperNet with mmseg's own
# ResNet-18 (V1c, deep stem) at a quarter of its width (16-128 channels),
# from random weights, with the same head, data and schedule (AdamW, no
# layer-wise decay: a ResNet has no layer depth).
_base_ = [
    './_base_/models/upernet_fashion-scenes.py',
    './_base_/datasets/fashion-scenes.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
]
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    backbone=dict(depth=18, stem_channels=16, base_channels=16,
                  norm_cfg=norm_cfg),
    decode_head=dict(in_channels=[16, 32, 64, 128]))
optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    paramwise_cfg=dict(_delete_=True, norm_decay_mult=0.0,
                       bias_decay_mult=0.0))
