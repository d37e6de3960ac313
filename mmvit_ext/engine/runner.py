"""mmengine's Runner with a console that starts with the training log, and
a ``compile`` option that compiles the model's forward."""
import torch
from mmengine.runner import Runner as _Runner

from mmvit_ext.registry import RUNNERS
from .console import quiet_console
from .fsdp import FlexibleRunner
from .hooks import bare_model


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

    def build_logger(self, *args, **kwargs):
        return quiet_console(super().build_logger(*args, **kwargs))
