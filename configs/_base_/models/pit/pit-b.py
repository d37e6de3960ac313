# PiT-B (Heo et al. 2021): ImageNet-1k classifier.
_base_ = ['./pit-s.py']

model = dict(backbone=dict(arch='base'), head=dict(in_channels=1024))
