# DeiT III-Large, patch 16: ImageNet-1k classifier.
_base_ = ['./deit3-s-p16.py']

model = dict(
    backbone=dict(arch='large',
                  layer_cfgs=dict(drop_path_rate=0.45)),
    head=dict(in_channels=1024))
