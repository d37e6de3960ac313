"""``env_cfg.cpu_malloc``: 'keep' stops glibc from handing a freed large
block back to the system and faulting it in again on the next allocation;
the runner reads the key, and a bad value is an error naming the choices."""
import os
import platform

import pytest

from mmvit_ext.utils import CPU_MALLOC_MODES, set_cpu_malloc
from user_utils import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# In a fresh interpreter (this one may keep memory already): the page faults
# of allocating and filling a 64 MiB block, as a training step allocates its
# activations, five times after a warm-up, each block freed before the next.
# The faults are counted around the allocation alone, so nothing else the
# interpreter does is counted. A 64 MiB block is above glibc's largest mmap
# threshold (32 MiB): by default each one is a new mapping whose pages fault
# in one by one; kept, the freed block is taken again with its pages.
# numpy's buffer, not torch's: torch asks for 64-byte aligned memory, and an
# aligned request of the same size does not fit the freed block when a small
# allocation sits right after it (the training step's savings, measured, are
# in docs/benchmarks.md). numpy's huge-page advice is off, so that a page is
# 4 KiB where the kernel does not use huge pages for everything.
FAULTS = """
import importlib.util, resource, sys
import numpy as np
spec = importlib.util.spec_from_file_location(  # not the whole package
    'cpu_malloc', 'mmvit_ext/utils/cpu_malloc.py')
cpu_malloc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu_malloc)
print(cpu_malloc.set_cpu_malloc(sys.argv[1]))
counts = []
for step in range(6):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = np.ones(16 * 2**20, np.float32)
    counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    del block
print(*counts[1:])
"""
# The fewest faults that map 64 MiB: 2 MiB pages, where the kernel puts
# huge pages everywhere ('always'); 16384 of 4 KiB otherwise.
MIN_FAULTS = 64 * 2**20 // (2 * 2**20)


def faults(mode):
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE='0')
    applied, *counts = run(ROOT, '-c', FAULTS, mode, env=env).split()[-6:]
    return applied, [int(c) for c in counts]


@pytest.mark.slow
@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc', reason='glibc only')
def test_keep_reuses_freed_memory_and_system_does_not():
    applied, system = faults('system')
    assert applied == 'system'
    # Each new mapping faults its pages in.
    assert min(system) >= MIN_FAULTS, system
    applied, kept = faults('keep')
    assert applied == 'keep'
    # The freed block is taken again with its pages: none faults.
    assert max(kept) < MIN_FAULTS // 4, kept
    assert set_cpu_malloc('auto') == 'keep'  # as the runner's default


def test_bad_values_name_the_choices():
    with pytest.raises(ValueError, match=r"cpu_malloc 'never' is not one "
                       r"of \['auto', 'keep', 'system'\]"):
        set_cpu_malloc('never')
    assert CPU_MALLOC_MODES == ('auto', 'keep', 'system')


def test_the_runner_reads_env_cfg(tmp_path):
    """The runner applies ``env_cfg.cpu_malloc`` while it sets up, before
    it builds anything."""
    from mmvit_ext.engine import Runner
    with pytest.raises(ValueError, match="cpu_malloc 'yes' is not one of"):
        Runner(model=dict(type='NoSuchModel'), work_dir=str(tmp_path),
               env_cfg=dict(cpu_malloc='yes'))


def test_keep_without_glibc_is_an_error(monkeypatch):
    monkeypatch.setattr(platform, 'libc_ver', lambda: ('musl', '1.2'))
    with pytest.raises(RuntimeError, match="needs glibc's mallopt; this C "
                       'library is musl'):
        set_cpu_malloc('keep')
    assert set_cpu_malloc('auto') == 'system'
