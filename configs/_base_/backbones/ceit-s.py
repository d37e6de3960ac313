# CeiT-S as a backbone of mmdet and mmseg configs: its image-to-tokens stem
# and 4-px patches give stride-16 feature maps. Initialised from an ImageNet
# checkpoint in our layout, from the official weights:
#   python tools/model_converters/ceit_to_mmvit.py ceit_small.pth pretrain/ceit-s_in1k.pth
# A config uses it as `backbone=dict(_delete_=True, **_base_.backbone, ...)`
# and adds img_size (the pos-embed is resized to it on load) and out_indices.
custom_imports = dict(imports=['mmvit_ext'], allow_failed_imports=False)
backbone = dict(
    type='mmvit_ext.CeiT',
    arch='s',
    out_type='featmap',
    # The official model normalises the LCA head's output, not the tokens
    # (its norm converts to head.norm): the backbone has no final norm.
    final_norm=False,
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='pretrain/ceit-s_in1k.pth'))
