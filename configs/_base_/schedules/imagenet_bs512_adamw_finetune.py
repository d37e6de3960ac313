# DeiT III fine-tuning (at 224 px after a low-resolution pre-training, or at
# 384 px; README_revenge.md): AdamW (eps 1e-8), lr 1e-5, weight decay 0.1
# on every parameter but the 1-D ones and cls_token and pos_embed; 20 epochs,
# 5 linear warm-up epochs from 1e-6, then the lr stays at 1e-5 (the cosine
# decays to --min-lr, which is 1e-5 too); an EMA (0.99996) beside the raw
# model. The fine-tuning loss is softmax cross-entropy with label smoothing
# 0.1 (--smoothing 0.1) on the mixed targets, in place of pre-training's BCE:
# model = dict(head=dict(loss={{_base_.finetune_loss}})).
_base_ = ['./imagenet_bs1024_adamw_deit.py']

optim_wrapper = dict(optimizer=dict(lr=1e-5, weight_decay=0.1))

warmup = dict(type='LinearLR', start_factor=1e-1, by_epoch=True, begin=0,
              end=5)
cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
              begin=5, end=20)
param_scheduler = [warmup, cosine]

train_cfg = dict(max_epochs=20)

finetune_loss = dict(_delete_=True, type='LabelSmoothLoss',
                     label_smooth_val=0.1, mode='original')

auto_scale_lr = dict(base_batch_size=512)
