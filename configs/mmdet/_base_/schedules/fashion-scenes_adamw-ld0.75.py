# AdamW with layer-wise lr decay for the backbone (the COCO configs' ViTDet
# recipe, shorter and with a higher lr for small models and batches of 8): 600
# iterations, a linear warm-up and a cosine decay, one validation at the end.
# The neck and heads learn at the full lr. Standalone (not on mmdet's
# schedule_1x), so that the mmseg scene configs can share it: a base loaded
# as mmdet::... would set their default scope to mmdet.
max_iters = 600
warmup_iters = 50
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        # no weight decay on norms, biases, tokens and position embeddings
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    clip_grad=dict(max_norm=5.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False,
         begin=warmup_iters, end=max_iters, T_max=max_iters - warmup_iters),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
