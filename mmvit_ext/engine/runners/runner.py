"""mmengine's Runner with a console that starts with the training log, a
``compile`` option that compiles the model's forward, and checkpoints
streamed to their files."""
import contextlib

import torch
from mmengine.runner import Runner as _Runner
from mmengine.runner import runner as mmengine_runner

from mmvit_ext.registry import RUNNERS
from mmvit_ext.utils import atomic_write, set_cpu_malloc
from .collate import scope_collate_fn
from .console import quiet_console
from .flexible_runner import FlexibleRunner
from ..utils import bare_model

_mmengine_save_checkpoint = mmengine_runner.save_checkpoint


def save_checkpoint_streamed(checkpoint, filename, file_client_args=None,
                             backend_args=None):
    """mmengine's ``save_checkpoint``, with a checkpoint for a local path
    (no backend, or the local or atomic one) pickled straight into a
    temporary file beside it and moved into place. mmengine pickles into
    memory first and hands the backend a copy of those bytes: twice the
    checkpoint's size on top of training (20 GB for DeiT III-H with LAMB
    and an EMA)."""
    backend = (backend_args or {}).get('backend', 'local')
    if file_client_args is not None or '://' in str(filename) or \
            backend not in ('local', 'mmvit_ext_atomic'):
        return _mmengine_save_checkpoint(checkpoint, filename,
                                         file_client_args, backend_args)
    with atomic_write(filename) as f:
        torch.save(checkpoint, f)


@contextlib.contextmanager
def _streamed_saves():
    """Runner.save_checkpoint calls mmengine.runner.runner.save_checkpoint;
    point that name at ``save_checkpoint_streamed`` meanwhile."""
    mmengine_runner.save_checkpoint = save_checkpoint_streamed
    try:
        yield
    finally:
        mmengine_runner.save_checkpoint = _mmengine_save_checkpoint


@RUNNERS.register_module()
class Runner(_Runner):
    """mmengine's ``Runner``; the environment, the config dump, the hook
    list and the per-parameter optimizer options are written to the log file
    in the work dir but kept off the console, so that the first lines a user
    sees are the training progress.

    With ``compile=True`` (or a dict of ``torch.compile`` arguments;
    ``tools/train.py --compile``) mmengine compiles the whole ``train_step``,
    optimizer step and hooks included, which dynamo cannot trace through
    mmengine's parameter groups. Here the model's ``forward`` (loss
    included) is compiled, and the data preprocessor, the backward call and
    the optimizer step stay eager.
    """

    @classmethod
    def from_cfg(cls, cfg):
        """A config with a ``strategy`` (``_base_/strategies/fsdp.py``)
        runs on :class:`~mmvit_ext.engine.FlexibleRunner`, which takes
        strategies; any other on this runner."""
        if cfg.get('strategy') is not None:
            return FlexibleRunner.from_cfg(cfg)
        return super().from_cfg(cfg)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's, for configs that inherit ours by their
        ``mmvit_ext::`` name too (``collate.scope_collate_fn``)."""
        return _Runner.build_dataloader(scope_collate_fn(dataloader), seed,
                                        diff_rank_seed)

    def setup_env(self, env_cfg):
        """mmengine's, and ``env_cfg.cpu_malloc`` (``'auto'`` by default):
        see :func:`mmvit_ext.utils.set_cpu_malloc`."""
        set_cpu_malloc((env_cfg or {}).get('cpu_malloc', 'auto'))
        return super().setup_env(env_cfg)

    def _maybe_compile(self, target):
        compile_cfg = self.cfg.get('compile', None)
        if compile_cfg is None or compile_cfg is False:
            return
        compile_cfg = {} if compile_cfg is True else dict(compile_cfg)
        model = bare_model(self)
        # Once only: a compiled forward keeps dynamo's original callable.
        if not hasattr(model.forward, '_torchdynamo_orig_callable'):
            model.forward = torch.compile(model.forward, **compile_cfg)
            self.logger.info(
                f'torch.compile: {type(model).__name__}.forward (for '
                f'{target}); the first iterations compile it and are slow.')

    def save_checkpoint(self, *args, **kwargs):
        """mmengine's, with a local checkpoint streamed to its file
        (``save_checkpoint_streamed``) instead of through memory."""
        with _streamed_saves():
            return super().save_checkpoint(*args, **kwargs)

    def build_logger(self, *args, **kwargs):
        return quiet_console(super().build_logger(*args, **kwargs))
