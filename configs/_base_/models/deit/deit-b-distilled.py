# DeiT-B distilled: 768 wide, 12 heads.
_base_ = ['./deit-s-distilled.py']

model = dict(backbone=dict(arch='base'), head=dict(in_channels=768))
