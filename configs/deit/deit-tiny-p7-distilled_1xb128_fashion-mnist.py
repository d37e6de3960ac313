# Fashion-MNIST distillation, end to end on a CPU:
#   1. python tools/train.py configs/teachers/resnet-tiny_1xb128_fashion-mnist.py
#   2. python tools/train.py THIS_CONFIG
#   3. python tools/test.py THIS_CONFIG work_dirs/<this config>/epoch_6.pth \
#        --cfg-options model.head.logits_type=classification
#      (and distillation, fusion)
_base_ = ['./deit-tiny-p7-dist-token_1xb128_fashion-mnist.py']

model = dict(
    teacher=dict(
        _delete_=True,
        config='{{fileDirname}}/../teachers/'
        'resnet-tiny_1xb128_fashion-mnist.py',
        checkpoint='work_dirs/resnet-tiny_1xb128_fashion-mnist/epoch_4.pth'),
    head=dict(distill_cfg=dict(type='hard', alpha=0.5)))
