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
# of five training steps of an MLP whose activations (8 and 32 MB) are
# allocated and freed each step, after one warm-up step.
FAULTS = """
import importlib.util, resource, sys, torch
spec = importlib.util.spec_from_file_location(  # not the whole package
    'cpu_malloc', 'mmvit_ext/utils/cpu_malloc.py')
cpu_malloc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu_malloc)
print(cpu_malloc.set_cpu_malloc(sys.argv[1]))
model = torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.GELU(),
                            torch.nn.Linear(1024, 256))
x = torch.randn(8192, 256)
model(x).square().mean().backward()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    model(x).square().mean().backward()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode):
    applied, count = run(ROOT, '-c', FAULTS, mode).split()[-2:]
    return applied, int(count)


@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc', reason='glibc only')
def test_keep_reuses_freed_memory_and_system_does_not():
    applied, system = faults('system')
    assert applied == 'system'
    # Each step faults its activations in again: > 20 MB in 4 KiB pages.
    assert system > 5 * 20 * 2**20 // 4096
    applied, kept = faults('keep')
    assert applied == 'keep'
    # Kept, those pages are not faulted in again. Measured: 18 k of 179 k
    # faults on one machine, 14-33 k of 110-200 k on another (the system
    # count varies run to run), so the bound is on what is saved.
    assert system - kept > 5 * 20 * 2**20 // 4096, (kept, system)
    assert kept < system / 2, (kept, system)
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
