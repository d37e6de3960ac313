# Mask R-CNN with a DeiT III-S backbone, as in ViTDet: the plain ViT gives one
# stride-16 map, and a simple feature pyramid rescales it to strides 4-32,
# plus a max-pooled P6 (stride 64), the levels mmdet's Mask R-CNN expects.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './_base_/schedules/adamw-ld0.75_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)

# An ImageNet DeiT III-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/deit3_to_mmvit.py deit3_small.pth pretrain/deit3-s-p16_in1k.pth
pretrained = 'pretrain/deit3-s-p16_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.DeiT3',
        arch='s',
        img_size=(800, 1344),  # the largest padded input of the pipeline
        patch_size=16,
        out_type='featmap',
        out_indices=-1,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=384,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5))
