# PiT-S as a backbone of mmdet and mmseg configs: its three stages give
# feature maps at strides 8/16/32 with 144/288/576 channels. Initialised from
# an ImageNet checkpoint in our layout, e.g. from timm's:
#   python tools/model_converters/pit_to_mmvit.py pit_s-224.pth pretrain/pit-s_in1k.pth
# A config uses it as `backbone=dict(_delete_=True, **_base_.backbone, ...)`
# and adds img_size (the pos-embed is resized to it on load).
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
backbone = dict(
    type='mmvit_ext.PiT',
    arch='s',
    out_type='featmap',
    out_indices=(0, 1, 2),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='pretrain/pit-s_in1k.pth'))
