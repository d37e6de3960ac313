# ViTDet's Mask R-CNN (Li et al. 2022) on DeiT III-S: 14x14 window attention
# in every block but 2, 5, 8 and 11 (global), decomposed relative positions
# (zero at start), no class token; the simple feature pyramid with LN to
# strides 4-32 (and a pooled P6); two convs in the RPN head, four convs and a
# fc in the box head; large-scale jitter at 1024 px for 100 epochs. The
# ImageNet classifier's class token is dropped on load and the missing
# relative-position tables start at zero, in one info line.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    './_base_/datasets/coco-instance_lsj-1024.py',
    './_base_/schedules/vitdet_adamw-ld0.7_lsj-100e.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/backbones/deit3-s-p16.py',
]

image_size = (1024, 1024)
embed_dims = 384
norm_cfg = dict(type='GN', num_groups=32, requires_grad=True)
model = dict(
    data_preprocessor=dict(
        pad_size_divisor=32,
        batch_augments=[
            dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)
        ]),
    backbone=dict(
        _delete_=True,
        **_base_.backbone,
        img_size=image_size,
        out_indices=-1,
        window_size=14,
        global_attn_indexes=(2, 5, 8, 11),
        use_rel_pos=True),
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=embed_dims,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
# iteration-based checkpoints and logs, as the schedule
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=5))
log_processor = dict(by_epoch=False)
