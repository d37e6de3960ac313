"""Check, before the first iteration, that a detector's or segmentor's heads
have the classes of their data."""
import torch.nn as nn

from mmvit_ext.registry import HOOKS
from .classifier_check_hook import (ClassifierCheckHook, dataset_num_classes,
                               describe_split)
from ..utils import bare_model

#: (attribute path, config key) of the heads that classify, in mmdet
#: (two-stage and one-stage) and mmseg models.
CLASS_HEADS = (
    ('roi_head.bbox_head', 'model.roi_head.bbox_head.num_classes'),
    ('roi_head.mask_head', 'model.roi_head.mask_head.num_classes'),
    ('bbox_head', 'model.bbox_head.num_classes'),
    ('decode_head', 'model.decode_head.num_classes'),
    ('auxiliary_head', 'model.auxiliary_head.num_classes'),
)


def class_heads(model):
    """``(config key, num_classes)`` of each head of ``model`` that
    classifies. A cascade's stages and a list of auxiliary heads count one
    by one."""
    found = []
    for path, key in CLASS_HEADS:
        head = model
        for name in path.split('.'):
            head = getattr(head, name, None)
        if head is None:
            continue
        heads = list(head) if isinstance(
            head, (list, tuple, nn.ModuleList)) else [head]
        for i, h in enumerate(heads):
            num = getattr(h, 'num_classes', None)
            if num is not None:
                found.append((key if len(heads) == 1 else
                              key.replace('.num_classes',
                                          f'[{i}].num_classes'), num))
    return found


@HOOKS.register_module()
class DenseClassCheckHook(ClassifierCheckHook):
    """Refuse, before the first iteration of training, validation or test, a
    detector or segmentor whose heads do not have the dataset's classes.

    mmdet trains a ``num_classes=2`` head on a 3-class set without a word
    (labels of the third class are taken as background), and a head with
    more classes than the data predicts labels the metric cannot name. Each
    head (``roi_head.bbox_head``, ``roi_head.mask_head``, ``bbox_head``,
    ``decode_head``, ``auxiliary_head``) must have exactly
    ``len(dataset.metainfo['classes'])`` classes; the error names the key
    to set. The hook points (before training, validation and test) are
    :class:`ClassifierCheckHook`'s.
    """

    def _check(self, runner, dataset, split):
        if split in self._checked:
            return
        self._checked.add(split)
        data_classes = dataset_num_classes(dataset)
        if data_classes is None:
            return
        wrong = [(key, num) for key, num in class_heads(bare_model(runner))
                 if num != data_classes]
        if wrong:
            where = describe_split(dataset, split)
            heads = ', '.join(f'{key}={num}' for key, num in wrong)
            raise ValueError(
                f'{where} has {data_classes} classes, but the model has '
                f'{heads}: set each to {data_classes} (or change the '
                "dataset's metainfo classes)")
