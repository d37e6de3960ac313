# The ImageNet teacher of the distilled DeiT and PiT configs: RegNetY-16GF,
# DeiT's teacher (README_deit.md, --teacher-model regnety_160), built by timm
# (pip install 'mmvit_ext[teacher]') through mmpretrain's TimmClassifier with
# DeiT's global_pool='avg'. It loads the official file
# (https://dl.fbaipublicfiles.com/deit/regnety_160-a5fe301d.pth, a DeiT
# training checkpoint with the weights under "model") as it is. Point
# ``model.teacher`` at any other classifier config and checkpoint to use
# another teacher.
model = dict(
    type='TimmClassifier',
    model_name='regnety_160',
    num_classes=1000,
    global_pool='avg',
    pretrained=False)
