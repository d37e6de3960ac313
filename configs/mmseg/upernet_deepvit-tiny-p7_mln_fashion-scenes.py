# UperNet on Fashion-MNIST scenes with the Fashion-MNIST DeepViT
# (re-attention), initialised from its classifier. Blocks 2, 3, 5 and 6
# give stride-7 maps; mmseg's MultiLevelNeck rescales them to strides
# 3.5/7/14/28.
_base_ = [
    './_base_/models/upernet_fashion-scenes.py',
    './_base_/datasets/fashion-scenes.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/deepvit-tiny-p7_fashion-scenes.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, out_indices=(1, 2, 4, 5)),
    neck=dict(type='MultiLevelNeck', in_channels=[64] * 4, out_channels=64,
              scales=[2, 1, 0.5, 0.25]),
    decode_head=dict(in_channels=[64] * 4))
