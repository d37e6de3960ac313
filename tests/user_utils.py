"""Helpers for tests that work as a user does: through ``tools/*.py`` on a
folder of images."""
import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# What every tool imports first. A server process (``tool_server.py``)
# imports it once; each tool then runs in a child forked from it, set up as
# ``python TOOL ARGS`` would be (its own process, ``__main__``, argv, cwd,
# the caller's environment, the tool's own ``sys.path``, a fresh numpy seed,
# exit status, stdout and stderr), without paying the ~5 s of imports again.
# mmvit_ext is not among them: a tool has to import what it uses. The dense
# server adds mmdet and mmseg, for the tools that run them only, so that a
# dense install mmdet rejects fails those tools and no others.
PRELOAD = {
    'classification': ['torch', 'mmengine.runner', 'mmcv', 'mmpretrain.apis'],
}
PRELOAD['dense'] = PRELOAD['classification'] + ['mmdet.models',
                                                'mmseg.models']
_servers = {}


class ToolServer:
    """One ``tool_server.py`` process, started on first use."""

    def __init__(self, kind):
        self.proc = subprocess.Popen(
            [sys.executable, '-P', os.path.join(HERE, 'tool_server.py'),
             *PRELOAD[kind]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=HERE)
        self.failed = self._reply(600)['failed']
        atexit.register(self.close)

    def _reply(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else None
        if line is None:
            raise TimeoutError(f'no answer from the tool server in {timeout} s')
        if not line:
            raise RuntimeError('the tool server died: '
                               f'exit status {self.proc.wait()}')
        return json.loads(line)

    def run(self, cwd, argv, out, err, env, timeout):
        self.proc.stdin.write(json.dumps(dict(
            cwd=str(cwd), argv=argv, out=out, err=err, env=env)) + '\n')
        self.proc.stdin.flush()
        pid = self._reply(60)['pid']
        try:
            return self._reply(timeout)['status']
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            self._reply(60)
            raise TimeoutError(f'{argv} ran over {timeout} s') from None

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(60)


def server(kind):
    if kind not in _servers:
        _servers[kind] = ToolServer(kind)
    return _servers[kind]


def call(cwd, *args, env=None, dense=False, fresh=False):
    """Run a python script in ``cwd`` and return its
    ``subprocess.CompletedProcess`` (text output). A script runs in a child
    of the tool server (the dense one with ``dense=True``), in the caller's
    environment as it is now; with an ``env`` of its own, ``fresh=True`` or
    anything other than a script (``-m``, ``-c``), in a fresh interpreter."""
    args = [str(a) for a in args]
    if fresh or env is not None or not args[0].endswith('.py'):
        return subprocess.run([sys.executable, *args], cwd=cwd, text=True,
                              capture_output=True, timeout=600, env=env)
    with tempfile.TemporaryDirectory() as tmp:
        out, err = (os.path.join(tmp, n) for n in ('out', 'err'))
        for path in (out, err):
            open(path, 'w').close()
        status = server('dense' if dense else 'classification').run(
            cwd, args, out, err, dict(os.environ), 600)
        stdout, stderr = (open(p, errors='replace').read() for p in (out, err))
    return subprocess.CompletedProcess(args, status, stdout, stderr)


def run(cwd, *args, ok=True, **kwargs):
    """``call`` a python script; assert it succeeds (or fails, ``ok=False``)
    and return its output (stdout, then stderr)."""
    proc = call(cwd, *args, **kwargs)
    log = proc.stdout + proc.stderr
    assert (proc.returncode == 0) == ok, log[-4000:]
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
