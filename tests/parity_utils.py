"""Helpers for parity tests against reference implementations."""
import torch
from mmpretrain.apis import get_model


def randomize_(model, seed=0, std=0.05):
    """Overwrite every parameter and float buffer with random values.

    Reference models start with LayerScale at 1e-6 and zero biases, which
    would let a wrong block or a dropped key go unnoticed; random values make
    every weight matter. Norm scales stay near 1 to keep activations sane.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(
                model.named_buffers()):
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=g) * std
            if 'norm' in name and name.endswith('weight') or \
                    name.endswith('running_var'):
                t.copy_(1 + noise)
            else:
                t.copy_(noise * (4 if t.ndim == 1 else 1))
    return model.eval()


def build_ours(config, state_dict):
    """Build the model of ``config`` offline and load ``state_dict`` with
    ``strict=True``."""
    model = get_model(config)
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


def image(size, batch=1, seed=0):
    h, w = (size, size) if isinstance(size, int) else size
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, h, w, generator=g)
