from .lca_head import LCAClsHead

__all__ = ['LCAClsHead']
