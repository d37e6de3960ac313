# UperNet with a DeiT III-S backbone on ADE20K. Blocks 4, 6, 8 and 12 give
# stride-16 maps; mmseg's MultiLevelNeck rescales them to strides 4/8/16/32.
_base_ = './_base_/upernet_vit_8xb2-160k_ade20k-512x512.py'

# An ImageNet DeiT III-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/deit3_to_mmvit.py deit3_small.pth pretrain/deit3-s-p16_in1k.pth
pretrained = 'pretrain/deit3-s-p16_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.DeiT3',
        arch='s',
        img_size=(512, 512),
        patch_size=16,
        out_type='featmap',
        out_indices=(3, 5, 7, 11),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=dict(in_channels=[384] * 4, out_channels=384, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[384] * 4),
    auxiliary_head=dict(in_channels=384))
