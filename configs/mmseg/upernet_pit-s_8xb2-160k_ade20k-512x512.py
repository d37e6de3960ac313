# UperNet with a PiT-S backbone on ADE20K. PiT's three stages (strides
# 8/16/32) feed UperNet's own FPN directly, with no neck; the auxiliary FCN
# head reads the stride-16 stage.
_base_ = [
    './_base_/upernet_vit_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/pit-s.py',
]

model = dict(
    backbone=dict(_delete_=True, **_base_.backbone, img_size=(512, 512)),
    neck=None,
    decode_head=dict(in_channels=[144, 288, 576], in_index=[0, 1, 2]),
    auxiliary_head=dict(in_channels=288, in_index=1))
