"""ViTDet's blocks on a plain ViT: the option checks, the block choice and
the checkpoint fitting (Li et al., `Exploring Plain Vision Transformer
Backbones for Object Detection <https://arxiv.org/abs/2203.16527>`_).

:class:`ViTDetMixin` gives a backbone ``window_size``,
``window_block_indexes``/``global_attn_indexes``, ``use_rel_pos`` and
``rel_pos_zero_init``, as detectron2, mmdet and timm name them; DeiT3 and
DeiT take it. Backbones whose blocks cannot take them call
:func:`refuse_vitdet`.
"""
from mmengine.logging import MMLogger

from mmvit_ext.engine.checkpoint.loading import _listed
from ..utils import normalize_indices
from .block import TransformerEncoderLayer, WindowedEncoderLayer
from .checkpointing import run_block
from .rel_pos import resize_rel_pos


def refuse_vitdet(name, why, **options):
    """Raise ``ValueError`` if any of ViTDet's options (``window_size``,
    ``use_rel_pos``, ...) is set on a backbone whose blocks cannot take
    it, saying ``why``."""
    given = {k: v for k, v in options.items() if v not in (None, 0, False)}
    if given:
        raise ValueError(
            f"{name} does not support ViTDet's {given}: {why}. Window "
            'attention and relative positions are options of DeiT3 and DeiT')


class ViTDetMixin:
    """ViTDet's options on a plain ViT backbone (``VisionTransformerBase``).

    The backbone calls :meth:`_init_vitdet` before its tokens and builds
    block ``i`` with :meth:`_vitdet_block`. Without ViTDet's options the
    blocks, keys and outputs are the plain ViT's.
    """
    #: Whether the blocks are ViTDet's (:meth:`_init_vitdet`).
    vitdet = False

    def _init_vitdet(self, window_size, window_block_indexes,
                     global_attn_indexes, use_rel_pos, with_cls_token,
                     with_dist_token, out_type):
        """Check ViTDet's options and set ``self.window_sizes`` (one per
        block, 0 for a global one) and ``self.vitdet``.

        ViTDet's blocks (``window_size > 0`` or ``use_rel_pos``) see a grid
        of patch tokens and nothing else: the backbone has no class or
        distillation token, so its outputs are dense (``featmap``,
        ``avg_featmap`` or ``raw``). A classification checkpoint's tokens
        (and DeiT's position-embedding slots for them) are dropped on load.

        Returns:
            bool: ``with_cls_token`` resolved (None means True without
            ViTDet's blocks, False with them).
        """
        name = type(self).__name__
        if not isinstance(window_size, int) or isinstance(window_size, bool) \
                or window_size < 0:
            raise ValueError(f'{name} window_size {window_size!r} is '
                             'invalid: it must be an int >= 0 (0 attends '
                             'globally in every block)')
        if window_block_indexes is not None and \
                global_attn_indexes is not None:
            raise ValueError(
                f'{name} got both window_block_indexes '
                f'{window_block_indexes!r} (detectron2/mmdet: the windowed '
                f'blocks) and global_attn_indexes {global_attn_indexes!r} '
                '(timm/SAM: the global blocks); give one of them')
        indexes = global_attn_indexes if window_block_indexes is None \
            else window_block_indexes
        if indexes is not None and not window_size:
            raise ValueError(
                f'{name} window_block_indexes/global_attn_indexes '
                f'{indexes!r} need window_size > 0 (it is 0)')
        blocks = range(self.num_layers)
        if window_block_indexes is not None:
            windowed = self._block_indexes(window_block_indexes,
                                           'window_block_indexes')
        elif global_attn_indexes is not None:
            windowed = set(blocks) - self._block_indexes(
                global_attn_indexes, 'global_attn_indexes')
        else:
            windowed = set(blocks)
        self.window_sizes = [window_size if i in windowed else 0
                             for i in blocks]
        self.vitdet = bool(window_size or use_rel_pos)
        if not self.vitdet:
            return True if with_cls_token is None else with_cls_token
        options = f'window_size={window_size}, use_rel_pos={use_rel_pos}'
        if with_cls_token or with_dist_token:
            raise ValueError(
                f'{name} with {options} has no class or distillation token '
                '(ViTDet attends over the patch grid only): leave '
                'with_cls_token unset and with_dist_token False')
        if out_type == 'cls_token':
            raise ValueError(
                f"{name} with {options} has no class token, so out_type "
                "'cls_token' cannot be given: use 'featmap', 'avg_featmap' "
                "or 'raw'")
        return False

    def _block_indexes(self, indexes, name):
        """A set of block indexes (negatives count from the end; an empty
        sequence is allowed)."""
        if isinstance(indexes, (list, tuple)) and not indexes:
            return set()
        return set(normalize_indices(indexes, self.num_layers, name))

    def _vitdet_block(self, i, use_rel_pos, rel_pos_zero_init, **cfg):
        """Block ``i``: ViTDet's (windowed or global, with its tables) if
        the backbone has ViTDet's blocks, else the plain one."""
        if not self.vitdet:
            return TransformerEncoderLayer(**cfg)
        return WindowedEncoderLayer(
            window_size=self.window_sizes[i],
            input_size=self.patch_resolution,
            use_rel_pos=use_rel_pos,
            rel_pos_zero_init=rel_pos_zero_init,
            **cfg)

    def forward_layer(self, layer, x, hw):
        """ViTDet's blocks take the patch grid."""
        if self.vitdet:
            return run_block(layer, x, hw, with_cp=self.with_cp)
        return super().forward_layer(layer, x, hw)

    def _adapt_checkpoint(self, state_dict, prefix, *args, **kwargs):
        super()._adapt_checkpoint(state_dict, prefix)
        if self.vitdet:
            self._adapt_to_vitdet(state_dict, prefix)

    def _adapt_to_vitdet(self, state_dict, prefix):
        """Fit a checkpoint to ViTDet's blocks, in one info line.

        - A classification checkpoint's class and distillation tokens are
          dropped, with their slots of a DeiT position embedding.
        - Relative-position tables it lacks start at this model's init
          (zeros by default); tables made for another window or grid are
          resized linearly, as mmpretrain's ``ViTSAM`` does.

        Every other key is left to the strict check.
        """
        notes = []
        dropped = [n for n in ('cls_token', 'dist_token')
                   if prefix + n in state_dict]
        for n in dropped:
            del state_dict[prefix + n]
        pos_name = prefix + 'pos_embed'
        if dropped and self.pos_embed_with_extra_tokens and \
                pos_name in state_dict:
            state_dict[pos_name] = state_dict[pos_name][:, len(dropped):]
            notes.append(f'drop its {" and ".join(dropped)} and their '
                         'position-embedding slots (ViTDet has none)')
        elif dropped:
            notes.append(f'drop its {" and ".join(dropped)} (ViTDet has '
                         'none)')
        added, resized = [], []
        for name, param in self.named_parameters():
            if name.rsplit('.', 1)[-1] not in ('rel_pos_h', 'rel_pos_w'):
                continue
            table = state_dict.get(prefix + name)
            if table is None:
                state_dict[prefix + name] = param.detach().clone()
                added.append(name)
            elif table.dim() == 2 and table.shape[1] == param.shape[1] and \
                    table.shape[0] != param.shape[0]:
                state_dict[prefix + name] = resize_rel_pos(
                    table, param.shape[0])
                resized.append(f'{name} {table.shape[0]}->{param.shape[0]}')
        if added:
            init = 'zeros' if all(
                not state_dict[prefix + n].any() for n in added) else \
                'their random init'
            notes.append(f'initialise the {len(added)} relative-position '
                         f'tables it lacks ({init}): {_listed(added, 4)}')
        if resized:
            notes.append(f'resize {len(resized)} relative-position tables '
                         f'(linearly): {_listed(resized, 4)}')
        if notes:
            MMLogger.get_current_instance().info(
                f'ViTDet {type(self).__name__}: ' + '; '.join(notes) + '.')
