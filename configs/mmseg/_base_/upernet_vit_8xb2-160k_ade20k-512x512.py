# What the UperNet configs here share: mmseg's UperNet for ViTs, ADE20K at
# 512x512 (150 classes), mmseg's runtime, AdamW with layer-wise lr decay for
# 160k iterations on 8 GPUs x 2 images. Each leaf adds a backbone from
# configs/_base_/backbones/ and wires its outputs to the neck and heads.
_base_ = [
    'mmseg::_base_/models/upernet_vit-b16_ln_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    './schedules/adamw-ld0.65_160k.py',
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,  # our backbones load weights through init_cfg
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))

train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
