# Train the scene Mask R-CNN (Fashion-MNIST DeiT III + SimpleFPN) on your own
# COCO-format instance set: boxes, and masks as polygons or RLE.
#
# Lay the set out as
#   data/my_coco/images/train/*.png (or .jpg)
#   data/my_coco/images/val/*.png
#   data/my_coco/annotations/instances_train.json
#   data/my_coco/annotations/instances_val.json
# then set the values below (or copy this file and edit them) and run
#   python tools/train.py configs/mmdet/custom/mask-rcnn_deit3-tiny-p7_simplefpn_coco-format.py
# Box and mask AP come from mmdet's CocoMetric on the val split.
_base_ = ['../mask-rcnn_deit3-tiny-p7_simplefpn_fashion-scenes.py']

data_root = 'data/my_coco/'
# The category names of the annotation files, in any order; annotations of
# other categories are ignored.
classes = ('square', 'disc', 'triangle')
num_classes = len(classes)
# Images are resized to fit (W, H), keeping their aspect ratio; the backbone
# resizes its position embedding to each batch's padded size.
img_scale = (128, 128)
# The backbone's weights: the Fashion-MNIST classifier (grey; its stem is
# adapted to RGB on load), a scene detector's checkpoint (prefix
# 'backbone.' takes its backbone), an official or timm DeiT III file or URL
# of the same size, or None for random weights.
pretrained = 'work_dirs/deit3-tiny-p7_1xb128_fashion-mnist/epoch_8.pth'

model = dict(
    backbone=dict(
        img_size=img_scale[::-1],
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint=pretrained) if pretrained else None),
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
