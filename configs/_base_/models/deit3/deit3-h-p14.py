# DeiT III-Huge, patch 14: ImageNet-1k classifier.
_base_ = ['./deit3-s-p16.py']

model = dict(
    backbone=dict(arch='huge', patch_size=14,
                  layer_cfgs=dict(drop_path_rate=0.6)),
    head=dict(in_channels=1280))
