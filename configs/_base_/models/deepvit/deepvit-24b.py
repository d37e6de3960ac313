# DeepViT-24B: 24 blocks, re-attention in all of them.
_base_ = ['./deepvit-16b.py']

model = dict(backbone=dict(arch='24b', drop_path_rate=0.2))
