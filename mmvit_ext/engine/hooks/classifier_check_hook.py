"""Check, before the first iteration, that a classifier fits its data."""
import logging

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from torch.distributed.fsdp import FullyShardedDataParallel

from mmvit_ext.registry import HOOKS
from ..utils import bare_model


def dataset_num_classes(dataset):
    """The number of classes of ``dataset``: its class names, else the
    largest label + 1, else None when it says neither."""
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    if classes:
        return len(classes)
    if hasattr(dataset, 'get_gt_labels'):
        labels = dataset.get_gt_labels()
        return int(max(labels)) + 1 if len(labels) else None
    return None


def describe_split(dataset, split):
    """``the training set (CocoDataset at data/x/)``, for messages."""
    root = getattr(dataset, 'data_root', '')
    return (f'the {split} set ({type(dataset).__name__}'
            + (f' at {root}' if root else '') + ')')


def feature_channels(model):
    """The channels the head receives: run ``extract_feat`` on one zero
    image of the backbone's ``img_size`` (eval mode, no gradient, no random
    numbers drawn, BatchNorm statistics untouched). None when the backbone
    does not say its input size and channels."""
    backbone = model.backbone
    size, channels = (getattr(backbone, 'img_size', None),
                      getattr(backbone, 'in_channels', None))
    if size is None or channels is None:
        return None
    param = next(model.parameters())
    x = torch.zeros(1, channels, *size, device=param.device, dtype=param.dtype)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            feat = model.extract_feat(x)
    finally:
        model.train(was_training)
    feat = feat[-1] if isinstance(feat, (tuple, list)) else feat
    if isinstance(feat, (tuple, list)):  # (class token, dist token)
        feat = feat[0]
    return feat.shape[1]


@HOOKS.register_module()
class ClassifierCheckHook(Hook):
    """Refuse, before the first iteration of training, validation or test,
    a classifier that cannot work on its data:

    - a head whose ``in_channels`` differs from what the backbone (and neck)
      give, which otherwise fails inside the first step with ``mat1 and mat2
      shapes cannot be multiplied``;
    - a head with fewer classes than the dataset, which otherwise fails in
      the loss with ``Class Index must be less than number of classes``, or
      not at all in evaluation.

    A head with *more* classes than the dataset is allowed (a warning):
    evaluating an ImageNet model on a subset is legitimate.

    mmpretrain's ``ClassNumCheckHook`` asserts ``num_classes ==
    len(classes)`` for every module with a ``num_classes`` (the data
    preprocessor and the teacher too) and checks no channels; this hook
    replaces it. Under FSDP the channels are not checked: the weights are
    shards outside the model's own forward.
    """
    priority = 'VERY_HIGH'

    def __init__(self):
        self._checked = set()

    def before_train(self, runner):
        self._check(runner, runner.train_dataloader.dataset, 'training')

    def before_val(self, runner):
        self._check(runner, runner.val_dataloader.dataset, 'validation')

    def before_test(self, runner):
        self._check(runner, runner.test_dataloader.dataset, 'test')

    def _check(self, runner, dataset, split):
        model = bare_model(runner)
        head = getattr(model, 'head', None)
        if head is None or not hasattr(model, 'extract_feat'):
            return
        name = type(head).__name__
        # An FSDP model's weights are shards outside its own forward: its
        # first step checks the channels.
        sharded = isinstance(runner.model, FullyShardedDataParallel)
        if 'channels' not in self._checked and not sharded:
            self._checked.add('channels')
            expected = getattr(head, 'in_channels', None)
            given = feature_channels(model) if expected is not None else None
            if given is not None and given != expected:
                source = 'backbone and neck give' if model.with_neck else \
                    'backbone gives'
                raise ValueError(
                    f'The head ({name}) has in_channels={expected}, but the '
                    f'{source} {given} channels: set '
                    f'model.head.in_channels={given}')
        if split in self._checked:
            return
        self._checked.add(split)
        num_classes = getattr(head, 'num_classes', None)
        data_classes = dataset_num_classes(dataset)
        if num_classes is None or data_classes is None:
            return
        where = describe_split(dataset, split)
        if num_classes < data_classes:
            raise ValueError(
                f'The head ({name}) has num_classes={num_classes}, but '
                f'{where} has {data_classes} classes: set '
                f'model.head.num_classes={data_classes} (and '
                'data_preprocessor.num_classes with Mixup/CutMix)')
        if num_classes > data_classes:
            print_log(
                f'The head ({name}) has num_classes={num_classes} and '
                f'{where} has {data_classes} classes: classes '
                f'{data_classes}..{num_classes - 1} never occur in it.',
                logger='current', level=logging.WARNING)
