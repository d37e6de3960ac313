# The demo model with the shipped rules that multi-process training must
# keep: no weight decay on 1-D parameters, tokens and position embeddings
# (flat_decay_mult, custom_keys), layer-wise lr decay, and clipping by a
# norm small enough to clip every step. Deterministic data (256 images, no
# flips, no stochastic depth): a total batch of 64 per step, as 1x64 or, with
# train_dataloader.batch_size=32, as 2x32. 3 epochs of 4 steps.
_base_ = ['demo_small.py']

train_dataloader = dict(batch_size=64,
                        dataset=dict(dataset=dict(indices=256)))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.3),
    constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    clip_grad=dict(max_norm=0.05))
max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1, save_best=None))
