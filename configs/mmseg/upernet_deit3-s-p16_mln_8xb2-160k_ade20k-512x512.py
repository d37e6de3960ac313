# UperNet with a DeiT III-S backbone on ADE20K. Blocks 4, 6, 8 and 12 give
# stride-16 maps; mmseg's MultiLevelNeck rescales them to strides 4/8/16/32.
_base_ = [
    'mmseg::_base_/models/upernet_vit-b16_ln_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/schedules/adamw-ld0.65_160k.py',
]
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)

# An ImageNet DeiT III-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/deit3_to_mmvit.py deit3_small.pth pretrain/deit3-s-p16_in1k.pth
pretrained = 'pretrain/deit3-s-p16_in1k.pth'
crop_size = (512, 512)

model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.DeiT3',
        arch='s',
        img_size=crop_size,
        patch_size=16,
        out_type='featmap',
        out_indices=(3, 5, 7, 11),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=dict(in_channels=[384] * 4, out_channels=384, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[384] * 4, num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150))

# 8 GPUs x 2 images
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
