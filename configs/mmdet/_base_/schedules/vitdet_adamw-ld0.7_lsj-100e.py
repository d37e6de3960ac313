# ViTDet's COCO schedule (mmdet's projects/ViTDet, detectron2's
# mask_rcnn_vitdet_b_100ep): 100 epochs at 64 images an iteration (184,375
# iterations), AdamW at lr 1e-4 and weight decay 0.1 with layer-wise lr decay
# 0.7, a 250-iteration warm-up and steps at epochs 88 and 96. ViTDet trains
# in mixed precision: `tools/train.py CONFIG --amp --amp-dtype float16` on a
# GPU (mmcv's box ops take no bfloat16).
# The neck and heads learn at the full lr.
max_iters = 184375
interval = 5000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=interval,
                 dynamic_intervals=[(max_iters // interval * interval + 1,
                                     max_iters)])
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='mmvit_ext.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.7,
        # no weight decay on norms, biases and the position embedding (as
        # detectron2's ViTDet: the relative-position tables decay)
        flat_decay_mult=0.0,
        custom_keys={'.pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=250),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[163889, 177546], gamma=0.1),
]
# 16 GPUs x 4 images
auto_scale_lr = dict(enable=False, base_batch_size=64)
