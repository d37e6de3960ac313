# DeiT III pre-training on ImageNet-1k (README_revenge.md of
# facebookresearch/deit): LAMB (eps 1e-8), lr 3e-3 for a total batch of 2048
# (--unscale-lr: not scaled further), weight decay 0.05 on every parameter
# but the 1-D ones (norms, biases, LayerScale gammas) and cls_token and
# pos_embed; 800 epochs, 5 linear warm-up epochs from 1e-6, cosine decay to
# 1e-5, stepped once an epoch; an EMA (0.99996) beside the raw model.
_base_ = ['./imagenet_bs1024_adamw_deit.py']

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Lamb', lr=3e-3, weight_decay=0.05,
                   eps=1e-8))

# From 1e-6 = 3e-3 x start_factor.
warmup = dict(type='LinearLR', start_factor=1e-6 / 3e-3, by_epoch=True,
              begin=0, end=5)
cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
              begin=5, end=800)
param_scheduler = [warmup, cosine]

train_cfg = dict(max_epochs=800)

auto_scale_lr = dict(base_batch_size=2048)
