# The ImageNet teacher of the distilled DeiT configs. DeiT used RegNetY-16GF;
# mmpretrain's RegNet has no squeeze-excitation (RegNetY) variant, so its
# closest model, RegNetX-12GF, stands in. Point ``model.teacher`` at any
# other classifier config and checkpoint to use another teacher.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch='regnetx_12gf'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2240,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
