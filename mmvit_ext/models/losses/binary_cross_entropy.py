"""DeiT III's loss: binary cross-entropy on thresholded mixed targets."""
import torch.nn as nn
import torch.nn.functional as F

from mmvit_ext.registry import MODELS


@MODELS.register_module()
class ThresholdedBCELoss(nn.Module):
    """Binary cross-entropy with the targets thresholded to 0/1 (DeiT III).

    DeiT III (Touvron et al. 2022, Sec. 3) trains with
    ``BCEWithLogitsLoss`` on the Mixup/CutMix targets after
    ``targets.gt(0.0)``: every class that takes part in the mix is a
    positive, whatever its share (``engine.py`` of facebookresearch/deit).
    timm's ``BinaryCrossEntropy(smoothing=0., target_threshold=0.)`` is the
    same loss. mmpretrain's ``CrossEntropyLoss(use_sigmoid=True)`` keeps
    the soft scores instead.

    The loss is the mean over the batch *and* the classes, as
    ``BCEWithLogitsLoss`` computes it; the head's ``avg_factor`` (the batch
    size) is therefore not used.

    Args:
        target_threshold (float, optional): A target above it becomes 1,
            any other 0. None keeps the targets as they are. Defaults to 0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, target_threshold=0., loss_weight=1.0):
        super().__init__()
        self.target_threshold = target_threshold
        self.loss_weight = loss_weight

    def forward(self, cls_score, label, weight=None, avg_factor=None,
                **kwargs):
        """(B, C) logits and (B,) class indices or (B, C) scores -> loss."""
        if label.ndim == 1:  # hard labels, no batch augmentation
            label = F.one_hot(label, cls_score.shape[-1])
        elif label.shape != cls_score.shape:
            raise ValueError(f'targets of shape {tuple(label.shape)} do not '
                             f'fit scores of shape {tuple(cls_score.shape)}')
        label = label.to(cls_score.dtype)
        if self.target_threshold is not None:
            label = label.gt(self.target_threshold).to(cls_score.dtype)
        loss = F.binary_cross_entropy_with_logits(
            cls_score, label, reduction='none')
        if weight is not None:  # per-sample weights
            loss = loss * weight.reshape(-1, 1)
        return self.loss_weight * loss.mean()
