# The COCO configs' AdamW with layer-wise lr decay for the backbone (ViTDet's
# recipe), shorter and with a higher lr for small models and batches of 8:
# 600 iterations, a linear warm-up and a cosine decay, one validation at the
# end. The neck and heads learn at the full lr.
_base_ = './adamw-ld0.75_1x.py'
max_iters = 600
warmup_iters = 50
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=max_iters)

optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False,
         begin=warmup_iters, end=max_iters, T_max=max_iters - warmup_iters),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
