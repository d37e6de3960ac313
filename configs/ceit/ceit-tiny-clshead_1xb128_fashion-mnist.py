# The LCA ablation: the same CeiT and schedule as
# ceit-tiny-lca_1xb128_fashion-mnist.py, with a plain head on the final
# (normalised) class token instead of layer-wise class-token attention.
_base_ = ['./ceit-tiny-lca_1xb128_fashion-mnist.py']

model = dict(
    backbone=dict(out_indices=-1, final_norm=True),
    head=dict(
        _delete_=True,
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original')))
