"""Attention variants of the plain ViT blocks, on mmpretrain's
``MultiheadAttention`` (same keys: ``qkv``, ``proj``, ``gamma1``).

- :class:`UnbindQKVAttention`: global attention, q, k and v split by one
  ``unbind``.
- :class:`WindowAttention`: ViTDet's attention over a token grid, inside
  non-overlapping windows or globally, with optional decomposed relative
  positions as an additive bias.

Both compute ``softmax(q k^T / sqrt(d) + bias) v`` through
:func:`attend`, by PyTorch's fused ``scaled_dot_product_attention``
(``'sdpa'``) or by two matmuls and a softmax (``'math'``), as their
``attn_impl`` says; ``'auto'`` picks per call (:func:`choose_attn_impl`).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.utils import MultiheadAttention

from mmvit_ext.utils.precision import cpu_bf16_kind
from .exporting import is_exporting
from .rel_pos import decomposed_rel_pos_bias
from .window import window_partition, window_unpartition

#: The values of every backbone's ``attn_impl``.
ATTN_IMPLS = ('auto', 'sdpa', 'math')


#: How this CPU computes bf16 matmuls natively (``'amx'``,
#: ``'avx512_bf16'``, or None where it emulates them), which the measured
#: rule depends on.
CPU_BF16_KIND = cpu_bf16_kind()

#: The longest sequence at which ``'auto'`` takes the explicit matmuls on a
#: CPU in bf16, by ``(CPU_BF16_KIND, training)`` (training: the queries
#: require grad). Measured by ``benchmark.py --attention``
#: (docs/benchmarks.md), 2 cores each:
#:
#: - with AMX (a Xeon), training: the matmuls' forward+backward is 1.1-5x
#:   the fused kernel's up to 677 tokens and slower from 730; inference: the
#:   fused forward is as fast or faster at every length, so never.
#: - without AMX (AVX512-BF16, an AMD EPYC): the matmuls are 1.6-4.5x the
#:   fused kernel's forward+backward and 1.4-1.9x its forward up to 1601
#:   tokens, slower at 2401.
#:
#: A CPU that emulates bf16 (AVX2 only) is not in the table: not measured,
#: it keeps the fused kernel (and ``--amp`` does not pick bf16 there).
CPU_BF16_MATH_MAX_TOKENS = {('amx', True): 640, ('amx', False): 0,
                            ('avx512_bf16', True): 1601,
                            ('avx512_bf16', False): 1601}


def _math_max_tokens():
    """The limits, or the one that ``MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS``
    sets for every case (0: never the matmuls)."""
    value = os.environ.get('MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS')
    if value is None:
        return CPU_BF16_MATH_MAX_TOKENS
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f'MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS {value!r} is '
                         'not an int (a sequence length)') from None
    # every kind of CPU, one that emulates bf16 included
    return dict.fromkeys([*CPU_BF16_MATH_MAX_TOKENS, (None, True),
                          (None, False)], limit)


_MATH_MAX_TOKENS = _math_max_tokens()


def choose_attn_impl(q, impl='auto'):
    """``'sdpa'`` or ``'math'`` for queries ``q`` (B, heads, N, d).

    ``'auto'`` takes the explicit matmuls where they were measured faster:
    on a CPU in bf16, up to ``CPU_BF16_MATH_MAX_TOKENS[CPU_BF16_KIND,
    q.requires_grad]`` tokens (with AMX: training steps up to 640 tokens;
    with AVX512-BF16: training and inference up to 1601). Everywhere else
    it keeps the fused kernel: fp32 (the matmuls gain at most 1.26x, below
    200 tokens, and lose up to 2x at long sequences), fp16 (not measured),
    a CPU that emulates bf16 (not measured), CUDA (not measured here), and
    while exporting, where the length may be symbolic.
    """
    if impl != 'auto':
        return impl
    if is_exporting() or q.device.type != 'cpu' or \
            q.dtype != torch.bfloat16:
        return 'sdpa'
    limit = _MATH_MAX_TOKENS.get((CPU_BF16_KIND, q.requires_grad), 0)
    return 'math' if q.shape[-2] <= limit else 'sdpa'


def attend(q, k, v, attn_mask=None, dropout_p=0., impl='auto'):
    """``softmax(q k^T / sqrt(d) + attn_mask) v`` of (B, heads, N, d)
    tensors, by ``impl`` (see ``ATTN_IMPLS``): the same numbers within
    the dtype's rounding, forward and backward."""
    if choose_attn_impl(q, impl) == 'sdpa':
        return F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
    attn = (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)
    if attn_mask is not None:
        attn = attn + attn_mask
    attn = attn.softmax(dim=-1)
    if dropout_p:
        attn = F.dropout(attn, p=dropout_p)
    return attn @ v


def set_attn_impl(module, impl):
    """Set ``attn_impl`` on every attention module inside ``module``
    (those with an ``attn_impl`` attribute); no weight or key changes."""
    if impl not in ATTN_IMPLS:
        raise ValueError(f'attn_impl {impl!r} is not one of '
                         f'{list(ATTN_IMPLS)}')
    for m in module.modules():
        if hasattr(type(m), 'attn_impl'):
            m.attn_impl = impl
    return module


class UnbindQKVAttention(MultiheadAttention):
    """mmpretrain's ``MultiheadAttention`` with q, k and v split by one
    ``unbind``.

    mmpretrain indexes ``qkv[0], qkv[1], qkv[2]``, for which autograd fills
    three zero tensors the size of ``qkv`` and adds them up in the backward;
    ``unbind``'s backward stacks the three gradients once (as timm does).
    Same parameters and values; the DeiT III-S training step is ~7% faster
    on a CPU. The attention itself is :func:`attend` by ``attn_impl``.
    """
    #: ``'auto'``, ``'sdpa'`` or ``'math'`` (see :func:`attend`).
    attn_impl = 'auto'

    def qkv_heads(self, x):
        """(B, N, C) tokens -> q, k and v, each (B, heads, N, head_dims)."""
        B, N, _ = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        return qkv.unbind(0)

    def forward(self, x):
        B, N, _ = x.shape
        q, k, v = self.qkv_heads(x)
        attn_drop = self.attn_drop if self.training else 0.
        x = attend(q, k, v, dropout_p=attn_drop, impl=self.attn_impl)
        x = x.transpose(1, 2).reshape(B, N, self.embed_dims)
        x = self.out_drop(self.gamma1(self.proj_drop(self.proj(x))))
        if self.v_shortcut:
            x = v.squeeze(1) + x
        return x


class WindowAttention(UnbindQKVAttention):
    """Attention over a grid of patch tokens (ViTDet, Li et al. 2022).

    With ``window_size > 0`` the (zero-padded) grid is cut into windows of
    ``window_size`` x ``window_size`` tokens that attend within themselves,
    as detectron2's and timm's ``vision_transformer_sam`` blocks do (padded
    tokens take part as keys, as there); otherwise the whole grid attends.
    With ``use_rel_pos`` the logits get decomposed relative positions
    (``rel_pos_h``, ``rel_pos_w``: one table per axis, sized for the window,
    or for ``input_size`` in a global block, and resized where the grid
    differs).

    Build it by :meth:`setup` on a built ``MultiheadAttention`` (the blocks
    swap the class, keeping its keys); ``forward`` takes the tokens and
    their grid.
    """

    def setup(self, window_size=0, input_size=None, use_rel_pos=False,
              rel_pos_zero_init=True):
        """Set the window and add the relative-position tables.

        Args:
            window_size (int): Window side in tokens; 0 attends globally.
            input_size (tuple[int, int]): The grid a global block's tables
                are made for.
            use_rel_pos (bool): Add decomposed relative positions.
            rel_pos_zero_init (bool): Start the tables at zero (ViTDet's
                default), else from a truncated normal (std 0.02).
        """
        if self.v_shortcut:
            raise ValueError('WindowAttention does not support v_shortcut')
        self.window_size = window_size
        self.use_rel_pos = use_rel_pos
        if use_rel_pos:
            h, w = (window_size, window_size) if window_size else input_size
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * h - 1,
                                                      self.head_dims))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * w - 1,
                                                      self.head_dims))
            if not rel_pos_zero_init:
                trunc_normal_(self.rel_pos_h, std=0.02)
                trunc_normal_(self.rel_pos_w, std=0.02)
        return self

    def forward(self, x, hw):
        """(B, H * W, C) patch tokens on an (H, W) grid -> (B, H * W, C)."""
        B, N, C = x.shape
        x = x.view(B, *hw, C)
        if self.window_size:
            x, padded_hw = window_partition(x, self.window_size)
        b, h, w, _ = x.shape  # b = B * windows
        q, k, v = self.qkv_heads(x.reshape(b, h * w, C))
        bias = decomposed_rel_pos_bias(
            q, self.rel_pos_h, self.rel_pos_w, (h, w), (h, w)) \
            if self.use_rel_pos else None
        x = attend(q, k, v, attn_mask=bias,
                   dropout_p=self.attn_drop if self.training else 0.,
                   impl=self.attn_impl)
        x = x.transpose(1, 2)
        if is_exporting():
            # The dynamo ONNX exporter decomposes the fused kernel into an
            # output of other strides than the traced one, under which the
            # view that reshape is recorded as fails: copy first (eager
            # copies here anyway).
            x = x.clone(memory_format=torch.contiguous_format)
        x = self.proj(x.reshape(b, h, w, C))
        if self.window_size:
            x = window_unpartition(x, self.window_size, padded_hw, hw)
        x = x.reshape(B, N, C)
        return self.out_drop(self.gamma1(self.proj_drop(x)))
