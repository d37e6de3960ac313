# Mask R-CNN on Fashion-MNIST scenes with the Fashion-MNIST CeiT,
# initialised from its LCA classifier. One stride-6 map; ViTDet's simple
# feature pyramid upsamples it to stride 3 and pools it to 12 and 24 (and
# 48 for the RPN).
_base_ = [
    './_base_/models/mask-rcnn_fpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/ceit-tiny_fashion-scenes.py',
]
strides = [3, 6, 12, 24, 48]

model = dict(
    backbone=dict(_delete_=True, **_base_.backbone),
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=64,
        out_channels=64,
        scale_factors=(2.0, 1.0, 0.5, 0.25),
        num_outs=5),
    # anchors of 24-384 px (8 x the stride), as the other scene configs
    rpn_head=dict(anchor_generator=dict(scales=[8], strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=strides[:4]),
        mask_roi_extractor=dict(featmap_strides=strides[:4])))
