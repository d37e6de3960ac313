# UperNet with a DeiT III-S backbone on ADE20K. Blocks 4, 6, 8 and 12 give
# stride-16 maps; mmseg's MultiLevelNeck rescales them to strides 4/8/16/32.
_base_ = [
    './_base_/upernet_vit_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/deit3-s-p16.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        **_base_.backbone,
        img_size=(512, 512),
        out_indices=(3, 5, 7, 11)),
    neck=dict(in_channels=[384] * 4, out_channels=384, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[384] * 4),
    auxiliary_head=dict(in_channels=384))
