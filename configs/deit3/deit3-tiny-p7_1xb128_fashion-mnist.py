# The `make demo` model: a 4-block, 64-wide DeiT III on 28x28 Fashion-MNIST,
# >= 88% test top-1 in under 3 minutes of training on 2 CPU cores. Batches
# come from one in-memory tensor and are flipped in the data preprocessor
# (fashion_mnist_batched.py), so the loader costs ~3% of an iteration.
_base_ = [
    '../_base_/models/deit3/deit3-tiny-p7_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist_batched.py',
    '../_base_/schedules/fashion_mnist_adamw.py',
    '../_base_/default_runtime.py',
]

# Short schedule: no stochastic depth, a higher peak lr, 8 epochs, and
# validation every other epoch.
model = dict(backbone=dict(drop_path_rate=0.0))
optim_wrapper = dict(optimizer=dict(lr=3e-3))
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
