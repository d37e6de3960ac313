"""mmengine's RuntimeInfoHook, logging the base learning rate."""
from mmengine.hooks import RuntimeInfoHook as _RuntimeInfoHook

from mmvit_ext.registry import HOOKS


@HOOKS.register_module()
class RuntimeInfoHook(_RuntimeInfoHook):
    """mmengine's ``RuntimeInfoHook`` that logs, as ``lr``, the largest
    learning rate of the parameter groups instead of the first group's.

    Under layer-wise lr decay the first group is the stem's, whose lr is
    ``decay ** (depth + 1)`` times the base one (``base_lr: 1.0000e-03 lr:
    2.3730e-04`` for a 4-block backbone at 0.75), so the schedule looked
    broken. The largest is the base lr times the schedule's factor: what the
    neck and heads (or the last block) learn with. Without decay every group
    has the same lr and nothing changes.
    """

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        runner.message_hub.update_info('iter', runner.iter)
        for name, lrs in runner.optim_wrapper.get_lr().items():
            runner.message_hub.update_scalar(f'train/{name}', max(lrs))
