_base_ = [
    '../_base_/models/pit/pit-tiny-p6_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fashion_mnist_adamw.py',
    '../_base_/default_runtime.py',
]
