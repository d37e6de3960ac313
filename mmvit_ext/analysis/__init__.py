"""FLOPs that include attention, and what the measuring tools share.

mmengine's ``FlopAnalyzer`` (fvcore's counter) has no handle for
``aten::scaled_dot_product_attention``, so a model that attends through
PyTorch's SDPA is under-counted by exactly its attention matmuls (DeiT III-S:
4.25G instead of the paper's 4.6G). :func:`flop_analyzer` adds that handle.
Like mmengine, one multiply-add counts as one FLOP.
"""
from math import prod

from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape


def drop_teacher(cfg):
    """A distilled config's student alone: ``model.teacher`` set to None
    (measuring, drawing or exporting a model needs no teacher)."""
    if cfg.model.get('teacher'):
        cfg.model.teacher = None
    return cfg


def input_shape(backbone, shape=None):
    """``(in_channels, H, W)`` of a backbone config: ``shape`` (``[H]`` or
    ``[H, W]``) if given, else its ``img_size`` (default 224)."""
    if shape:
        h, w = (list(shape) * 2)[:2]
    else:
        size = backbone.get('img_size', 224)
        h, w = (size, size) if isinstance(size, int) else size
    return backbone.get('in_channels', 3), h, w


def sdpa_flop_jit(inputs, outputs):
    """``softmax(q k^T) v``: ``q`` (..., L, E), ``k`` (..., S, E), ``v``
    (..., S, Ev) cost ``prod(...) * L * S * (E + Ev)`` multiply-adds."""
    q, k, v = (get_shape(x) for x in inputs[:3])
    return prod(q[:-1]) * k[-2] * (q[-1] + v[-1])


def flop_analyzer(model, inputs):
    """mmengine's ``FlopAnalyzer`` for ``model`` on ``inputs`` (a tuple),
    counting scaled-dot-product attention too, with its warnings about
    uncounted element-wise ops and unused modules silenced."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle('aten::scaled_dot_product_attention',
                           sdpa_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer
