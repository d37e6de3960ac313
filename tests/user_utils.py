"""Helpers for tests that work as a user does: through ``tools/*.py`` on a
folder of images."""
import atexit
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
import traceback

import cv2
import numpy as np

# What every tool imports first. A forkserver imports it once; each tool
# then runs in a process forked from it, as ``python TOOL ARGS`` would run
# (its own process, ``__main__``, argv, cwd, exit status, stdout and
# stderr), without paying the ~5 s of imports again.
PRELOAD = ['torch', 'mmengine.runner', 'mmcv', 'mmpretrain.apis',
           'mmvit_ext', 'mmdet.models', 'mmseg.models']
_context = None


def _tool_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context('forkserver')
        _context.set_forkserver_preload(PRELOAD)  # what is missing is skipped
    return _context


def _run_tool(cwd, argv, out_path, err_path, status_path):
    """The child: ``python argv[0] argv[1:]`` in ``cwd``."""
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(cwd)
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    status = 0
    try:
        runpy.run_path(argv[0], run_name='__main__')
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            status = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    with open(status_path, 'w') as f:
        f.write(str(status))


def run(cwd, *args, ok=True, env=None):
    """Run a python script; assert it succeeds (or fails, ``ok=False``) and
    return its output (stdout, then stderr). A script with no ``env`` of
    its own runs forked from the preloaded forkserver; anything else (an
    environment, ``-m``) in a fresh interpreter."""
    if env is not None or not args[0].endswith('.py'):
        proc = subprocess.run([sys.executable, *args], cwd=cwd, text=True,
                              capture_output=True, timeout=600, env=env)
        status, log = proc.returncode, proc.stdout + proc.stderr
    else:
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in ('out', 'err', 'status')]
            for path in paths[:2]:
                open(path, 'w').close()
            child = _tool_context().Process(
                target=_run_tool, args=(str(cwd), [str(a) for a in args],
                                        *paths))
            child.start()
            child.join(600)
            if child.is_alive():
                child.kill()
                child.join()
                raise TimeoutError(f'{args} ran over 600 s')
            log = ''.join(open(p, errors='replace').read()
                          for p in paths[:2])
            status = int(open(paths[2]).read()) if os.path.exists(
                paths[2]) else child.exitcode
    assert (status == 0) == ok, log[-4000:]
    return log


def write_folder(root, per_class):
    """Three classes of noisy grey images of various sizes: horizontal
    stripes, vertical stripes and a checkerboard, four periods across."""
    rng = np.random.default_rng(0)
    for split, n in (('train', per_class), ('val', per_class // 3)):
        for label in ('horizontal', 'vertical', 'checker'):
            os.makedirs(root / split / label, exist_ok=True)
            for i in range(n):
                size = int(rng.integers(20, 60))  # any size is resized
                rows, cols = np.indices((size, size)) * 8 // size % 2
                pattern = dict(horizontal=rows, vertical=cols,
                               checker=rows ^ cols)[label]
                img = pattern * 160 + 40 + rng.normal(0, 20, (size, size))
                cv2.imwrite(str(root / split / label / f'{i}.png'),
                            np.clip(img, 0, 255).astype(np.uint8))


# One small Fashion-MNIST config per family (28x28 grey images).
FAMILY_CONFIGS = {
    'deit3': 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py',
    'deit': 'configs/deit/deit-tiny-p7-dist-token_1xb128_fashion-mnist.py',
    'deepvit': 'configs/deepvit/deepvit-tiny-p7_1xb128_fashion-mnist.py',
    'ceit': 'configs/ceit/ceit-tiny-lca_1xb128_fashion-mnist.py',
    'pit': 'configs/pit/pit-tiny-p6_1xb128_fashion-mnist.py',
}


def build_random(root, name):
    """The model of ``FAMILY_CONFIGS[name]`` with seeded random weights, in
    eval mode, its BatchNorm statistics moved away from the identity."""
    import torch
    from mmengine.config import Config
    from mmpretrain.apis import get_model
    torch.manual_seed(0)
    model = get_model(Config.fromfile(
        os.path.join(root, FAMILY_CONFIGS[name]))).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2)
    return model
