# UperNet with a CeiT-S backbone on ADE20K. CeiT's image-to-tokens stem and
# 4-px patches give stride-16 maps; blocks 4, 6, 8 and 12 go through mmseg's
# MultiLevelNeck to strides 4/8/16/32.
_base_ = './_base_/upernet_vit_8xb2-160k_ade20k-512x512.py'

# An ImageNet CeiT-S checkpoint in our layout, from the official weights:
#   python tools/model_converters/ceit_to_mmvit.py ceit_small.pth pretrain/ceit-s_in1k.pth
pretrained = 'pretrain/ceit-s_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.CeiT',
        arch='s',
        img_size=(512, 512),
        out_type='featmap',
        out_indices=(3, 5, 7, 11),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=dict(in_channels=[384] * 4, out_channels=384, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[384] * 4),
    auxiliary_head=dict(in_channels=384))
