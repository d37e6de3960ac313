# PiT-B distilled: a distillation token and timm's ``head`` and
# ``head_dist`` (cls and dist logits in training, their average at inference).
_base_ = ['./pit-b.py']

model = dict(
    backbone=dict(with_dist_token=True), head=dict(type='DeiTClsHead'))
