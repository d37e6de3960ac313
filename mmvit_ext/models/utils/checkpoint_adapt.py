"""What every backbone does to a checkpoint on load, PiT included: fit the
stem to the input channels, resize the position embedding, then refuse any
key or shape that still does not fit."""
from collections import OrderedDict

import torch.nn as nn
from mmengine.logging import MMLogger

from mmvit_ext.engine.checkpoint.loading import check_fits


class CheckpointAdaptMixin:
    """Load hooks of a backbone with ``patch_embed`` (whose first conv takes
    the input channels) and ``pos_embed``.

    The backbone calls :meth:`_register_load_hooks` in its constructor and
    says how a position embedding of another grid becomes its own in
    ``_fit_pos_embed``. :func:`~mmvit_ext.engine.load_pretrained` runs
    ``_adapt_checkpoint`` itself before its strict check; every other
    loading path (``load_from``, ``get_model``, mmdet/mmseg's loaders) goes
    through the hooks.
    """

    def _register_load_hooks(self):
        """Adapt the checkpoint and resize the position embedding, then
        check the keys."""
        self._register_load_state_dict_pre_hook(self._adapt_checkpoint)
        self._register_load_state_dict_pre_hook(self._prepare_pos_embed)
        self._register_load_state_dict_pre_hook(self._check_checkpoint_keys)

    def _adapt_checkpoint(self, state_dict, prefix, *args, **kwargs):
        """Fit a checkpoint to this backbone where the fit is known and
        lossless (here: the input channels), before its keys are checked."""
        self._adapt_input_channels(state_dict, prefix)

    def _adapt_input_channels(self, state_dict, prefix, *args, **kwargs):
        """Fit the stem's first conv to this model's input channels, as timm
        does when it loads weights (``adapt_input_conv``): a grey (1-channel)
        checkpoint's kernels are repeated over the channels and divided by
        their number, so that a grey image given as RGB gives the same
        response; a 3-channel one's are summed for a grey model. One info
        line says so; any other difference is left to the key check."""
        convs = [(n, m) for n, m in self.patch_embed.named_modules()
                 if isinstance(m, nn.Conv2d)]
        if not convs:
            return
        name = prefix + '.'.join(filter(None, ('patch_embed', convs[0][0],
                                               'weight')))
        weight, own = state_dict.get(name), convs[0][1].weight
        if weight is None or weight.dim() != 4 or \
                weight.shape[1] == own.shape[1] or \
                weight.shape[::2] != own.shape[::2] or \
                weight.shape[3] != own.shape[3]:
            return
        src, dst = weight.shape[1], own.shape[1]
        if src == 1:
            state_dict[name] = weight.repeat(1, dst, 1, 1) / dst
            how = f'repeated and divided by {dst}'
        elif dst == 1 and src == 3:
            state_dict[name] = weight.sum(dim=1, keepdim=True)
            how = 'summed'
        else:
            return
        MMLogger.get_current_instance().info(
            f'Adapt {name} from {src} to {dst} input channels (the kernels '
            f'{how}).')

    def _prepare_pos_embed(self, state_dict, prefix, *args, **kwargs):
        """Resize a checkpoint's position embedding to this model's grid,
        in one info line."""
        name = prefix + 'pos_embed'
        if name not in state_dict or \
                state_dict[name].shape == self.pos_embed.shape:
            return
        ckpt = state_dict[name]
        state_dict[name] = self._fit_pos_embed(ckpt, name)
        MMLogger.get_current_instance().info(
            f'Resize {name} from {tuple(ckpt.shape)} to '
            f'{tuple(self.pos_embed.shape)}.')

    def _fit_pos_embed(self, pos_embed, name):
        """``pos_embed``, a checkpoint's, resized to ``self.pos_embed``'s
        shape; a ``ValueError`` naming ``name`` where it cannot be."""
        raise NotImplementedError

    def _check_checkpoint_keys(self, state_dict, prefix, *args, **kwargs):
        """Refuse a state dict that does not fit this backbone, on every
        loading path, strict or not: a backbone left with random blocks is
        never a warning. Registered after the position-embedding resize.
        Inside FSDP, whose strategy loads the whole model strictly, it
        leaves the check to that load: this module's own state dict would
        gather shards."""
        if '_fsdp_wrapped_module.' in prefix:
            return
        own = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                          if k.startswith(prefix))
        check_fits(self, own, f'the checkpoint (keys under {prefix!r})'
                   if prefix else 'the checkpoint')
