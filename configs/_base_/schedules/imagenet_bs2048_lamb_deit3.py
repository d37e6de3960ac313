# DeiT III pre-training on ImageNet-1k: LAMB, 800 epochs, 5 warm-up epochs,
# cosine decay, lr 3e-3 for a total batch of 2048 (not scaled further).
optim_wrapper = dict(
    optimizer=dict(type='Lamb', lr=3e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
            '.gamma1': dict(decay_mult=0.0),
            '.gamma2': dict(decay_mult=0.0),
        }),
)

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=5,
         end=800, convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=800, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=2048)
