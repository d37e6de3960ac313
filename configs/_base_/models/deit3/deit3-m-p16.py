# DeiT III-Medium, patch 16: ImageNet-1k classifier.
_base_ = ['./deit3-s-p16.py']

model = dict(
    backbone=dict(arch='medium', drop_path_rate=0.1),
    head=dict(in_channels=512))
