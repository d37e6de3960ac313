# UperNet with a PiT-S backbone on ADE20K. PiT's three stages (strides
# 8/16/32) feed UperNet's own FPN directly, with no neck; the auxiliary FCN
# head reads the stride-16 stage.
_base_ = [
    'mmseg::_base_/models/upernet_vit-b16_ln_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/schedules/adamw-ld0.65_160k.py',
]
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)

# An ImageNet PiT-S checkpoint in our layout, e.g. from timm's weights:
#   python tools/model_converters/pit_to_mmvit.py pit_s-224.pth pretrain/pit-s_in1k.pth
pretrained = 'pretrain/pit-s_in1k.pth'
crop_size = (512, 512)

model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmvit_ext.PiT',
        arch='s',
        img_size=crop_size,
        out_type='featmap',
        out_indices=(0, 1, 2),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', prefix='backbone.', checkpoint=pretrained)),
    neck=None,
    decode_head=dict(
        in_channels=[144, 288, 576], in_index=[0, 1, 2], num_classes=150),
    auxiliary_head=dict(in_channels=288, in_index=1, num_classes=150))

# 8 GPUs x 2 images
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
