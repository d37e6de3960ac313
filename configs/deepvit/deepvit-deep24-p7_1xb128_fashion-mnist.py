# The re-attention ablation: a deep, narrow DeepViT (24 blocks, 32 wide).
# Train it as is and with re-attention off, at equal steps:
#   python tools/train.py THIS_CONFIG
#   python tools/train.py THIS_CONFIG --cfg-options \
#       model.backbone.re_attention=False --work-dir work_dirs/deep24-vit
_base_ = ['./deepvit-tiny-p7_1xb128_fashion-mnist.py']

model = dict(
    backbone=dict(
        arch=dict(embed_dims=32, num_layers=24, num_heads=4, mlp_ratio=2,
                  re_attention=True, patch_embed='conv'),
        drop_path_rate=0.1),
    head=dict(in_channels=32))

max_epochs = 5
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
