# DeiT's schedule (facebookresearch/deit main.py, timm 0.3's optimizer and
# scheduler): AdamW (eps 1e-8), lr 5e-4 x batch / 512, weight decay 0.05 on
# every parameter but the 1-D ones (norms, biases) and the model's
# no_weight_decay() (cls_token, pos_embed); 300 epochs, 5 linear warm-up
# epochs from 1e-6, cosine decay to 1e-5. timm steps the lr once an epoch.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8),
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)

# The warm-up starts at lr x start_factor = 1e-6.
warmup = dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
              end=5)
# mmengine's cosine runs over epochs 5-300; timm's over 0-300 with the
# warm-up laid over its start (at most 0.8% of the lr apart).
cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
              begin=5, end=300)
param_scheduler = [warmup, cosine]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# DeiT keeps an EMA of the weights (--model-ema, decay 0.99996) but reports
# and saves as "model" the raw ones: validated and in state_dict here too,
# the EMA in ema_state_dict.
custom_hooks = [
    dict(type='mmvit_ext.EMAHook', momentum=4e-5, update_buffers=True,
         evaluate_on_ema=False, evaluate_on_origin=True,
         priority='ABOVE_NORMAL'),
]

auto_scale_lr = dict(base_batch_size=1024)
