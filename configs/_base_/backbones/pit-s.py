# PiT-S as a backbone of mmdet and mmseg configs: its three stages give
# feature maps at strides 8/16/32 with 144/288/576 channels. Initialised from
# timm's ImageNet-1k weights of the official model, downloaded once into the
# cache and converted on load (a local file in the official, timm or our
# layout works too).
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
        checkpoint='https://github.com/rwightman/pytorch-image-models/'
        'releases/download/v0.1-pit-weights/pit_s_809.pth'))
