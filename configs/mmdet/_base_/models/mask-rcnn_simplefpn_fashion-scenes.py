# The scene Mask R-CNN for a plain ViT with one stride-7 map (DeiT III,
# DeepViT): ViTDet's simple feature pyramid keeps it and max-pools it to
# strides 14 and 28 (and 56, 112 for the RPN). A leaf adds the backbone.
_base_ = './mask-rcnn_fpn_fashion-scenes.py'
strides = [7, 14, 28, 56, 112]

model = dict(
    neck=dict(
        _delete_=True,
        type='mmvit_ext.SimpleFPN',
        in_channels=64,
        out_channels=64,
        scale_factors=(1.0, 0.5, 0.25),
        num_outs=5),
    # anchors of 28-448 px (4 x the stride), as the other scene configs
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=strides[:4]),
        mask_roi_extractor=dict(featmap_strides=strides[:4])))
