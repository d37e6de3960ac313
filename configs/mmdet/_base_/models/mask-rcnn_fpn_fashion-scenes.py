# mmdet's Mask R-CNN, slimmed for 128x128 scenes and small backbones: 64
# channels in the neck and heads (256 on COCO), anchors and RoI levels for
# objects of 20-90 px, fewer proposals and sampled RoIs. A leaf config adds
# the backbone, the neck's inputs and the strides of its levels.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

channels = 64
model = dict(
    # The grey Fashion-MNIST classifiers' statistics on each RGB channel,
    # so a pretrained stem (adapted from 1 to 3 channels) sees what it knows.
    data_preprocessor=dict(mean=[72.94] * 3, std=[90.02] * 3),
    neck=dict(out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        # RoIs of side < 2 * finest_scale go to the first level, < 4 * to
        # the second, ...: 20-90 px objects use the two finest levels.
        bbox_roi_extractor=dict(out_channels=channels, finest_scale=28),
        bbox_head=dict(in_channels=channels, fc_out_channels=256,
                       num_classes=10),
        mask_roi_extractor=dict(out_channels=channels, finest_scale=28),
        mask_head=dict(in_channels=channels, conv_out_channels=channels,
                       num_classes=10)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(max_per_img=50)))
