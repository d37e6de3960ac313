from .attention_regularized import AttentionRegClassifier
from .distillation import DistillationClassifier

__all__ = ['AttentionRegClassifier', 'DistillationClassifier']
