"""Decomposed relative positions (MViTv2, ViTDet, SAM).

Each attention layer keeps one table per axis, ``rel_pos_h`` (2 * H - 1, d)
and ``rel_pos_w`` (2 * W - 1, d), for a query grid of H x W. A query at row
i gets ``q . rel_pos_h[i - i' + H - 1]`` added to its logit for a key at row
i', and likewise along the columns.
"""
import torch
import torch.nn.functional as F

from .exporting import is_exporting


def resize_rel_pos(rel_pos, length):
    """Linearly resize a (L, d) table to (length, d), as mmpretrain's
    ``ViTSAM`` and timm do; a table of that length is returned as is
    (except while exporting: the resize to the same length is an identity
    that keeps the grid size symbolic, see ``is_exporting()``)."""
    if not is_exporting() and rel_pos.shape[0] == length:
        return rel_pos
    # (L, d) -> (1, d, L) -> (1, d, length) -> (length, d)
    resized = F.interpolate(rel_pos.T[None].float(), size=length,
                            mode='linear')
    return resized[0].T.to(rel_pos.dtype)


def get_rel_pos(q_size, k_size, rel_pos):
    """The (q_size, k_size, d) embeddings of every query/key offset along
    one axis; a table made for another size is resized first, and the
    shorter side's coordinates are stretched to the longer."""
    rel_pos = resize_rel_pos(rel_pos, 2 * max(q_size, k_size) - 1)
    q_coords = torch.arange(q_size, dtype=torch.float32)[:, None] * max(
        k_size / q_size, 1.0)
    k_coords = torch.arange(k_size, dtype=torch.float32)[None, :] * max(
        q_size / k_size, 1.0)
    offsets = q_coords - k_coords + (k_size - 1) * max(q_size / k_size, 1.0)
    return rel_pos[offsets.long().to(rel_pos.device)]


def decomposed_rel_pos_bias(q, rel_pos_h, rel_pos_w, q_hw, k_hw):
    """The additive attention bias of decomposed relative positions.

    Args:
        q (Tensor): Queries (..., q_h * q_w, d), unscaled.
        rel_pos_h, rel_pos_w (Tensor): The tables of the two axes.
        q_hw, k_hw (tuple[int, int]): The query and key grids.

    Returns:
        Tensor: (..., q_h * q_w, k_h * k_w), to add to the logits.
    """
    (q_h, q_w), (k_h, k_w) = q_hw, k_hw
    Rh = get_rel_pos(q_h, k_h, rel_pos_h)  # (q_h, k_h, d)
    Rw = get_rel_pos(q_w, k_w, rel_pos_w)  # (q_w, k_w, d)
    r_q = q.unflatten(-2, (q_h, q_w))  # (..., q_h, q_w, d)
    # rel_h[..., y, x, k] = r_q[..., y, x, :] . Rh[y, k]: a matmul batched
    # over the rows y (an einsum would reshape the leading dims, which
    # torch.export cannot keep symbolic); rel_w likewise over the columns.
    rel_h = r_q @ Rh.transpose(-1, -2)  # (..., q_h, q_w, k_h)
    rel_w = (r_q.transpose(-3, -2) @ Rw.transpose(-1, -2)).transpose(-3, -2)
    bias = rel_h[..., :, None] + rel_w[..., None, :]  # (..., qh, qw, kh, kw)
    return bias.flatten(-4, -3).flatten(-2)
