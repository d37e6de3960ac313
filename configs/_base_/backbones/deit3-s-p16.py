# DeiT III-S as a backbone of mmdet and mmseg configs: stride-16 feature maps,
# initialised from an ImageNet checkpoint in our layout, e.g. from timm's:
#   python tools/model_converters/deit3_to_mmvit.py deit3_small.pth pretrain/deit3-s-p16_in1k.pth
# A config uses it as `backbone=dict(_delete_=True, **_base_.backbone, ...)`
# and adds img_size (the pos-embed is resized to it on load) and out_indices.
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
backbone = dict(
    type='mmvit_ext.DeiT3',
    arch='s',
    patch_size=16,
    out_type='featmap',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        prefix='backbone.',
        checkpoint='pretrain/deit3-s-p16_in1k.pth'))
