"""What ``benchmark.py``'s modes share: the settings and their dtypes, the
timer, the matmul peak, the device's name and the progress lines."""
import sys
import time

import torch

SETTINGS = ('fp32', 'amp', 'compile', 'compile+amp')


def progress(message):
    """A progress line, on stderr so that stdout is the table alone."""
    print(message, file=sys.stderr, flush=True)


def amp_dtype(args):
    from mmvit_ext.utils.precision import resolve_amp_dtype
    return resolve_amp_dtype(args.amp_dtype or 'auto', args.device)[0]


def setting_dtype(setting, args):
    return amp_dtype(args) if 'amp' in setting else torch.float32


def runnable_settings(args):
    """``args.settings`` less the amp settings that would not autocast: with
    ``--amp-dtype`` left to 'auto' on a device with no native bf16 or fp16,
    amp is fp32 (``mmvit_ext.utils.precision``), and each is skipped with
    its reason. An emulated dtype asked for by name is measured, with a
    warning, since it runs ~100x slower than fp32."""
    from mmvit_ext.utils.precision import is_emulated, resolve_amp_dtype
    dtype, why = resolve_amp_dtype(args.amp_dtype or 'auto', args.device)
    kept = []
    for setting in args.settings:
        if 'amp' in setting and dtype == torch.float32:
            print(f'skipped {setting}: {why}', flush=True)
        else:
            kept.append(setting)
    if not kept:
        sys.exit(f'nothing to measure: {", ".join(args.settings)} skipped; '
                 'add fp32 to --settings, or name an emulated dtype with '
                 '--amp-dtype')
    if any('amp' in s for s in kept) and is_emulated(dtype, args.device):
        print(f'warning: amp autocasts to {dtype}: {why}', flush=True)
    return kept


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def timed(step, iters, device):
    """Seconds per call of ``step``, after two warm-up calls."""
    for _ in range(2):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    sync(device)
    return (time.perf_counter() - start) / iters


#: The smallest side the peak matmul starts from.
PEAK_MIN_SIDE = 256


def measure_peak(dtype, args):
    """The device's matmul rate at ``dtype`` in GFLOP/s: the best of five
    timings of a square matmul, and its side. The side doubles from 256 up
    to ``--peak-size`` while the measurement (17 calls: two warm-up, five
    rounds of three) would stay within ``--peak-seconds``, so that it takes
    seconds on any device, an emulated dtype included (a 4096 bf16 matmul
    takes 2.5 minutes on a CPU with AVX2 only)."""
    device = torch.device(args.device)

    def once(n):
        a, b = (torch.randn(n, n, device=device, dtype=dtype)
                for _ in range(2))
        return timed(lambda: a @ b, 1, device), (a, b)

    n = min(PEAK_MIN_SIDE, args.peak_size)
    seconds, (a, b) = once(n)
    while 2 * n <= args.peak_size and 17 * 8 * seconds <= args.peak_seconds:
        n *= 2
        seconds, (a, b) = once(n)
    best = min(timed(lambda: a @ b, 3, device) for _ in range(5))
    return dict(gflops=2 * n**3 / best / 1e9, side=n)


def device_name(device):
    """What the figures depend on: the GPU's name, or the CPU's model and
    which of its bf16 matmul instructions it has (``/proc/cpuinfo``)."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.get_device_name(device)
    from mmvit_ext.utils.precision import cpuinfo
    model, flags = cpuinfo()
    if not flags:  # not Linux: no flags to read
        return model
    isa = [f for f in ('amx_bf16', 'avx512_bf16', 'avx512f') if f in flags]
    return f"{model} ({', '.join(isa) or 'no avx512'})"
