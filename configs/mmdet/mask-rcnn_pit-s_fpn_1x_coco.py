# Mask R-CNN with a PiT-S backbone. PiT's pyramid starts at stride 8, so the
# FPN gives strides 8-128 instead of ResNet's 4-64. The RPN anchors and the
# RoI extractors follow those strides; anchor scale 4 keeps the anchor sizes
# of the ResNet model (32-512 px).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './_base_/schedules/adamw-ld0.75_1x.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/backbones/pit-s.py',
]
strides = [8, 16, 32, 64, 128]

model = dict(
    backbone=dict(
        _delete_=True,
        **_base_.backbone,
        img_size=(800, 1344)),  # the largest padded input of the pipeline
    neck=dict(in_channels=[144, 288, 576], start_level=0, num_outs=5),
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=strides[:4]),
        mask_roi_extractor=dict(featmap_strides=strides[:4])))
