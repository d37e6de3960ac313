# DeiT III-Base, patch 16: ImageNet-1k classifier.
_base_ = ['./deit3-s-p16.py']

model = dict(
    backbone=dict(arch='base',
                  layer_cfgs=dict(drop_path_rate=0.2)),
    head=dict(in_channels=768))
