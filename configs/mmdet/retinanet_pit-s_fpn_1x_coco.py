# RetinaNet with a PiT-S backbone: PiT's three stages (strides 8/16/32) go
# straight into mmdet's FPN, which adds P6 and P7 (strides 64/128).
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './_base_/schedules/adamw-ld0.75_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)

# An ImageNet PiT-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/pit_to_mmvit.py pit_s-224.pth pretrain/pit-s_in1k.pth
pretrained = 'pretrain/pit-s_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.PiT',
        arch='s',
        img_size=(800, 1344),  # the largest padded input of the pipeline
        out_type='featmap',
        out_indices=(0, 1, 2),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=dict(in_channels=[144, 288, 576], start_level=0))
