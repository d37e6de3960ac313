# Mask R-CNN on Fashion-MNIST scenes with the Fashion-MNIST DeiT III,
# initialised from its classifier. The plain ViT gives one stride-7 map;
# ViTDet's simple feature pyramid keeps it and max-pools it to strides 14
# and 28 (and 56, 112 for the RPN).
_base_ = [
    './_base_/models/mask-rcnn_simplefpn_fashion-scenes.py',
    './_base_/datasets/fashion-scenes_instance.py',
    './_base_/schedules/fashion-scenes_adamw-ld0.75.py',
    './_base_/default_runtime.py',
    '../_base_/backbones/deit3-tiny-p7_fashion-scenes.py',
]

model = dict(backbone=dict(_delete_=True, **_base_.backbone))
