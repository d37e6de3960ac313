"""Which low precision a device computes in natively, and the rule that
picks the autocast dtype from it.

The CPU probes are here and nowhere else, so that a test patches one place
(:func:`cpu_features`). A CPU without a native bf16 or fp16 path (AVX2
only: AMD Zen 2 and 3, Intel before Cooper Lake) emulates both, and
autocasting its matmuls to them is two orders of magnitude slower than fp32
(``docs/benchmarks.md``, "Mixed precision on every CPU"): ``'auto'`` then
keeps fp32.
"""
import functools
import os
import platform

import torch

#: ``AmpOptimWrapper``'s and ``tools/train.py --amp-dtype``'s values.
AMP_DTYPES = ('auto', 'bfloat16', 'float16')
#: The low precisions ``'auto'`` may pick, in its order of preference.
LOW_PRECISIONS = ('bfloat16', 'float16')

#: A 1024x1024 matmul on a 2-core AMD EPYC with AVX2 and no AVX-512:
#: 85.6 GFLOP/s in fp32, 0.9 in bf16, 0.7 in fp16.
EMULATED_SLOWDOWN = {'bfloat16': 95, 'float16': 120}


@functools.lru_cache(None)
def cpuinfo():
    """The CPU's model name and its flags, from ``/proc/cpuinfo`` (on
    another system: ``platform.processor()`` and no flags)."""
    model, flags = platform.processor() or 'cpu', frozenset()
    if platform.system() != 'Linux' or not os.path.exists('/proc/cpuinfo'):
        return model, flags
    with open('/proc/cpuinfo') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key.strip() == 'model name':
                model = value.strip()
            elif key.strip() == 'flags':
                return model, frozenset(value.split())
    return model, flags


#: The low-precision matmul instructions :func:`cpu_features` reports.
CPU_INSTRUCTIONS = ('amx_bf16', 'avx512_bf16', 'amx_fp16', 'avx512_fp16')


def _features_from_env(value):
    """``MMVIT_EXT_CPU_FEATURES='CAPABILITY[:INSTRUCTION,...]'``, e.g.
    ``'AVX2'`` (no native bf16 or fp16) or ``'AVX512:avx512_bf16'``."""
    capability, _, names = value.partition(':')
    names = [n for n in names.split(',') if n]
    bad = [n for n in names if n not in CPU_INSTRUCTIONS]
    if not capability or bad:
        raise ValueError(
            f'MMVIT_EXT_CPU_FEATURES {value!r} is not CAPABILITY[:INSTRUCTION'
            f',...] with instructions from {list(CPU_INSTRUCTIONS)}')
    features = dict.fromkeys(CPU_INSTRUCTIONS, False)
    features.update(dict.fromkeys(names, True))
    return dict(capability=capability, **features)


def cpu_features():
    """This CPU's capability as torch dispatches it (``'AVX2'``,
    ``'AVX512'``, ...) and its low-precision matmul instructions.

    ``MMVIT_EXT_CPU_FEATURES`` (``'AVX2'``, ``'AVX512:avx512_bf16'``, ...)
    stands in for the probes, to see what the rules pick on another CPU:
    it changes the package's choices, not the kernels torch runs."""
    value = os.environ.get('MMVIT_EXT_CPU_FEATURES')
    if value:
        return _features_from_env(value)
    flags = cpuinfo()[1]
    return dict(
        capability=torch.backends.cpu.get_cpu_capability(),
        amx_bf16=torch.cpu._is_amx_tile_supported(),
        avx512_bf16=torch.cpu._is_avx512_bf16_supported(),
        amx_fp16=torch.cpu._is_amx_fp16_supported(),
        avx512_fp16='avx512_fp16' in flags)


def cpu_bf16_kind(features=None):
    """``'amx'``, ``'avx512_bf16'`` or None: how this CPU computes bf16
    matmuls natively, the key of the measured attention rule."""
    features = features or cpu_features()
    if features['amx_bf16']:
        return 'amx'
    if features['avx512_bf16']:
        return 'avx512_bf16'
    return None


def native_precisions(device):
    """``{dtype name: (native, how we know)}`` for bf16 and fp16 on
    ``device``."""
    device = torch.device(device)
    if device.type == 'cuda':
        major, minor = torch.cuda.get_device_capability(device)
        cc = f'compute capability {major}.{minor}'
        # fp16 as before this rule: every CUDA GPU (not measured here)
        return dict(bfloat16=(major >= 8, cc), float16=(True, cc))
    if device.type != 'cpu':  # fp16, as before this rule
        why = f'no bf16 rule for {device.type}'
        return dict(bfloat16=(False, why), float16=(True, why))
    f = cpu_features()
    bf16 = [n for n, k in (('AMX', 'amx_bf16'),
                           ('AVX-512-BF16', 'avx512_bf16')) if f[k]]
    fp16 = [n for n, k in (('AMX-FP16', 'amx_fp16'),
                           ('AVX-512-FP16', 'avx512_fp16')) if f[k]]
    return dict(
        bfloat16=(bool(bf16), bf16[0] if bf16 else
                  f"{f['capability']}: no AMX or AVX-512-BF16"),
        float16=(bool(fp16), fp16[0] if fp16 else
                 f"{f['capability']}: no AMX-FP16 or AVX-512-FP16"))


def resolve_amp_dtype(dtype, device):
    """The autocast dtype for ``dtype`` (one of ``AMP_DTYPES``) on
    ``device``, and why.

    ``'auto'`` takes bf16 where the device computes in it natively, else
    fp16 where that is native, else ``torch.float32``: no autocast, since
    emulated bf16 and fp16 matmuls are ~100x slower than fp32. An explicit
    dtype is honoured, and the reason then names the slowdown where the
    device emulates it (``is_emulated``).

    Returns:
        tuple[torch.dtype, str]: the dtype and why.
    """
    if dtype not in AMP_DTYPES:
        raise ValueError(f'AMP dtype {dtype!r} is not one of {AMP_DTYPES}')
    native = native_precisions(device)
    if dtype != 'auto':
        fast, how = native[dtype]
        if fast:
            return getattr(torch, dtype), f'requested ({how})'
        return getattr(torch, dtype), (
            f'requested, but {how}: {dtype} is emulated'
            f'{_cost(dtype, device)}')
    for name in LOW_PRECISIONS:
        fast, how = native[name]
        if fast:
            return getattr(torch, name), f'auto: {how}'
    why = '; '.join(how for _, how in native.values())
    return torch.float32, (f'auto: no native bf16 or fp16 ({why}), so fp32'
                           f'{_cost("both", device)}')


def is_emulated(dtype, device):
    """Whether ``device`` has no native path for ``dtype`` (a torch dtype;
    fp32 never is)."""
    name = str(dtype).replace('torch.', '')
    return name in LOW_PRECISIONS and not native_precisions(device)[name][0]


def _cost(dtype, device):
    if torch.device(device).type != 'cpu':
        return ''
    if dtype == 'both':
        return (f": bf16 and fp16 matmuls would run about "
                f"{EMULATED_SLOWDOWN['bfloat16']}x and "
                f"{EMULATED_SLOWDOWN['float16']}x slower")
    return f', about {EMULATED_SLOWDOWN[dtype]}x slower than fp32 in matmuls'
