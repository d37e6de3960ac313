"""Activation checkpointing of one block (``with_cp``)."""
import contextlib

import torch
import torch.nn as nn
import torch.utils.checkpoint


@contextlib.contextmanager
def _norm_stats_kept(module):
    """Restore the running statistics of every BatchNorm in ``module`` on
    exit, so that the forward recomputed by activation checkpointing does
    not update them a second time."""
    norms = [m for m in module.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)
             and m.track_running_stats]
    saved = [[b.clone() for b in (m.running_mean, m.running_var,
                                  m.num_batches_tracked)] for m in norms]
    try:
        yield
    finally:
        for m, (mean, var, count) in zip(norms, saved):
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(count)


def run_block(block, *args, with_cp=False):
    """``block(*args)``, under activation checkpointing with ``with_cp``
    while gradients are recorded: the block's activations are freed after
    the forward and recomputed in the backward. The recompute draws the same
    random numbers (dropout, drop path) and leaves BatchNorm statistics as
    the forward left them, so gradients and buffers equal those without
    checkpointing."""
    if not (with_cp and torch.is_grad_enabled() and block.training):
        return block(*args)
    return torch.utils.checkpoint.checkpoint(
        block, *args, use_reentrant=False,
        context_fn=lambda: (contextlib.nullcontext(),
                            _norm_stats_kept(block)))
