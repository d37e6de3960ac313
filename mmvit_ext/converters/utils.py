"""Shared pieces of the weight converters: unwrapping, renaming, saving."""
import re
from collections import OrderedDict

import torch

from mmvit_ext.utils import atomic_write


def unwrap_state_dict(checkpoint):
    """The state dict inside a checkpoint: official repos save
    ``{'model': sd}``, mmengine ``{'state_dict': sd}``, timm the bare dict."""
    for key in ('model', 'state_dict', 'model_ema'):
        if isinstance(checkpoint, dict) and isinstance(
                checkpoint.get(key), dict):
            return checkpoint[key]
    if not isinstance(checkpoint, dict):
        raise TypeError('a checkpoint must be a dict of tensors, got '
                        f'{type(checkpoint).__name__}')
    return checkpoint


def rename_keys(state_dict, rules, source='source'):
    """Rename every key with the first matching ``(pattern, replacement)``.

    Args:
        state_dict (dict): The source state dict.
        rules (Sequence[tuple[str, str | Callable | None]]): Regular
            expressions (matched with ``re.fullmatch``) and ``re.sub``
            replacements (a template or a function of the match). A
            replacement of ``None`` drops the key.
        source (str): Names the layout in errors.

    Returns:
        OrderedDict: The renamed state dict.

    Raises:
        KeyError: Some keys match no rule; all of them are named.
    """
    compiled = [(re.compile(p), r) for p, r in rules]
    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        for pattern, repl in compiled:
            if pattern.fullmatch(key):
                if repl is not None:
                    out[pattern.sub(repl, key)] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise KeyError(f'{len(unknown)} key(s) of the {source} state dict '
                       f'match no conversion rule: {unknown[:10]}'
                       f'{" ..." if len(unknown) > 10 else ""}')
    return out


def save_checkpoint_atomic(state_dict, dst, meta=None):
    """Save ``{'state_dict', 'meta'}`` to ``dst`` via a temporary file in the
    same folder, so ``dst`` is either complete or untouched."""
    with atomic_write(dst) as f:
        torch.save({'state_dict': state_dict, 'meta': meta or {}}, f)


class CannotExpressError(ValueError):
    """A checkpoint holds something that the target layout has no place for
    (a dist token in timm's DeiT III, ViTDet's tables, ...)."""


def check_expressible(state_dict, unsupported, target):
    """Raise :class:`CannotExpressError` naming every key of ``state_dict``
    that matches a pattern of ``unsupported`` (``{regex: why}``)."""
    problems = {}
    for pattern, why in unsupported.items():
        keys = [k for k in state_dict if re.fullmatch(pattern, k)]
        if keys:
            problems[why] = keys
    if problems:
        reasons = '; '.join(f'{why} ({keys[:3]}'
                            f'{" ..." if len(keys) > 3 else ""})'
                            for why, keys in problems.items())
        raise CannotExpressError(f'{target} cannot express this checkpoint: '
                                 f'{reasons}')


def check_layout(layout, allowed, family):
    if layout not in allowed:
        raise ValueError(f'layout {layout!r} is not one of {sorted(allowed)} '
                         f'for {family}')


def _unprefixed(ema):
    """An ``EMAHook``'s averaged-model state dict in the model's names."""
    return OrderedDict((re.sub(r'^module\.', '', k), v)
                       for k, v in ema.items() if k != 'steps')


def ema_state_dict(checkpoint):
    """The EMA weights of a checkpoint, in the model's key names.

    mmengine's ``EMAHook`` (and ours when it validates the EMA) saves the EMA
    as ``state_dict`` and the raw weights as ``ema_state_dict``; ours, when
    it validates the raw model, keeps them where they are and says so in
    ``meta['ema']``.
    """
    if 'ema_state_dict' not in checkpoint:
        raise KeyError('the checkpoint has no EMA (no ema_state_dict): '
                       'train with an EMAHook, or leave out --ema')
    if checkpoint.get('meta', {}).get('ema') == 'ema_state_dict':
        return _unprefixed(checkpoint['ema_state_dict'])
    return checkpoint['state_dict']


def raw_state_dict(checkpoint):
    """The raw (not averaged) weights of a checkpoint."""
    if 'ema_state_dict' in checkpoint and \
            checkpoint.get('meta', {}).get('ema') != 'ema_state_dict':
        return _unprefixed(checkpoint['ema_state_dict'])
    return checkpoint['state_dict']
