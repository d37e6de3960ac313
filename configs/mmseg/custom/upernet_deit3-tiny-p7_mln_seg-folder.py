# Train the scene UperNet (Fashion-MNIST DeiT III + MultiLevelNeck) on your
# own semantic segmentation set: images and label PNGs of the same names.
#
# Lay the set out as
#   data/my_seg/images/train/*.png      data/my_seg/labels/train/*.png
#   data/my_seg/images/val/*.png        data/my_seg/labels/val/*.png
# where a label PNG holds one class index per pixel (0 = the first class of
# `classes`; 255 is ignored), then set the values below (or copy this file
# and edit them) and run
#   python tools/train.py configs/mmseg/custom/upernet_deit3-tiny-p7_mln_seg-folder.py
# mIoU comes from mmseg's IoUMetric on the val split.
_base_ = ['../upernet_deit3-tiny-p7_mln_fashion-scenes.py']

data_root = 'data/my_seg/'
# One name per label value 0..num_classes-1, background included if your
# labels have one.
classes = ('background', 'square', 'disc')
num_classes = len(classes)
# Colours of the classes in drawn predictions (tools/test.py --show-dir).
palette = [[(67 * i) % 256, (151 * i) % 256, (211 * i) % 256]
           for i in range(num_classes)]
img_suffix = '.png'
# Images are resized to (W, H) exactly.
img_scale = (128, 128)
# The backbone's weights (see the detection config next to this one), or
# None for random weights.
pretrained = 'work_dirs/deit3-tiny-p7_1xb128_fashion-mnist/epoch_8.pth'

model = dict(
    data_preprocessor=dict(size=img_scale[::-1]),
    backbone=dict(
        img_size=img_scale[::-1],
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint=pretrained) if pretrained else None),
    decode_head=dict(num_classes=num_classes))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes, palette=palette),
        data_prefix=dict(img_path='images/train',
                         seg_map_path='labels/train'),
        img_suffix=img_suffix,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes, palette=palette),
        data_prefix=dict(img_path='images/val', seg_map_path='labels/val'),
        img_suffix=img_suffix,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
