# The student alone: the distillation recipe's model and schedule with no
# teacher. Compare with deit-tiny-p7-distilled_1xb128_fashion-mnist.py.
_base_ = [
    '../_base_/models/deit/deit-tiny-p7-dist-token_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fashion_mnist_adamw.py',
    '../_base_/default_runtime.py',
]

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
