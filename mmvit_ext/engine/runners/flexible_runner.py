"""mmengine's ``FlexibleRunner``, which runs the strategies (FSDP,
DeepSpeed, ...), with our runner's habits."""
from mmengine.runner import FlexibleRunner as _FlexibleRunner

from mmvit_ext.registry import RUNNERS
from mmvit_ext.utils import set_cpu_malloc
from ..hooks.checkpoint_hook import SafeCheckpointHook
from .collate import scope_collate_fn
from .console import quiet_console


@RUNNERS.register_module()
class FlexibleRunner(_FlexibleRunner):
    """mmengine's ``FlexibleRunner`` (strategies: FSDP, DeepSpeed, ...) with
    our runner's habits: the start-up dump goes to the log file only, and
    ``--resume`` without a path takes the newest intact checkpoint (as
    :class:`~mmvit_ext.engine.SafeCheckpointHook` does for ``Runner``)."""

    def __init__(self, *args, **kwargs):
        # env_cfg.cpu_malloc, as Runner.setup_env applies it; the
        # strategies take env_cfg as keyword arguments, so it goes no further
        env_cfg = dict(kwargs.get('env_cfg') or {})
        set_cpu_malloc(env_cfg.pop('cpu_malloc', 'auto'))
        if 'env_cfg' in kwargs:
            kwargs['env_cfg'] = env_cfg
        super().__init__(*args, **kwargs)
        quiet_console(self.logger)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's, for configs that inherit ours by their
        ``mmvit_ext::`` name too (``collate.scope_collate_fn``)."""
        return _FlexibleRunner.build_dataloader(scope_collate_fn(dataloader),
                                                seed, diff_rank_seed)

    def load_or_resume(self):
        # This runner loads before ``before_run``, where the hook would.
        if self._resume is True and self._load_from is None:
            for hook in self.hooks:
                if isinstance(hook, SafeCheckpointHook):
                    hook.point_at_newest_intact(self)
        return super().load_or_resume()
