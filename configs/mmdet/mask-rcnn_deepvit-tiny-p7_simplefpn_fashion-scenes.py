# Mask R-CNN on Fashion-MNIST scenes with the Fashion-MNIST DeepViT
# (re-attention), initialised from its classifier. One stride-7 map, as
# DeiT III's, through ViTDet's simple feature pyramid (strides 7-112).
_base_ = [
    './_base_/models/mask-rcnn_simplefpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/deepvit-tiny-p7_fashion-scenes.py',
]

model = dict(backbone=dict(_delete_=True, **_base_.backbone))
