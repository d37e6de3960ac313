"""mmengine's ``LoggerHook``, with enough points for a short run's curves."""
from mmengine.hooks import LoggerHook as _LoggerHook

from mmvit_ext.registry import HOOKS


@HOOKS.register_module()
class LoggerHook(_LoggerHook):
    """mmengine's ``LoggerHook`` that logs short runs often enough to draw
    their curves.

    mmengine logs every ``interval`` iterations, so a run shorter than a few
    intervals leaves one point, or none, in ``vis_data/scalars.json``. Here,
    before training, a run of fewer than ``interval * min_points``
    iterations gets the interval that logs it about ``min_points`` times
    (every iteration at the least).

    Args:
        interval (int): The logging interval of long runs. Defaults to 10.
        min_points (int): The points a short run logs; 0 keeps
            ``interval``. Defaults to 50.
        **kwargs: mmengine's ``LoggerHook`` arguments.
    """

    def __init__(self, interval=10, min_points=50, **kwargs):
        super().__init__(interval=interval, **kwargs)
        self.min_points = min_points

    def before_train(self, runner):
        total = runner.max_iters
        if self.min_points and total < self.interval * self.min_points:
            self.interval = max(1, total // self.min_points)
