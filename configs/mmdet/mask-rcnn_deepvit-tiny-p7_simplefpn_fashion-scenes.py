# Mask R-CNN on Fashion-MNIST scenes with the Fashion-MNIST DeepViT
# (re-attention), initialised from its classifier. One stride-7 map, as
# DeiT III's, through ViTDet's simple feature pyramid (strides 7-112).
_base_ = [
    './_base_/models/mask-rcnn_fpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/deepvit-tiny-p7_fashion-scenes.py',
]
strides = [7, 14, 28, 56, 112]

model = dict(
    backbone=dict(_delete_=True, **_base_.backbone),
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=64,
        out_channels=64,
        scale_factors=(1.0, 0.5, 0.25),
        num_outs=5),
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=strides[:4]),
        mask_roi_extractor=dict(featmap_strides=strides[:4])))
