# DeiT-Ti distilled: 192 wide, 3 heads.
_base_ = ['./deit-s-distilled.py']

model = dict(
    backbone=dict(arch='tiny', drop_path_rate=0.1),
    head=dict(in_channels=192))
