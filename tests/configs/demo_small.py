# The demo config on a deterministic subset, for the tool tests: 5 iterations
# of 128 images per epoch, no random augmentation or stochastic depth, and
# 500 test images.
_base_ = ['../../configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py']

model = dict(backbone=dict(drop_path_rate=0.0))
data_preprocessor = dict(batch_augments=None)  # no flips
train_dataloader = dict(dataset=dict(dataset=dict(indices=640)))
val_dataloader = dict(dataset=dict(indices=500))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1))
train_cfg = dict(val_interval=1)
