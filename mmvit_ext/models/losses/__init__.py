from .attention_cosine import AttentionCosineLoss
from .binary_cross_entropy import ThresholdedBCELoss

__all__ = ['AttentionCosineLoss', 'ThresholdedBCELoss']
