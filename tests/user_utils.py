"""Helpers for tests that work as a user does: through ``tools/*.py`` on a
folder of images."""
import os
import subprocess
import sys

import cv2
import numpy as np


def run(cwd, *args, ok=True, env=None):
    """Run a python script; assert it succeeds (or fails, ``ok=False``) and
    return its output."""
    proc = subprocess.run([sys.executable, *args], cwd=cwd, text=True,
                          capture_output=True, timeout=600, env=env)
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
