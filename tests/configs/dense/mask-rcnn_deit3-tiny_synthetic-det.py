# The shipped DeiT3 + SimpleFPN Mask R-CNN config with a tiny backbone,
# trained for 60 iterations on synthetic 128x128 images with boxes and masks
# (tests/dense_utils.py writes them; pass train_dataloader.dataset.data_root).
# No validation.
_base_ = ['../../../configs/mmdet/mask-rcnn_deit3-s-p16_simplefpn_1x_coco.py']

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, num_layers=4, num_heads=2,
                  feedforward_channels=64),
        img_size=(128, 128),
        drop_path_rate=0.0,
        init_cfg=None),
    neck=dict(in_channels=32),
    roi_head=dict(
        bbox_head=dict(num_classes=2), mask_head=dict(num_classes=2)),
    # Fewer proposals and RoIs than COCO's 2000/512: the images hold two
    # objects each, and the mask head dominates the time on a CPU.
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=200, max_per_img=100),
        rcnn=dict(sampler=dict(num=32))))

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='CocoDataset',
        metainfo=dict(classes=('square', 'disc')),
        ann_file='annotations.json',
        data_prefix=dict(img='img/'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDetInputs'),
        ]))
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=60)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=60),
    visualization=dict(draw=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
