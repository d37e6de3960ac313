# The DeiT III scene detector with ViTDet's blocks: 7x7 window attention
# (the 19x19 grid zero-padded to 21x21, nine windows) in blocks 0 and 2,
# global attention in blocks 1 and 3, decomposed relative positions in all,
# no class token. The classifier's class token is dropped on load and the
# relative-position tables start at zero (one info line).
_base_ = './mask-rcnn_deit3-tiny-p7_simplefpn_fashion-scenes.py'

model = dict(
    backbone=dict(window_size=7, global_attn_indexes=(1, 3),
                  use_rel_pos=True))
