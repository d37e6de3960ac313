# CeiT-S: 384 wide, 6 heads.
_base_ = ['./ceit-t.py']

model = dict(
    backbone=dict(arch='small'), head=dict(in_channels=384, num_heads=6))
