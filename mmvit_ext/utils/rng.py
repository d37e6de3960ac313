"""The RNG states that a checkpoint carries and resume restores."""
import random

import numpy as np
import torch


def get_rng_states():
    """The python, numpy and torch (and CUDA) RNG states, as plain
    tensors and tuples that load with ``weights_only=True``."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    states = dict(
        python=random.getstate(),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos,
               has_gauss, cached),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states):
    """Restore what :func:`get_rng_states` returned."""
    random.setstate(states['python'])
    name, keys, pos, has_gauss, cached = states['numpy']
    np.random.set_state(
        (name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])
