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
            if t.is_floating_point():
                t.copy_(_random_value(name, t.shape, g, std))
    return model.eval()


def build_ours(config, state_dict, **overrides):
    """Build the model of ``config`` offline (``overrides`` of its model
    dict applied) and load ``state_dict`` with ``strict=True``."""
    model = get_model(config, **overrides)
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


def image(size, batch=1, seed=0):
    h, w = (size, size) if isinstance(size, int) else size
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, h, w, generator=g)


def _random_value(name, shape, g, std):
    """One random tensor for ``name``: scales near 1 for norms, positive
    variances for BatchNorm, small values elsewhere."""
    noise = torch.randn(shape, generator=g) * std
    if name.endswith('running_var'):
        return 1 + noise.abs()
    if ('norm' in name or 'bn' in name) and name.endswith('weight') \
            and len(shape) == 1:
        return 1 + noise
    return noise * (4 if len(shape) == 1 else 1)


def random_state_dict(manifest, seed, std=0.05):
    """A reproducible random state dict from ``[(key, shape, dtype), ...]``.

    Fixtures made from official code that is not a test dependency store
    only the manifest, the seed and the official outputs; this rebuilds the
    exact weights those outputs came from.
    """
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape, dtype in manifest:
        if dtype.startswith('torch.int'):
            out[key] = torch.zeros(shape, dtype=getattr(torch, dtype[6:]))
        else:
            out[key] = _random_value(key, tuple(shape), g, std)
    return out


def state_dict_manifest(state_dict):
    return [(k, list(v.shape), str(v.dtype)) for k, v in state_dict.items()]


def state_checksum(state_dict):
    return float(sum(v.double().sum() for v in state_dict.values()
                     if v.is_floating_point()))


def save_official_fixture(path, model, input_shape, official, seed=0,
                          keep_weights=True):
    """Give an official model random weights, run it in eval mode and save
    what a parity test needs: the weights (or their manifest and seed), the
    input and the logits."""
    model.eval()
    manifest = state_dict_manifest(model.state_dict())
    state_dict = random_state_dict(manifest, seed)
    model.load_state_dict(state_dict, strict=True)
    x = torch.randn(input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = model(x)
    fixture = dict(official=official, manifest=manifest, seed=seed,
                   checksum=state_checksum(state_dict), input=x,
                   logits=logits)
    if keep_weights:
        fixture['state_dict'] = state_dict
    torch.save(fixture, path)
    return fixture


def load_official_fixture(path):
    """``(state_dict in the official layout, input, logits)`` of a fixture,
    rebuilding the weights from the manifest when they were not kept."""
    fixture = torch.load(path, weights_only=True)
    state_dict = fixture.get('state_dict')
    if state_dict is None:
        state_dict = random_state_dict(fixture['manifest'], fixture['seed'])
    assert abs(state_checksum(state_dict) - fixture['checksum']) <= \
        1e-9 * abs(fixture['checksum']) + 1e-9, \
        f'{path}: the random generator no longer rebuilds the weights'
    return state_dict, fixture['input'], fixture['logits']
