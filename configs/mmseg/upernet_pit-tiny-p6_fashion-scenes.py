# UperNet on Fashion-MNIST scenes with the Fashion-MNIST PiT, initialised
# from its classifier. PiT's three stages (strides 3/6/12) feed UperNet's
# own FPN directly, with no neck.
_base_ = [
    './_base_/models/upernet_fashion-scenes.py',
    './_base_/datasets/fashion-scenes.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/pit-tiny-p6_fashion-scenes.py',
]

model = dict(
    backbone=dict(_delete_=True, **_base_.backbone),
    decode_head=dict(in_channels=[32, 64, 128], in_index=[0, 1, 2]))
