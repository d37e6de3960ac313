# The demo config, augmentation and stochastic depth included, on 640
# training and 500 test images: for the resume and crash tests.
_base_ = ['../../configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py']

train_dataloader = dict(dataset=dict(dataset=dict(indices=640)))
val_dataloader = dict(dataset=dict(indices=500))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(max_keep_ckpts=-1))
train_cfg = dict(val_interval=1)
