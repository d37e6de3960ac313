# Mask R-CNN on Fashion-MNIST scenes with the Fashion-MNIST PiT,
# initialised from its classifier. PiT's three stages (strides 3/6/12) go
# into mmdet's FPN, which max-pools two more levels (24, 48).
_base_ = [
    './_base_/models/mask-rcnn_fpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/pit-tiny-p6_fashion-scenes.py',
]
strides = [3, 6, 12, 24, 48]

model = dict(
    backbone=dict(_delete_=True, **_base_.backbone),
    neck=dict(in_channels=[32, 64, 128], start_level=0, num_outs=5),
    # anchors of 24-384 px (8 x the stride), as the other scene configs
    rpn_head=dict(anchor_generator=dict(scales=[8], strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=strides[:4]),
        mask_roi_extractor=dict(featmap_strides=strides[:4])))
