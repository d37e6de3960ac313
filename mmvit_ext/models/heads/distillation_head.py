import torch
import torch.nn.functional as F
from mmpretrain.models.heads import DeiTClsHead

from mmvit_ext.models.utils import check_choice
from mmvit_ext.registry import MODELS


@MODELS.register_module()
class DistillationClsHead(DeiTClsHead):
    """Class and distillation heads of a dist-token model, trainable.

    ``head`` classifies the class token and ``head_dist`` the distillation
    token (``layers.head`` / ``layers.head_dist``, the key names of
    mmpretrain's ``DeiTClsHead``, which can only do inference).

    At inference ``logits_type`` picks the logits: ``'classification'``
    (cls), ``'distillation'`` (dist) or ``'fusion'`` (their average, as DeiT
    and timm).

    In training, with ``alpha`` = α, the loss is
    ``(1 - α) · L(cls, y) + α · L_dist`` where ``L`` is ``loss`` (soft
    targets from Mixup/CutMix work) and ``L_dist`` is what ``distill_cfg``
    names:

    - ``'hard'``: ``CE(dist, argmax(teacher))``, DeiT's hard distillation.
    - ``'soft'``: ``KL(softmax(teacher/τ) || softmax(dist/τ)) · τ²``, summed
      and divided by the number of logits, as the DeiT code does.
    - ``'none'``: no teacher; ``L(dist, y)``, the dist head learns the
      labels too.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the tokens.
        logits_type (str): ``'classification'``, ``'distillation'`` or
            ``'fusion'``. Defaults to ``'fusion'``.
        distill_cfg (dict): ``type`` (``'hard'``, ``'soft'`` or
            ``'none'``), ``alpha`` (default 0.5) and ``tau`` (default 1.0,
            soft only). Defaults to ``dict(type='hard')``.
        **kwargs: ``loss``, ``hidden_dim``, ``topk``, ``init_cfg`` ... of
            mmpretrain's ``VisionTransformerClsHead``.
    """
    LOGITS_TYPES = {'classification', 'distillation', 'fusion'}
    DISTILL_TYPES = {'hard', 'soft', 'none'}

    def __init__(self,
                 num_classes,
                 in_channels,
                 logits_type='fusion',
                 distill_cfg=dict(type='hard'),
                 **kwargs):
        kwargs.setdefault('cal_acc', False)
        super().__init__(num_classes, in_channels, **kwargs)
        check_choice('logits_type', logits_type, self.LOGITS_TYPES)
        distill_cfg = dict(distill_cfg)
        self.distill_type = distill_cfg.pop('type', 'hard')
        check_choice('distill_cfg type', self.distill_type,
                     self.DISTILL_TYPES)
        self.alpha = float(distill_cfg.pop('alpha', 0.5))
        self.tau = float(distill_cfg.pop('tau', 1.0))
        if distill_cfg:
            raise ValueError(f'distill_cfg has unknown keys '
                             f'{sorted(distill_cfg)}; allowed: type, '
                             'alpha, tau')
        if not 0 <= self.alpha <= 1:
            raise ValueError(f'distill_cfg alpha {self.alpha} is not in '
                             '[0, 1]')
        self.logits_type = logits_type

    @property
    def needs_teacher(self):
        return self.distill_type != 'none'

    def dual_logits(self, feats):
        """``(cls_logits, dist_logits)``."""
        cls_token, dist_token = self.pre_logits(feats)
        return self.layers.head(cls_token), self.layers.head_dist(dist_token)

    def forward(self, feats):
        cls_logits, dist_logits = self.dual_logits(feats)
        if self.logits_type == 'classification':
            return cls_logits
        if self.logits_type == 'distillation':
            return dist_logits
        return (cls_logits + dist_logits) / 2

    def distill_loss(self, dist_logits, teacher_logits):
        """The distillation term ``L_dist`` for ``'hard'`` or ``'soft'``."""
        if self.distill_type == 'hard':
            return F.cross_entropy(dist_logits, teacher_logits.argmax(dim=1))
        tau = self.tau
        return F.kl_div(
            F.log_softmax(dist_logits / tau, dim=1),
            F.log_softmax(teacher_logits / tau, dim=1),
            reduction='sum',
            log_target=True) * tau * tau / dist_logits.numel()

    def loss(self, feats, data_samples, teacher_logits=None, **kwargs):
        """``loss_cls`` (weighted 1 - α) and ``loss_dist`` (weighted α)."""
        if self.needs_teacher and teacher_logits is None:
            raise ValueError(
                f"distill_cfg type '{self.distill_type}' needs teacher "
                'logits: train with DistillationClassifier and a teacher, '
                "or use distill_cfg=dict(type='none')")
        cls_logits, dist_logits = self.dual_logits(feats)
        losses = self._get_loss(cls_logits, data_samples, **kwargs)
        loss_cls = losses.pop('loss')
        if self.needs_teacher:
            loss_dist = self.distill_loss(dist_logits, teacher_logits)
        else:
            loss_dist = self._get_loss(dist_logits, data_samples,
                                       **kwargs)['loss']
        losses['loss_cls'] = (1 - self.alpha) * loss_cls
        losses['loss_dist'] = self.alpha * loss_dist
        return losses
