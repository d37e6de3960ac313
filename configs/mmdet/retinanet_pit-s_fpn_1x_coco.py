# RetinaNet with a PiT-S backbone: PiT's three stages (strides 8/16/32) go
# straight into mmdet's FPN, which adds P6 and P7 (strides 64/128).
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './_base_/schedules/adamw-ld0.75_1x.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/backbones/pit-s.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        **_base_.backbone,
        img_size=(800, 1344)),  # the largest padded input of the pipeline
    neck=dict(in_channels=[144, 288, 576], start_level=0))
