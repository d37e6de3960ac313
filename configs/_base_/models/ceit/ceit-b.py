# CeiT-B: 768 wide, 12 heads.
_base_ = ['./ceit-t.py']

model = dict(
    backbone=dict(arch='base'), head=dict(in_channels=768, num_heads=12))
