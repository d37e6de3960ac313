"""How the C library hands memory back: ``env_cfg.cpu_malloc``.

A training step on a CPU allocates and frees the same large activations
every iteration. glibc returns a freed block above its mmap threshold
(dynamic, at most 32 MB) or at the top of the heap above its trim threshold
to the system at once, and the next iteration takes it back page by page:
a DeiT III-S bf16 step at batch 16 took 49-64 thousand page faults and
0.22 s of system time out of 0.81 s. Kept in the process, the same step
takes ~600 faults and 0.64 s (``docs/benchmarks.md``). Peak memory is the
same; the process just does not shrink between iterations.
"""
import ctypes
import ctypes.util
import platform

#: ``env_cfg.cpu_malloc`` values: ``'keep'`` (freed blocks stay in the
#: process for the next iteration; needs glibc), ``'system'`` (the C
#: library's defaults) or ``'auto'`` (``'keep'`` where the C library is
#: glibc, else ``'system'``).
CPU_MALLOC_MODES = ('auto', 'keep', 'system')
# glibc's mallopt parameters (malloc.h) and what 'keep' sets them to: no
# allocation below 1 GiB gets its own mapping, and up to 2 GiB of free
# memory at the heap's top stays there.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP = {M_MMAP_THRESHOLD: 2**30, M_TRIM_THRESHOLD: 2**31 - 1}


def _glibc():
    """glibc, or None where the C library is another one."""
    if platform.libc_ver()[0] != 'glibc':
        return None
    return ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')


def set_cpu_malloc(mode='auto'):
    """Apply ``mode`` (see ``CPU_MALLOC_MODES``) to this process and the
    processes it forks later (data loader workers); returns what was
    applied, ``'keep'`` or ``'system'``.

    ``'system'`` leaves the C library as it is (a process that already
    kept memory keeps doing so). ``'keep'`` on a C library that is not
    glibc is an error, not a no-op.
    """
    if mode not in CPU_MALLOC_MODES:
        raise ValueError(f'cpu_malloc {mode!r} is not one of '
                         f'{list(CPU_MALLOC_MODES)}')
    if mode == 'system':
        return 'system'
    libc = _glibc()
    if libc is None:
        if mode == 'keep':
            raise RuntimeError(
                "cpu_malloc='keep' needs glibc's mallopt; this C library is "
                f'{platform.libc_ver()[0] or "unknown"}: use '
                "cpu_malloc='auto' or 'system'")
        return 'system'
    for param, value in KEEP.items():
        if libc.mallopt(param, value) != 1:
            raise RuntimeError(f'glibc refused mallopt({param}, {value})')
    return 'keep'
