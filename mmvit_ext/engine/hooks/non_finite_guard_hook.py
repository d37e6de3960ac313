"""A non-finite guard: :class:`NonFiniteGuardHook` (on in
``configs/_base_/default_runtime.py``) stops training at the first
non-finite loss or gradient, before the optimizer step applies it and before
any checkpoint of that state is written."""
import numpy as np
import torch
from mmengine.hooks import Hook

from mmvit_ext.registry import HOOKS
from ..utils import bare_model


class NonFiniteError(RuntimeError):
    """Training produced a non-finite loss or gradient."""


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Stop training at the first non-finite loss or gradient.

    Gradients are checked by an optimizer step pre-hook, so a non-finite
    gradient never reaches the weights: the step is skipped (its gradients
    are dropped) and training stops after the iteration with a
    :class:`NonFiniteError` that names the epoch, the iteration, the loss
    terms and the parameters with non-finite gradients. Mixed precision
    with a dynamic loss scale is unaffected: the scaler skips overflowing
    steps before the optimizer sees them. As a last line, no checkpoint with
    non-finite weights is written.

    Disable it with ``default_hooks.nonfinite=None``.

    Args:
        check_grads (bool): Check the gradients before each optimizer step.
            Defaults to True.
        check_checkpoints (bool): Refuse to save non-finite weights.
            Defaults to True.
    """
    priority = 'ABOVE_NORMAL'

    def __init__(self, check_grads=True, check_checkpoints=True):
        self.check_grads = check_grads
        self.check_checkpoints = check_checkpoints
        self._bad_grads = []
        self._handles = []

    def before_train(self, runner):
        if not self.check_grads:
            return
        model = bare_model(runner)
        names = {p: n for n, p in model.named_parameters()}
        wrappers = runner.optim_wrapper.values() if hasattr(
            runner.optim_wrapper, 'values') else [runner.optim_wrapper]
        for wrapper in wrappers:
            self._handles.append(wrapper.optimizer.register_step_pre_hook(
                lambda opt, args, kwargs: self._check_grads(
                    opt, names, kwargs)))

    @torch.compiler.disable  # a host-side check: eager under --compile
    def _check_grads(self, optimizer, names, step_kwargs=None):
        if getattr(optimizer, 'found_inf', None) is not None or (
                step_kwargs and step_kwargs.get('grad_scaler') is not None):
            # A fused optimizer stepped by an fp16 GradScaler, which hands
            # it the overflow flag: the kernel skips such a step itself and
            # the scaler lowers the scale, as for any optimizer.
            return
        params = [p for group in optimizer.param_groups
                  for p in group['params'] if p.grad is not None]
        if not params:
            return
        norms = torch._foreach_norm([p.grad for p in params])
        if bool(torch.isfinite(torch.stack(norms)).all()):
            return
        self._bad_grads += [names.get(p, '?') for p, n in zip(params, norms)
                            if not torch.isfinite(n)]
        for p in params:  # nothing to step: the weights stay finite
            p.grad = None

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        terms = {k: float(v.detach() if torch.is_tensor(v) else v)
                 for k, v in (outputs or {}).items() if 'loss' in k}
        bad_terms = [k for k, v in terms.items() if not np.isfinite(v)]
        if not bad_terms and not self._bad_grads:
            return
        loss = ', '.join(f'{k}={v:.4g}' for k, v in terms.items())
        grads = ''
        if self._bad_grads:
            shown = self._bad_grads[:5]
            more = len(self._bad_grads) - len(shown)
            grads = (f'; non-finite gradients in {shown}'
                     + (f' and {more} more' if more else '')
                     + ' (that step was skipped)')
        raise NonFiniteError(
            f'non-finite training at epoch {runner.epoch + 1}, iteration '
            f'{runner.iter + 1} (batch {batch_idx + 1} of the epoch): loss '
            f'terms {loss}{grads}. Training stopped; no checkpoint of this '
            'state was written. Lower the learning rate, clip gradients '
            '(optim_wrapper.clip_grad) or check the data.')

    def after_train(self, runner):
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def before_save_checkpoint(self, runner, checkpoint):
        if not self.check_checkpoints:
            return
        bad = [k for k, v in checkpoint['state_dict'].items()
               if torch.is_tensor(v) and v.is_floating_point()
               and not bool(torch.isfinite(v).all())]
        if bad:
            raise NonFiniteError(
                f'refusing to save a checkpoint at epoch {runner.epoch + 1},'
                f' iteration {runner.iter}: non-finite weights in '
                f'{bad[:10]}')
