from .distillation import DistillationClassifier

__all__ = ['DistillationClassifier']
