"""FSDP that trains like one process: mmengine's ``FSDPStrategy`` (run by
:class:`~mmvit_ext.engine.FlexibleRunner`), with what it gets wrong on 2 or
more ranks set right.

mmengine 0.10.7 builds the optimizer after wrapping the model. With
``use_orig_params=True`` every parameter is then a 1-D view of its shard,
so rules keyed on ``param.ndim == 1`` (``flat_decay_mult``,
``norm_decay_mult``, mmpretrain's layer-decay constructor) match every
weight, and the parameter names carry FSDP's ``_fsdp_wrapped_module.``.
Gradient clipping sees each rank's shard only, its ``'local'`` checkpoints
are per-rank pickles that load at the same world size only, and the loss
scale of fp16 training is dropped on resume. World size 1 hides all of it,
since FSDP then falls back to ``NO_SHARD``.

:class:`FSDPStrategy` here builds the optimizer's parameter groups from
the unwrapped model, clips by the global norm, writes one full checkpoint
from rank 0 atomically (it loads anywhere: ``tools/test.py``,
``get_model``, any world size), keeps the loss scaler, and runs on CPU
(gloo) as on GPU (nccl). Inherit ``configs/_base_/strategies/fsdp.py`` to
use it.
"""
import copy
import os
import re
import time

import mmengine
import torch
from mmengine._strategy import FSDPStrategy as _FSDPStrategy
from mmengine.dist import is_main_process
from mmengine.optim import BaseOptimWrapper, build_optim_wrapper
from mmengine.utils import get_git_hash
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import \
    CheckpointWrapper
from torch.distributed.fsdp import FullOptimStateDictConfig
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

from mmvit_ext.registry import FUNCTIONS, STRATEGIES
from mmvit_ext.utils import atomic_write

#: What FSDP and torch's activation checkpointing add to parameter names.
_WRAPPER_PREFIXES = re.compile(
    r'(_fsdp_wrapped_module|_checkpoint_wrapped_module)\.')


def transformer_block_classes():
    """The block class of every backbone and head: the units that
    :func:`transformer_block_policy` shards and checkpoints."""
    from mmvit_ext.models.backbones.ceit import CeiTBlock
    from mmvit_ext.models.backbones.deepvit import DeepViTBlock
    from mmvit_ext.models.heads.lca_head import LCABlock

    # mmpretrain's layer is the base of ours (DeiT III, DeiT, PiT, ViTDet).
    return (TransformerEncoderLayer, CeiTBlock, DeepViTBlock, LCABlock)


@FUNCTIONS.register_module()
def is_transformer_block(module):
    """Whether ``module`` is a transformer block (activation checkpointing's
    ``check_fn``)."""
    return isinstance(module, transformer_block_classes())


@FUNCTIONS.register_module()
def transformer_block_policy(module, recurse, nonwrapped_numel=0):
    """FSDP auto-wrap policy: each transformer block is its own FSDP unit,
    the rest (stem, norms, necks, heads) goes to the root unit.

    Use it as ``model_wrapper=dict(auto_wrap_policy=dict(
    type='mmvit_ext.transformer_block_policy'))``.
    """
    return True if recurse else is_transformer_block(module)


def _unfuse(optimizer):
    """Step with the foreach kernels instead of the fused one: torch 2.14's
    ``ShardedGradScaler`` hands a fused optimizer a 1-element ``found_inf``
    that its kernel refuses (``output with shape [] doesn't match the
    broadcast shape [1]``). The update is the same."""
    if not optimizer.defaults.get('fused'):
        return
    for options in (optimizer.defaults, *optimizer.param_groups):
        options['fused'], options['foreach'] = False, True
    optimizer._step_supports_amp_scaling = False


def clean_name(name):
    """A parameter name without FSDP's and checkpointing's wrapper parts."""
    return _WRAPPER_PREFIXES.sub('', name)


@STRATEGIES.register_module()
class FSDPStrategy(_FSDPStrategy):
    """mmengine's ``FSDPStrategy``, correct on any number of ranks.

    The differences from mmengine's:

    1. The optimizer's parameter groups (weight-decay and layer-decay rules,
       ``custom_keys``) are decided on the unwrapped model, from its own
       names and shapes, and then handed the sharded parameters.
    2. ``clip_grad=dict(max_norm=...)`` clips by the norm of the whole
       model's gradient, through FSDP's ``clip_grad_norm_``.
    3. ``state_dict_cfg='full'`` by default: checkpoints are gathered to
       rank 0, which writes one file atomically, with clean parameter names
       and the optimizer state keyed by them. It loads into a plain model.
    4. The loss scaler of fp16 training is a ``ShardedGradScaler`` (the
       ranks agree on skipped steps), saved and restored on resume.
    5. On a machine without CUDA the model stays on the CPU (``device_id``),
       with gloo; with CUDA each process takes its ``LOCAL_RANK`` GPU.

    Args:
        model_wrapper (dict, optional): ``MMFullyShardedDataParallel``
            arguments. Defaults wrap each transformer block
            (:func:`transformer_block_policy`) with ``use_orig_params=True``
            and, on GPUs, ``sync_module_states=True``.
        activation_checkpointing (bool | dict, optional): True recomputes
            each transformer block in the backward (or mmengine's dict,
            ``check_fn`` and torch's ``apply_activation_checkpointing``
            arguments). Defaults to None.
        mixed_precision (str | dict, optional): ``'bf16'`` keeps parameters,
            gradients and buffers in bf16 during the forward and backward,
            reduces gradients in fp32 and steps the fp32 shards; or a dict of
            FSDP ``MixedPrecision`` arguments. Defaults to None (fp32).
        state_dict_cfg (str | dict): ``'full'`` or mmengine's other options.
            Defaults to ``'full'``.
        **kwargs: mmengine's ``FSDPStrategy`` arguments.
    """

    def __init__(self, *, model_wrapper=None, activation_checkpointing=None,
                 mixed_precision=None, state_dict_cfg='full', **kwargs):
        # Rank 0's initial weights go to every rank; torch can do that from
        # GPU memory only, and on a CPU every rank builds the same weights
        # from the same seed.
        wrapper = dict(
            type='MMFullyShardedDataParallel', use_orig_params=True,
            sync_module_states=torch.cuda.is_available(),
            auto_wrap_policy=transformer_block_policy)
        wrapper.update(model_wrapper or {})
        if not wrapper['use_orig_params']:
            raise ValueError(
                'FSDPStrategy needs model_wrapper.use_orig_params=True: the '
                'optimizer groups are mapped onto the original parameters')
        if mixed_precision is not None:
            wrapper['mixed_precision'] = self._mixed_precision(
                mixed_precision)
        if activation_checkpointing is True:
            activation_checkpointing = dict(check_fn=is_transformer_block)
        elif activation_checkpointing is False:
            activation_checkpointing = None
        super().__init__(model_wrapper=wrapper,
                         activation_checkpointing=activation_checkpointing,
                         state_dict_cfg=state_dict_cfg, **kwargs)
        if state_dict_cfg == 'full' and not torch.cuda.is_available():
            # On a CPU, torch 2.14's "offload" of a gathered optimizer state
            # is no copy: every state (exp_avg, exp_avg_sq) stays a view of
            # one reused buffer and ends up with the last one's values.
            # Without the offload each is cloned.
            self.optim_state_dict_config = FullOptimStateDictConfig(
                rank0_only=True, offload_to_cpu=False)

    @staticmethod
    def _mixed_precision(value):
        if isinstance(value, dict):
            return dict(value)
        if value in ('bf16', 'bfloat16'):
            return dict(param_dtype='bfloat16', reduce_dtype='float32',
                        buffer_dtype='bfloat16')
        raise ValueError(f'FSDPStrategy mixed_precision {value!r} is not '
                         "'bf16' or a dict of FSDP MixedPrecision arguments")

    # -------------------------------------------------------------- build
    def prepare(self, model, *, optim_wrapper=None, param_scheduler=None,
                compile=False, dispatch_kwargs=None):
        """mmengine's ``prepare``, except that the optimizer wrapper is
        built on the model before it is wrapped, then re-pointed at the
        sharded parameters (see the class notes)."""
        if self._prepared:
            return self._prepared_components()
        if dispatch_kwargs is not None:
            self.dispatch_kwargs.update(dispatch_kwargs)
        model = self.build_model(model)
        model = self._init_model_weights(model)
        if isinstance(optim_wrapper, dict):
            optim_wrapper = build_optim_wrapper(model,
                                                copy.deepcopy(optim_wrapper))
        model = self._wrap_model(model)
        model = self.compile_model(model, compile=compile)
        self.model = model
        if optim_wrapper is not None:
            self.optim_wrapper = self.build_optim_wrapper(optim_wrapper, model)
            self._scale_lr()
            if getattr(self.optim_wrapper, '_accumulative_counts', 1) > 1:
                self.optim_wrapper.initialize_count_status(
                    self.model, 0, self.dispatch_kwargs['max_iters'])
        if param_scheduler is not None:
            self.param_schedulers = self.build_param_scheduler(
                param_scheduler, self.optim_wrapper)
        self._prepared = True
        return self._prepared_components()

    def _wrap_model(self, model):
        if torch.cuda.is_available():
            device_id = int(os.environ.get('LOCAL_RANK', 0))
        else:
            # An int would mean cuda:N; the model stays where it is.
            device_id = torch.device('cpu')
        self.model_wrapper.setdefault('device_id', device_id)
        model = super()._wrap_model(model)
        units = sum(isinstance(m, FSDP) for m in model.modules())
        recomputed = sum(isinstance(m, CheckpointWrapper)
                         for m in model.modules())
        self.logger.info(
            f'FSDP: {units} units over {self.world_size} processes'
            + (f', {recomputed} blocks recomputed in the backward'
               if recomputed else ''))
        return model

    def build_optim_wrapper(self, optim_wrapper, model=None):
        """Give the built optimizer's groups, with their options, the
        wrapped model's (sharded) parameters of the same names."""
        if not isinstance(optim_wrapper, BaseOptimWrapper):
            return super().build_optim_wrapper(optim_wrapper, model)
        if not isinstance(model, FSDP):
            raise TypeError('FSDPStrategy.build_optim_wrapper expects the '
                            f'FSDP-wrapped model, got {type(model).__name__}')
        optimizer = optim_wrapper.optimizer
        if optimizer.state:
            raise ValueError('The optimizer must have no state before it is '
                             'sharded')
        sharded = {clean_name(name): param
                   for name, param in model.named_parameters()}
        # The optimizer has no state yet: its groups, options included,
        # take the sharded parameters in place of the unwrapped ones.
        for group in optimizer.param_groups:
            group['params'] = [sharded[self.id_to_name[id(p)]]
                               for p in group['params']]
        if getattr(optim_wrapper, 'clip_grad_kwargs', None) and \
                optim_wrapper.clip_func is torch.nn.utils.clip_grad_norm_:
            optim_wrapper.clip_func = self._clip_global_norm
        scaler = getattr(optim_wrapper, 'loss_scaler', None)
        if scaler is not None and not isinstance(scaler, ShardedGradScaler):
            _unfuse(optim_wrapper.optimizer)
            optim_wrapper.loss_scaler = ShardedGradScaler(
                'cuda' if torch.cuda.is_available() else 'cpu',
                init_scale=scaler.get_scale(),
                growth_factor=scaler.get_growth_factor(),
                backoff_factor=scaler.get_backoff_factor(),
                growth_interval=scaler.get_growth_interval())
        return optim_wrapper

    def _clip_global_norm(self, params, max_norm, norm_type=2, **kwargs):
        """``clip_grad_norm_`` over every rank's shards: the norm is the
        whole model's, as on one process."""
        return self.model.clip_grad_norm_(max_norm, norm_type)

    # -------------------------------------------------------- checkpoints
    def optim_state_dict(self):
        """The full optimizer state (on rank 0), keyed by parameter names,
        with the loss scaler's state when there is one."""
        state = FSDP.optim_state_dict(self.model, self.optim_wrapper.optimizer)
        scaler = getattr(self.optim_wrapper, 'loss_scaler', None)
        if scaler is not None:
            state['loss_scaler'] = scaler.state_dict()
        return state

    def load_optim_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        to_load = FSDP.optim_state_dict_to_load(
            self.model, self.optim_wrapper.optimizer, state_dict)
        self.optim_wrapper.optimizer.load_state_dict(to_load)
        scaler = getattr(self.optim_wrapper, 'loss_scaler', None)
        if scaler is not None and scaler_state is not None:
            scaler.load_state_dict(scaler_state)

    def load_model_state_dict(self, state_dict, *, strict=True,
                              revise_keys=[(r'^module.', '')]):
        """Load a full state dict, strictly: a checkpoint that does not fit
        the model is an error (mmengine's default is not strict)."""
        state_dict = {re.sub(r'^module\.', '', k): v
                      for k, v in state_dict.items()}
        self.model.load_state_dict(state_dict, strict=True)

    def save_checkpoint(self, filename, *, save_optimizer=True,
                        save_param_scheduler=True, extra_ckpt=None,
                        callback=None):
        """Gather the full state on every rank (a collective), then write it
        from rank 0 to a temporary file, fsynced and renamed."""
        if not self._is_full_state_dict():
            return super().save_checkpoint(
                filename, save_optimizer=save_optimizer,
                save_param_scheduler=save_param_scheduler,
                extra_ckpt=extra_ckpt, callback=callback)
        checkpoint = dict(state_dict=self.model_state_dict())
        if save_optimizer and hasattr(self, 'optim_wrapper'):
            checkpoint['optimizer'] = self.optim_state_dict()
        if save_param_scheduler and hasattr(self, 'param_schedulers'):
            checkpoint['param_schedulers'] = self.scheduler_state_dict()
        extra_ckpt = dict(extra_ckpt or {})
        extra_ckpt.setdefault('meta', {}).update(
            seed=self.seed,
            time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
            mmengine=mmengine.__version__ + get_git_hash())
        checkpoint.update(extra_ckpt)
        if callback is not None:
            callback(checkpoint)
        if is_main_process():
            with atomic_write(filename) as f:
                torch.save(checkpoint, f)
