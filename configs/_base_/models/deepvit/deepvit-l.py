# DeepViT-L: 420 wide, 32 blocks (re-attention in the last 12), CNN stem.
_base_ = ['./deepvit-16b.py']

model = dict(
    backbone=dict(arch='l', drop_path_rate=0.2), head=dict(in_channels=420))
