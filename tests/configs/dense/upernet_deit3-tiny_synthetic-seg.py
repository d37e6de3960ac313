# The shipped DeiT3 UperNet config with a tiny backbone, trained for 60
# iterations on synthetic 64x64 images (tests/dense_utils.py writes them;
# pass train_dataloader.dataset.data_root). No validation.
_base_ = ['../../../configs/mmseg/upernet_deit3-s-p16_mln_8xb2-160k_ade20k-512x512.py']

crop_size = (64, 64)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, num_layers=12, num_heads=2,
                  feedforward_channels=64),
        img_size=crop_size,
        drop_path_rate=0.0,
        init_cfg=None),
    neck=dict(in_channels=[32] * 4, out_channels=32),
    decode_head=dict(in_channels=[32] * 4, channels=32, num_classes=3),
    auxiliary_head=dict(in_channels=32, channels=16, num_classes=3))

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='BaseSegDataset',
        metainfo=dict(
            classes=('background', 'square', 'disc'),
            palette=[[0, 0, 0], [255, 0, 0], [0, 0, 255]]),
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        seg_map_suffix='.png',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSegInputs'),
        ]))
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=60),
    visualization=dict(draw=False))
randomness = dict(seed=0)
