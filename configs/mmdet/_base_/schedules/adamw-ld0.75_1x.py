# mmdet's 1x schedule (12 epochs, steps at 8 and 11) with AdamW and
# layer-wise learning-rate decay for the ViT backbone, as in ViTDet.
# Everything outside the backbone (neck, heads) gets the full learning rate.
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
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
    clip_grad=dict(max_norm=1.0, norm_type=2))
