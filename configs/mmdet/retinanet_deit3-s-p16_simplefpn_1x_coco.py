# RetinaNet with a DeiT III-S backbone. The plain ViT gives one stride-16
# map; a ViTDet simple feature pyramid rescales it to strides 8/16/32 and
# adds P6 and P7 with stride-2 convs (strides 64/128).
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './_base_/schedules/adamw-ld0.75_1x.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/backbones/deit3-s-p16.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        **_base_.backbone,
        img_size=(800, 1344),  # the largest padded input of the pipeline
        out_indices=-1),
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=384,
        out_channels=256,
        scale_factors=(2.0, 1.0, 0.5),
        num_outs=5,
        add_extra_convs=True))
