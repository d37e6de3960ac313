# UperNet on Fashion-MNIST scenes with the Fashion-MNIST CeiT, initialised
# from its LCA classifier. Its 4 blocks give stride-6 maps; mmseg's
# MultiLevelNeck rescales them to strides 3/6/12/24.
_base_ = [
    './_base_/models/upernet_fashion-scenes.py',
    './_base_/datasets/fashion-scenes.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/ceit-tiny_fashion-scenes.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, out_indices=(0, 1, 2, 3)),
    neck=dict(type='MultiLevelNeck', in_channels=[64] * 4, out_channels=64,
              scales=[2, 1, 0.5, 0.25]),
    decode_head=dict(in_channels=[64] * 4))
