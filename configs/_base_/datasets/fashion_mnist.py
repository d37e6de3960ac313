# Fashion-MNIST (60k train / 10k test, 28x28 grey, 10 classes), read from the
# unpacked IDX files that ``tools/prepare_data.py`` puts under ``data_root``.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion-mnist'

data_preprocessor = dict(
    # mmpretrain's ClsDataPreprocessor, which also turns colour images
    # (mmpretrain's inferencer reads files in colour) grey for this 1-channel
    # model
    type='mmvit_ext.GreyClsDataPreprocessor',
    num_classes=10,
    # Mean and std of the training images, in 0..255.
    mean=[72.94],
    std=[90.02],
    to_rgb=False,
)

# Only horizontal flips: in short CPU schedules, random crops cost more
# accuracy than they win back.
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# The resize is a no-op on the dataset's 28x28 arrays; it lets image files
# of any size be predicted (tools/infer.py reads them as grey images).
test_pipeline = [dict(type='Resize', scale=(28, 28)), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=0,  # in-memory arrays: workers only cost CPU here
    persistent_workers=False,  # mmpretrain's tools/train.py defaults True
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        test_mode=False,
        download=False,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=500,
    num_workers=0,  # in-memory arrays: workers only cost CPU here
    persistent_workers=False,  # mmpretrain's tools/train.py defaults True
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
