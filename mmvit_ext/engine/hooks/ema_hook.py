"""mmpretrain's EMAHook with the raw weights kept where they are evaluated."""
import copy

from mmengine.runner.checkpoint import load_state_dict
from mmpretrain.engine.hooks import EMAHook as MMPretrainEMAHook

from mmvit_ext.registry import HOOKS


@HOOKS.register_module()
class EMAHook(MMPretrainEMAHook):
    """mmpretrain's ``EMAHook`` whose checkpoint ``state_dict`` holds the
    weights that were validated.

    With ``evaluate_on_ema=True`` (DeepViT's recipe) it is mmpretrain's hook:
    validation and the checkpoint's ``state_dict`` are the EMA's (the raw
    weights go to ``ema_state_dict``, swapped back on resume).

    With ``evaluate_on_ema=False`` (DeiT, DeiT III, CeiT, PiT: the official
    code keeps an EMA but reports the raw model) mmpretrain would still save
    the EMA as ``state_dict``, so that ``tools/test.py`` and ``load_from``
    would not get the validated model, and a ``load_from`` would start from
    the EMA. Here the raw weights stay in ``state_dict`` and the EMA goes to
    ``ema_state_dict``, as DeiT's ``model`` and ``model_ema``; a resume
    restores both; a ``load_from`` (a fine-tune) starts the EMA from the
    loaded weights, as DeiT's ``ModelEma`` does.

    Args:
        **kwargs: As mmpretrain's ``EMAHook`` (``momentum`` is
            ``1 - decay``: DeiT's 0.99996 is ``momentum=4e-5``).
    """

    def before_save_checkpoint(self, runner, checkpoint):
        # Where the EMA is, for tools that read it (publish_model.py --ema,
        # mmvit_to_timm.py --ema); mmengine's own hook puts it in state_dict.
        meta = checkpoint.setdefault('meta', {})
        if self.evaluate_on_ema:
            meta['ema'] = 'state_dict'
            return super().before_save_checkpoint(runner, checkpoint)
        meta['ema'] = 'ema_state_dict'
        checkpoint['ema_state_dict'] = self.ema_model.state_dict()

    def after_load_checkpoint(self, runner, checkpoint):
        if self.evaluate_on_ema:
            return super().after_load_checkpoint(runner, checkpoint)
        if runner._resume and 'ema_state_dict' in checkpoint:
            self.ema_model.load_state_dict(checkpoint['ema_state_dict'],
                                           strict=self.strict_load)
        else:
            load_state_dict(self.ema_model.module,
                            copy.deepcopy(checkpoint['state_dict']),
                            strict=self.strict_load)
