from .distillation_head import DistillationClsHead
from .lca_head import LCAClsHead

__all__ = ['DistillationClsHead', 'LCAClsHead']
