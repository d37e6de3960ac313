"""DeepViT-32B's regulariser on the similarity of its attention maps."""
import torch.nn as nn
import torch.nn.functional as F

from mmvit_ext.registry import MODELS


@MODELS.register_module()
class AttentionCosineLoss(nn.Module):
    """Penalise attention maps that stay alike from block to block.

    DeepViT's 32B recipe (``loss/cross_entropy.py`` of zhoudaquan/dvit_repo,
    ``cos_reg_component: 12``) adds to its cross-entropy the cosine
    similarity, over the heads, of the attention maps of consecutive blocks
    ``i`` and ``i + 1`` for the first ``num_pairs`` blocks, averaged over
    batch and positions and divided by ``num_pairs``:
    ``loss_weight * sum_i cos(A_i, A_i+1).mean() / num_pairs``. The maps are
    the ones that weigh the values (after re-attention).

    Args:
        num_pairs (int): Consecutive pairs of blocks, from the first.
            Defaults to 12.
        loss_weight (float): Weight of the term. Defaults to 0.1.
    """

    def __init__(self, num_pairs=12, loss_weight=0.1):
        super().__init__()
        if num_pairs < 1:
            raise ValueError(f'num_pairs must be >= 1, got {num_pairs}')
        self.num_pairs = num_pairs
        self.loss_weight = loss_weight

    @property
    def num_maps(self):
        """How many blocks' maps the loss reads (the first ones)."""
        return self.num_pairs + 1

    def forward(self, attn_maps):
        """A list of (B, heads, N, N) maps, first block first -> loss."""
        if len(attn_maps) < self.num_maps:
            raise ValueError(f'{self.num_pairs} pairs need {self.num_maps} '
                             f'attention maps, got {len(attn_maps)}')
        cos = sum(
            F.cosine_similarity(attn_maps[i], attn_maps[i + 1], dim=1)
            for i in range(self.num_pairs))  # (B, N, N)
        return self.loss_weight * cos.mean() / self.num_pairs
