"""Attention maps of our backbones and heads, read with forward hooks.

PyTorch's fused attention never materialises the attention matrix, so the
recorder hooks each attention module's ``qkv`` projection and forms
``softmax(q k^T / sqrt(d))`` from its output: the same matrix the fused
kernel applies, computed once more outside the model. Re-attention
(DeepViT) materialises its maps; the recorder also keeps them after the
head mixing (Θ, BatchNorm and scale), which are the maps that weigh the
values there.

Example:
    >>> with AttentionRecorder(model.backbone) as rec:
    ...     model.backbone(images)
    >>> [(m.name, m.attn.shape) for m in rec.maps]
"""
import math
from dataclasses import dataclass
from typing import List, Optional

import torch
from mmpretrain.models.utils import MultiheadAttention

from mmvit_ext.models.backbones.deepvit import ReAttention
from mmvit_ext.models.heads.lca_head import LCAAttention

ATTENTION_TYPES = (MultiheadAttention, ReAttention, LCAAttention)


@dataclass
class AttentionMap:
    """One attention module's maps for one forward.

    Attributes:
        name: the module's name in the recorded model.
        attn: ``(B, heads, queries, keys)`` softmax maps; each row sums to 1.
        mixed: for re-attention, the maps after head mixing, which weigh the
            values (rows need not sum to 1); otherwise None.
    """
    name: str
    attn: torch.Tensor
    mixed: Optional[torch.Tensor] = None

    @property
    def weighing(self):
        """Return the maps that weigh the values, ``mixed`` if any, else
        ``attn``."""
        return self.attn if self.mixed is None else self.mixed


class AttentionRecorder:
    """Record the attention maps of every attention module of ``model`` on
    each forward inside the ``with`` block, in call order (``maps``).

    Knows mmpretrain's ``MultiheadAttention`` (DeiT III, DeiT, PiT, CeiT),
    ``ReAttention`` (DeepViT, with or without re-attention) and
    ``LCAAttention`` (the LCA head, whose only query is the last
    class token). Maps are detached float32 copies on the CPU.
    """

    def __init__(self, model):
        self.modules = [(name, m) for name, m in model.named_modules()
                        if isinstance(m, ATTENTION_TYPES)]
        if not self.modules:
            raise ValueError(
                f'{type(model).__name__} has no attention module this '
                'recorder knows (' +
                ', '.join(t.__name__ for t in ATTENTION_TYPES) + ')')
        self.maps: List[AttentionMap] = []
        self._handles = []

    def __enter__(self):
        self.maps.clear()
        for name, module in self.modules:
            self._handles.append(module.qkv.register_forward_hook(
                self._qkv_hook(name, module)))
            if isinstance(module, ReAttention) and module.re_attention:
                self._handles.append(module.theta_norm.register_forward_hook(
                    self._mixed_hook(name, module)))
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _qkv_hook(self, name, module):
        last_query_only = isinstance(module, LCAAttention)

        def hook(_, inputs, qkv):
            B, N, _ = qkv.shape
            q, k, _ = qkv.detach().float().reshape(
                B, N, 3, module.num_heads, -1).permute(2, 0, 3, 1, 4)
            if last_query_only:
                q = q[:, :, -1:]
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            self.maps.append(AttentionMap(name, scores.softmax(-1).cpu()))

        return hook

    def _mixed_hook(self, name, module):

        def hook(_, inputs, output):
            record = self.maps[-1]
            assert record.name == name, 'qkv and Θ hooks out of order'
            record.mixed = (output.detach().float() *
                            module.theta_scale).cpu()

        return hook


def token_grid(num_patches, image_hw):
    """The ``(h, w)`` patch grid of ``num_patches`` tokens for an image of
    ``image_hw``: the factorisation whose aspect is closest to the image's
    (exact for square images and for the strides our backbones use)."""
    H, W = image_hw
    pairs = [(h, num_patches // h) for h in range(1, num_patches + 1)
             if num_patches % h == 0]
    return min(pairs, key=lambda p: abs(math.log(p[0] / p[1] * W / H)))


def attention_rollout(maps, residual=0.5):
    """Attention rollout (Abnar & Zuidema, 2020) over consecutive maps of
    equal size: ``prod_l (residual * I + (1 - residual) * mean_heads(A_l))``
    with rows renormalised. ``maps``: list of ``(B, h, N, N)``. Maps with
    negative entries (re-attention's mixed maps) are clipped at zero first.
    Returns ``(B, N, N)``, rows summing to 1."""
    rollout = None
    for attn in maps:
        a = attn.clamp(min=0).mean(1)
        a = residual * torch.eye(a.shape[-1]) + (1 - residual) * a
        a = a / a.sum(-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


def layer_similarity(maps):
    """DeepViT's cross-layer similarity of attention maps (Zhou et al.,
    2021, Eq. 2): for layers p and q, the cosine of column t of head h
    (how token t feeds every output token), averaged over heads, tokens and
    images. ``maps``: list of L ``(B, h, N, N)`` maps of equal shape.
    Returns the ``(L, L)`` matrix; its diagonal is 1."""
    stacked = torch.stack([m.double() for m in maps])  # (L, B, h, N, N)
    columns = stacked / stacked.norm(dim=-2, keepdim=True).clamp(min=1e-12)
    per_column = torch.einsum('pbhit,qbhit->pqbht', columns, columns)
    return per_column.flatten(2).mean(-1)
