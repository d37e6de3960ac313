# UperNet with a PiT-S backbone on ADE20K. PiT's three stages (strides
# 8/16/32) feed UperNet's own FPN directly, with no neck; the auxiliary FCN
# head reads the stride-16 stage.
_base_ = './_base_/upernet_vit_8xb2-160k_ade20k-512x512.py'

# An ImageNet PiT-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/pit_to_mmvit.py pit_s-224.pth pretrain/pit-s_in1k.pth
pretrained = 'pretrain/pit-s_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.PiT',
        arch='s',
        img_size=(512, 512),
        out_type='featmap',
        out_indices=(0, 1, 2),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=None,
    decode_head=dict(in_channels=[144, 288, 576], in_index=[0, 1, 2]),
    auxiliary_head=dict(in_channels=288, in_index=1))
