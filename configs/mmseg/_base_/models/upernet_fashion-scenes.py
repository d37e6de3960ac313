# mmseg's UperNet, slimmed for 128x128 scenes and small backbones: 64
# channels (512 on ADE20K), BN instead of SyncBN, no auxiliary head, whole-
# image inference. A leaf config adds the backbone and its neck.
_base_ = 'mmseg::_base_/models/upernet_r50.py'

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    # The grey Fashion-MNIST classifiers' statistics on each RGB channel,
    # so a pretrained stem (adapted from 1 to 3 channels) sees what it knows.
    data_preprocessor=dict(mean=[72.94] * 3, std=[90.02] * 3,
                           size=(128, 128)),
    pretrained=None,
    decode_head=dict(channels=64, num_classes=11, norm_cfg=norm_cfg),
    auxiliary_head=None,
    test_cfg=dict(mode='whole'))
