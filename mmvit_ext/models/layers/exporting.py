"""When a model is being recorded for export."""
import torch


def is_exporting():
    """True while ``torch.export`` (and the ONNX exporter built on it) or
    the legacy TorchScript-based ONNX exporter record the model.

    A shortcut taken on the recorded size ("the grid is the native one: skip
    the position-embedding resize", "nothing to pad: skip the pad") would be
    baked into the graph, which then fails at any other size. While
    exporting, the general path is always taken instead: a bicubic resize to
    the same size and a zero pad are exact identities. Plain
    ``torch.jit.trace`` (which mmengine's FLOP counter uses) keeps the eager
    path, so that it counts what eager runs.
    """
    return torch.compiler.is_exporting() or torch.onnx.is_in_onnx_export()
