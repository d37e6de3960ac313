# The DeiT III scene Mask R-CNN from random weights: what the Fashion-MNIST
# classification pretraining buys.
_base_ = ['./mask-rcnn_deit3-tiny-p7_simplefpn_fashion-scenes.py']

model = dict(backbone=dict(init_cfg=None))
