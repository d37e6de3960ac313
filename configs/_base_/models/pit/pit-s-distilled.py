# PiT-S distilled: a distillation token trained by a teacher (hard
# distillation, alpha 0.5, as DeiT), and timm's ``head`` / ``head_dist``.
# Provide the teacher checkpoint with
# --cfg-options model.teacher.checkpoint=PATH, or model.teacher=None to
# evaluate a distilled checkpoint alone.
_base_ = ['./pit-s.py']

model = dict(
    type='mmvit_ext.DistillationClassifier',
    teacher=dict(
        config='{{fileDirname}}/../teachers/regnety-160_in1k.py',
        checkpoint='checkpoints/regnety_160-a5fe301d.pth'),
    backbone=dict(with_dist_token=True),
    head=dict(
        type='mmvit_ext.DistillationClsHead',
        distill_cfg=dict(type='hard', alpha=0.5)))
