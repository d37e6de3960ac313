"""Argument checks shared by the backbones, heads and necks: each bad value
is a ``ValueError`` (or ``TypeError``) that names it and what is allowed."""
from typing import Sequence, Tuple, Union


def check_choice(name, value, allowed):
    """Raise ``ValueError`` naming ``value`` and the ``allowed`` choices."""
    if value not in allowed:
        raise ValueError(f'{name} {value!r} is not one of '
                         f'{sorted(allowed, key=str)}')


def check_positive_ints(name, value, pair=False):
    """Raise ``ValueError`` unless ``value`` is an int >= 1 or, with
    ``pair``, also an ``(H, W)`` pair of them."""
    values = value if pair and isinstance(value, (tuple, list)) else (value, )
    if not (1 <= len(values) <= 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for v in values)):
        allowed = 'an int >= 1 or an (H, W) pair of them' if pair else \
            'an int >= 1'
        raise ValueError(f'{name} {value!r} is invalid: it must be {allowed}')


def check_stem(name, in_channels, img_size, patch_size=None):
    """Check the input channels, ``img_size`` and the patch size."""
    check_positive_ints(f'{name} in_channels', in_channels)
    check_positive_ints(f'{name} img_size', img_size, pair=True)
    if patch_size is not None:
        check_positive_ints(f'{name} patch_size', patch_size, pair=True)


def check_heads(name, embed_dims, num_heads):
    """Raise ``ValueError`` unless ``num_heads`` divides ``embed_dims``."""
    check_positive_ints(f'{name} embed_dims', embed_dims)
    check_positive_ints(f'{name} num_heads', num_heads)
    if embed_dims % num_heads:
        divisors = [d for d in range(1, embed_dims + 1) if embed_dims % d == 0]
        raise ValueError(
            f'{name} embed_dims {embed_dims} is not divisible by num_heads '
            f'{num_heads}: use num_heads in {divisors[:12]}'
            f'{" ..." if len(divisors) > 12 else ""}')


def resolve_arch(arch, arch_zoo, essential_keys, model_name):
    """Return the settings dict of ``arch`` (a zoo name or a dict)."""
    if isinstance(arch, str):
        check_choice(f'{model_name} arch', arch.lower(), set(arch_zoo))
        return dict(arch_zoo[arch.lower()])
    if not isinstance(arch, dict):
        raise TypeError(f'{model_name} arch must be a str or a dict, '
                        f'got {type(arch).__name__}')
    missing = set(essential_keys) - set(arch)
    if missing:
        raise ValueError(f'{model_name} custom arch misses the keys '
                         f'{sorted(missing)}; it needs {sorted(essential_keys)}')
    return dict(arch)


def normalize_indices(indices, length, name='out_indices'):
    """Turn an int or a sequence of ints (negatives allowed) into a sorted
    tuple of non-negative indices below ``length``."""
    if isinstance(indices, int):
        indices = [indices]
    if not isinstance(indices, Sequence) or not indices:
        raise TypeError(f'{name} must be an int or a non-empty sequence of '
                        f'ints, got {indices!r}')
    out = []
    for index in indices:
        if not -length <= index < length:
            raise ValueError(f'{name} {index} is out of range: there are '
                             f'{length}, so use -{length}..{length - 1}')
        out.append(index % length)
    if len(set(out)) != len(out):
        raise ValueError(f'{name} {tuple(indices)} names an index twice')
    return tuple(sorted(out))


def to_hw(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``224`` -> ``(224, 224)``; ``(224, 320)`` stays."""
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)
