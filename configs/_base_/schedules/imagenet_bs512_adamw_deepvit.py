# DeepViT's schedule (scripts/*.yaml and train.py of zhoudaquan/dvit_repo,
# timm's train.py): AdamW (eps 1e-8), lr 5e-4 for 16 GPUs x 32 images (not
# scaled), weight decay 0.05 as DeiT; 300 epochs, 5 warm-up epochs from
# 1e-6, cosine decay to 1e-5, then 10 cooldown epochs at 1e-5. The EMA
# (0.99996) is the model that is validated, that picks the best checkpoint
# and that is saved as state_dict.
_base_ = ['./imagenet_bs1024_adamw_deit.py']

optim_wrapper = dict(optimizer=dict(lr=5e-4))

warmup = dict(type='LinearLR', start_factor=1e-6 / 5e-4, by_epoch=True,
              begin=0, end=5)
cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
              begin=5, end=300)
param_scheduler = [warmup, cosine]

# Epochs 300-309 keep the last lr, 1e-5 (cooldown_epochs: 10).
train_cfg = dict(max_epochs=310)

custom_hooks = [
    dict(type='mmvit_ext.EMAHook', momentum=4e-5, update_buffers=True,
         evaluate_on_ema=True, evaluate_on_origin=False,
         priority='ABOVE_NORMAL'),
]

auto_scale_lr = dict(base_batch_size=512)
