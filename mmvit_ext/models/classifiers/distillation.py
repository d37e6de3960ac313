import importlib.util
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmpretrain.models import ImageClassifier

from mmvit_ext.registry import MODELS


def teacher_num_classes(model_cfg):
    """The classes a classifier config predicts: its head's, or a
    ``TimmClassifier``'s own ``num_classes``."""
    head = model_cfg.get('head') or {}
    return head.get('num_classes', model_cfg.get('num_classes'))


def teacher_state_dict(checkpoint):
    """The weights of a teacher checkpoint: mmengine's ``state_dict``, or the
    ``model`` entry of a DeiT/timm training checkpoint (the official
    ``regnety_160-a5fe301d.pth``), or the file itself if it is a bare state
    dict."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def build_teacher(config, checkpoint, num_classes):
    """Build a frozen teacher from a config file and its checkpoint, strictly
    loaded (mmengine's, DeiT's or timm's layout).

    Raises:
        FileNotFoundError: The config or the checkpoint does not exist.
        ValueError: The teacher predicts another number of classes.
        ImportError: The teacher is a ``TimmClassifier`` and timm is not
            installed.
    """
    from mmpretrain.apis import get_model

    from mmvit_ext.engine import load_checkpoint_file
    for what, path in (('config', config), ('checkpoint', checkpoint)):
        if not path or not osp.isfile(path):
            raise FileNotFoundError(
                f'teacher {what} {path!r} does not exist: training a '
                f'distilled model needs its teacher. Set '
                f'model.teacher.{what}, or model.teacher=None to train the '
                "student alone (with head.distill_cfg=dict(type='none'))")
    model_cfg = Config.fromfile(config).model
    teacher_classes = teacher_num_classes(model_cfg)
    if teacher_classes != num_classes:
        raise ValueError(f'the teacher ({config}) predicts {teacher_classes} '
                         f'classes but the student {num_classes}')
    if model_cfg.type.split('.')[-1] == 'TimmClassifier' and \
            importlib.util.find_spec('timm') is None:
        raise ImportError(
            f'the teacher {config} is a timm model and timm is not '
            "installed: pip install 'mmvit_ext[teacher]'")
    teacher = get_model(config)
    state_dict = teacher_state_dict(
        load_checkpoint_file(checkpoint, map_location='cpu'))
    # strict: missing or unexpected keys raise.
    _load_checkpoint_to_model(teacher, {'state_dict': state_dict},
                              strict=True,
                              logger=MMLogger.get_current_instance())
    teacher.eval()
    for param in teacher.parameters():
        param.requires_grad = False
    return teacher


@MODELS.register_module()
class DistillationClassifier(ImageClassifier):
    """An ``ImageClassifier`` trained by a teacher through its dist token.

    The teacher (any mmpretrain or mmvit_ext classifier config and its
    checkpoint) is built and loaded (safely) when training starts, at the
    first ``loss`` call: building, testing and inference need no teacher, so
    a converted distilled checkpoint is usable without one, and a missing
    teacher is a clear error as soon as training begins. It is
    kept out of the student: it has no gradients, is not a submodule, so it
    is neither in the optimizer nor in the saved checkpoints, and it stays
    in eval mode. In training its logits, computed under ``no_grad`` on the
    same (augmented) batch as the student's, go to the head's distillation
    loss, :class:`~mmvit_ext.models.DistillationClsHead`. The teacher sees
    the student's preprocessed inputs, so it must expect the same
    normalisation and a compatible input size.

    Args:
        teacher (dict, optional): ``config`` and ``checkpoint`` paths of the
            teacher, needed only to train. None trains the student alone
            (``distill_cfg=dict(type='none')``).
        **kwargs: ``backbone``, ``neck``, ``head``, ``train_cfg``,
            ``data_preprocessor``, ``init_cfg`` of ``ImageClassifier``.
    """

    def __init__(self, teacher=None, **kwargs):
        super().__init__(**kwargs)
        if teacher is not None:
            unknown = set(teacher) - {'config', 'checkpoint'}
            if unknown:
                raise ValueError(f'teacher has unknown keys {sorted(unknown)};'
                                 ' allowed: config, checkpoint')
        self.teacher_cfg = teacher
        self._teacher = None

    @property
    def teacher(self):
        """The frozen teacher, built on first use (None without one)."""
        if self._teacher is None and self.teacher_cfg is not None:
            # Not a submodule: no parameters, state_dict entries or DDP.
            object.__setattr__(
                self, '_teacher',
                build_teacher(self.teacher_cfg.get('config'),
                              self.teacher_cfg.get('checkpoint'),
                              self.head.num_classes))
        return self._teacher

    @torch.no_grad()
    def teacher_logits(self, inputs):
        """The teacher's logits on ``inputs`` (no gradient, eval mode)."""
        self.teacher.to(inputs.device).eval()
        return self.teacher(inputs, mode='tensor')

    def loss(self, inputs, data_samples):
        feats = self.extract_feat(inputs)
        if self.teacher is None:
            return self.head.loss(feats, data_samples)
        return self.head.loss(
            feats, data_samples, teacher_logits=self.teacher_logits(inputs))
