# DeepViT-S: 396 wide, 16 blocks (re-attention in the last 5), CNN stem.
_base_ = ['./deepvit-16b.py']

model = dict(
    backbone=dict(arch='s', drop_path_rate=0.2), head=dict(in_channels=396))
