"""Mixed precision training on CPU and GPU, bf16 wherever it is fast.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU and autocasts to
fp16 unless told otherwise. Ours (``type='AmpOptimWrapper'`` in the
``mmvit_ext`` scope, or ``tools/train.py --amp``) runs on any device and,
with ``dtype='auto'``, picks bf16 where the hardware computes in it (CUDA
compute capability >= 8.0; CPUs with AMX or AVX-512-BF16), else fp16 where
that is native, else stays in fp32 (a CPU with AVX2 only emulates both, ~100x
slower: :mod:`mmvit_ext.utils.precision`). bf16 has fp32's exponent range, so
it needs no loss scaling; fp16 gets a dynamic ``GradScaler``, as in
mmengine.
"""
import logging
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmvit_ext.registry import OPTIM_WRAPPERS
from mmvit_ext.utils.precision import (AMP_DTYPES, is_emulated,
                                       resolve_amp_dtype)

__all__ = ['AMP_DTYPES', 'AmpOptimWrapper', 'resolve_amp_dtype']


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """Autocast the forward to ``dtype`` on the parameters' device.

    Args:
        dtype (str): 'auto' (bf16 where the device computes in it, else
            fp16 where that is native, else fp32: no autocast),
            'bfloat16' or 'float16' (honoured, with a warning where the
            device emulates it). Defaults to 'auto'.
        loss_scale (str | float | dict): fp16 only: 'dynamic', an initial
            scale, or ``GradScaler`` arguments. Defaults to 'dynamic'.
        **kwargs: mmengine's ``OptimWrapper`` arguments.
    """

    def __init__(self, dtype='auto', loss_scale='dynamic', **kwargs):
        super().__init__(**kwargs)
        params = [p for group in self.optimizer.param_groups
                  for p in group['params']]
        self.device = params[0].device if params else torch.device('cpu')
        self.cast_dtype, why = resolve_amp_dtype(dtype, self.device)
        what = ('none, fp32' if self.cast_dtype == torch.float32 else
                f'{self.cast_dtype} autocast')
        print_log(f'Mixed precision: {what} on {self.device.type} ({why})',
                  logger='current',
                  level=logging.WARNING if is_emulated(
                      self.cast_dtype, self.device) else logging.INFO)
        self._scale_update_param = None
        self.loss_scaler = None
        if self.cast_dtype == torch.float16:
            if isinstance(loss_scale, dict):
                scaler_args = loss_scale
            elif isinstance(loss_scale, float):
                self._scale_update_param = loss_scale
                scaler_args = dict(init_scale=loss_scale)
            elif loss_scale == 'dynamic':
                scaler_args = {}
            else:
                raise ValueError(
                    f'loss_scale {loss_scale!r} is not "dynamic", a float '
                    'or a dict of GradScaler arguments')
            self.loss_scaler = torch.amp.GradScaler(self.device.type,
                                                    **scaler_args)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                self.device.type, dtype=self.cast_dtype,
                enabled=self.cast_dtype != torch.float32):
            yield

    def backward(self, loss, **kwargs):
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs):
        if self.loss_scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self):
        state = self.optimizer.state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        self.optimizer.load_state_dict(state_dict)
