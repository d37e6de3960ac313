# PiT-B (Heo et al. 2021): ImageNet-1k classifier.
_base_ = ['./pit-s.py']

# 13 blocks: pit.py's rates 0.1 * i / 13.
model = dict(
    backbone=dict(arch='base', drop_path_rate=0.1 * 12 / 13),
    head=dict(in_channels=1024))
