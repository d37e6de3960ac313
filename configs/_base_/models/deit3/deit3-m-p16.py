# DeiT III-Medium, patch 16: ImageNet-1k classifier.
# No official training command for M: its stochastic depth (0.1) lies
# between S's and B's.
_base_ = ['./deit3-s-p16.py']

model = dict(
    backbone=dict(arch='medium',
                  layer_cfgs=dict(drop_path_rate=0.1)),
    head=dict(in_channels=512))
