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
