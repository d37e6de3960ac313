# ViTDet's Mask R-CNN on DeiT III-B: as the DeiT III-S config, with the
# base model (768 channels, 12 heads) and its official ImageNet-1k weights.
# ViTDet's ViT-B from MAE reaches 51.6 box / 45.9 mask AP with this recipe.
_base_ = './mask-rcnn_deit3-s-p16-vitdet_simplefpn_lsj-100e_coco.py'

model = dict(
    backbone=dict(
        arch='b',
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                      'deit_3_base_224_1k.pth')),
    neck=dict(in_channels=768))
