# DeiT III-S as a backbone of mmdet and mmseg configs: stride-16 feature maps,
# initialised from the official ImageNet-1k weights, downloaded once into
# the cache and converted on load (a local file in the official, timm or our
# layout works too).
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
        checkpoint='https://dl.fbaipublicfiles.com/deit/'
        'deit_3_small_224_1k.pth'))
