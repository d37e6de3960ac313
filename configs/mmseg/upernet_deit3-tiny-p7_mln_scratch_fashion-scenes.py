# The DeiT III scene UperNet from random weights: what the Fashion-MNIST
# classification pretraining buys.
_base_ = ['./upernet_deit3-tiny-p7_mln_fashion-scenes.py']

model = dict(backbone=dict(init_cfg=None))
