"""Safe checkpoint loading for mmengine on torch >= 2.6.

torch.load now defaults to ``weights_only=True``, which refuses the globals
that mmengine's own checkpoints pickle, so ``resume``, ``load_from`` and
``tools/test.py`` fail out of the box. This module fixes that without ever
loading unsafely:

* Loading: the few globals an mmengine checkpoint needs are allow-listed
  (``HistoryBuffer`` and numpy's array/scalar/dtype reconstruction), and
  mmengine's local-file loader passes ``weights_only=True`` explicitly and
  turns a refusal into :class:`UnsafeCheckpointError`, which names the file
  and the refused global.
* ``builtins.getattr`` is never allow-listed: it is the classic gadget for
  running code. It appears in mmengine checkpoints only because
  ``HistoryBuffer.__getstate__`` pickles its class-level statistics methods
  (``getattr(HistoryBuffer, 'min')``). Checkpoints saved after importing
  mmvit_ext leave them out; for older ones, the name ``builtins.getattr``
  resolves to :func:`_history_buffer_getattr`, which only looks up those
  statistics methods on ``HistoryBuffer`` and refuses anything else.
* Nothing here falls back to ``weights_only=False``. Load a file you trust
  that way yourself, with ``torch.load``.

It also makes every checkpoint path (``init_cfg`` Pretrained, ``load_from``,
``get_model(..., pretrained=...)``, ``tools/test.py``) accept official and
timm checkpoints, converted on the fly, from a local path or an http(s) URL
(downloaded once into a cache, atomically); see :func:`load_checkpoint_any`.
A checkpoint that does not fit its model is an error naming the keys
(:func:`check_fits`, :func:`load_pretrained`), never a warning.
"""
import hashlib
import os
import os.path as osp
import pickle
import re
import shutil
import urllib.request
from collections import OrderedDict

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.logging import MMLogger
from mmengine.model.weight_init import PretrainedInit
from mmengine.runner.checkpoint import CheckpointLoader

from mmvit_ext.converters.layouts import to_mmvit_checkpoint
from mmvit_ext.converters.utils import unwrap_state_dict
from mmvit_ext.registry import WEIGHT_INITIALIZERS
from mmvit_ext.utils import atomic_write

try:  # numpy >= 2
    from numpy._core import multiarray as _np_multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _np_multiarray


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs a global that is not allow-listed."""


class CorruptCheckpointError(RuntimeError):
    """A file is empty, truncated or not a PyTorch checkpoint."""


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


# Registered lazily by the first ``HistoryBuffer()``; custom ones are added to
# ``HistoryBuffer._statistics_methods`` by ``register_statistics``.
_DEFAULT_STATISTICS = {'min', 'max', 'current', 'mean'}


def _history_buffer_getattr(obj, name):
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods."""
    allowed = _DEFAULT_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refused getattr({obj!r}, {name!r}): a checkpoint may only look up '
        f'the statistics methods {sorted(allowed)} of mmengine HistoryBuffer')


def _numpy_dtype_classes():
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is None:  # pragma: no cover - numpy < 1.25
        return []
    return [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]


#: What mmengine checkpoints need beyond tensors and builtins.
SAFE_GLOBALS = [
    HistoryBuffer,
    np.dtype,
    np.ndarray,
    _np_multiarray._reconstruct,
    _np_multiarray.scalar,
    *_numpy_dtype_classes(),
    (_history_buffer_getattr, 'builtins.getattr'),
]


def _history_buffer_getstate(self):
    """Pickle a ``HistoryBuffer`` without its statistics methods.

    The methods are registered on the class at import time; pickling them
    (as mmengine does) only adds ``builtins.getattr`` to every checkpoint.
    """
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def load_checkpoint_file(filename, map_location=None):
    """``torch.load(filename, weights_only=True)`` with errors that name the
    file.

    Args:
        filename (str): A local checkpoint path.
        map_location: As for :func:`torch.load`.

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptCheckpointError: The file is empty, truncated or not a
            PyTorch checkpoint.
        UnsafeCheckpointError: The file needs a global that is not
            allow-listed. Nothing from it has been executed.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    if osp.getsize(filename) == 0:
        raise CorruptCheckpointError(f'checkpoint {filename} is empty '
                                     '(0 bytes)')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if 'Unsupported operand' in str(e) or 'invalid load key' in str(e):
            raise CorruptCheckpointError(
                f'checkpoint {filename} is not a PyTorch checkpoint (or is '
                'damaged): it is not a valid pickle') from None
        raise UnsafeCheckpointError(
            f'Refused to load {filename}: it needs a Python global that is '
            'not allow-listed for safe (weights_only=True) loading, so '
            'loading it could run arbitrary code. Only load such a file if '
            'you trust its source, with torch.load(..., weights_only=False) '
            f'yourself.\n{e}') from None
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as e:
        first_line = (str(e).splitlines() or [type(e).__name__])[0]
        raise CorruptCheckpointError(
            f'checkpoint {filename} is damaged (truncated or not a PyTorch '
            f'checkpoint): {type(e).__name__}: {first_line}') from None


def checkpoint_cache_dir():
    """Where downloaded checkpoints are kept:
    ``$MMVIT_EXT_CACHE/checkpoints`` (default ``~/.cache/mmvit_ext``)."""
    root = os.environ.get('MMVIT_EXT_CACHE',
                          osp.join('~', '.cache', 'mmvit_ext'))
    return osp.join(osp.expanduser(root), 'checkpoints')


def cached_checkpoint_path(url, cache_dir=None):
    """Where :func:`download_checkpoint` keeps ``url``:
    ``<cache>/<sha256(url)[:8]>-<basename>``."""
    cache_dir = cache_dir or checkpoint_cache_dir()
    name = osp.basename(url.split('?')[0]) or 'checkpoint.pth'
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return osp.join(cache_dir, f'{digest}-{name}')


def download_checkpoint(url, cache_dir=None):
    """Download ``url`` once into the cache and return the local path.

    The file is named ``<sha256(url)[:8]>-<basename>`` and written
    atomically, so an interrupted download leaves nothing behind and is
    simply repeated next time.
    """
    path = cached_checkpoint_path(url, cache_dir)
    if osp.isfile(path):
        return path
    MMLogger.get_current_instance().info(f'Downloading {url} to {path}')
    try:
        with urllib.request.urlopen(url, timeout=60) as response, \
                atomic_write(path) as f:
            shutil.copyfileobj(response, f)
    except OSError as e:
        raise OSError(f'could not download checkpoint {url}: {e}') from None
    return path


def load_checkpoint_any(filename, map_location=None):
    """Load a local or http(s) checkpoint safely and convert an official or
    timm layout to ours (``backbone.``/``head.`` keys)."""
    filename = str(filename)
    local = download_checkpoint(filename) \
        if filename.startswith(('http://', 'https://')) else filename
    checkpoint = load_checkpoint_file(local, map_location=map_location)
    converted = to_mmvit_checkpoint(checkpoint, filename)
    if converted is not checkpoint:
        MMLogger.get_current_instance().info(
            f'{filename}: converted from the '
            f'{converted["meta"]["converted_from"]} layout')
    return converted


# mmengine logs ``Loads checkpoint by <name[10:]> backend``.
def load_from_local(filename, map_location=None):
    return load_checkpoint_any(filename, map_location)


def load_from_http(filename, map_location=None):
    return load_checkpoint_any(filename, map_location)


def _listed(keys, limit=10):
    keys = sorted(keys)
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'{keys[:limit]}{more}'


def check_fits(module, state_dict, source='checkpoint'):
    """Raise unless ``state_dict`` has exactly ``module``'s keys and shapes.

    Raises:
        CheckpointMismatchError: Names the missing keys (left at their random
            init otherwise), the unexpected ones and the shape mismatches.
    """
    expected = module.state_dict()
    missing = set(expected) - set(state_dict)
    unexpected = set(state_dict) - set(expected)
    mismatched = {
        k: (tuple(state_dict[k].shape), tuple(expected[k].shape))
        for k in set(expected) & set(state_dict)
        if hasattr(state_dict[k], 'shape') and
        state_dict[k].shape != expected[k].shape and
        not _resized_on_load(k)
    }
    problems = []
    if missing:
        problems.append(f'{len(missing)} missing key(s) {_listed(missing)}')
    if unexpected:
        problems.append(
            f'{len(unexpected)} unexpected key(s) {_listed(unexpected)}')
    if mismatched:
        shapes = [f'{k}: checkpoint {a} vs model {b}'
                  for k, (a, b) in sorted(mismatched.items())[:10]]
        problems.append(f'{len(mismatched)} shape mismatch(es) {shapes}')
    if problems:
        raise CheckpointMismatchError(
            f'{source} does not fit {type(module).__name__}: '
            + '; '.join(problems))


def _resized_on_load(key):
    """Position embeddings are resized by the backbones' load hooks."""
    return key.rsplit('.', 1)[-1] == 'pos_embed'


def load_pretrained(module, filename, prefix=None, map_location='cpu',
                    revise_keys=((r'^module\.', ''), )):
    """Load a checkpoint into ``module``, strictly.

    Official and timm checkpoints are converted first, and a URL is
    downloaded once into the cache. ``prefix`` (e.g. ``'backbone.'``) takes
    that part of the checkpoint; with no prefix, a converted classifier
    checkpoint loaded into a bare backbone takes ``'backbone.'``.

    Raises:
        CheckpointMismatchError: Some of the module's weights are missing
            from the checkpoint, or it has keys or shapes the module lacks.
    """
    try:
        checkpoint = load_checkpoint_any(filename, map_location=map_location)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'{e}: the weights to initialise {type(module).__name__} with '
            '(init_cfg Pretrained) must be a file or an http(s) URL; '
            'official and timm checkpoints are converted on load. The '
            "shipped configs' backbone bases (configs/_base_/backbones/) "
            'say how to make or get theirs') from None
    state_dict = unwrap_state_dict(checkpoint)
    for pattern, repl in revise_keys:
        state_dict = OrderedDict(
            (re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    own = set(module.state_dict())
    if prefix is None and not own & set(state_dict) and any(
            k.startswith('backbone.') for k in state_dict):
        prefix = 'backbone.'
    if prefix:
        if not any(k.startswith(prefix) for k in state_dict):
            raise CheckpointMismatchError(
                f'{filename} has no keys with the prefix {prefix!r}; its '
                f'keys start with {_listed({k.split(".")[0] for k in state_dict})}')
        state_dict = OrderedDict((k[len(prefix):], v)
                                 for k, v in state_dict.items()
                                 if k.startswith(prefix))
    # A backbone fits the checkpoint where it knows how (a grey stem to an
    # RGB one, ViTDet's relative-position tables) before the check; its load
    # hook does the same on every other loading path.
    adapt = getattr(module, '_adapt_checkpoint', None)
    if adapt is not None:
        adapt(state_dict, '')
    check_fits(module, state_dict, f'{filename} (prefix {prefix!r})'
               if prefix else str(filename))
    module.load_state_dict(state_dict, strict=True)
    MMLogger.get_current_instance().info(
        f'Loaded {type(module).__name__} from {filename}'
        + (f' (prefix {prefix!r})' if prefix else ''))
    return checkpoint


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class StrictPretrainedInit(PretrainedInit):
    """mmengine's ``init_cfg=dict(type='Pretrained', checkpoint, prefix)``
    for configs in the ``mmvit_ext`` scope, through
    :func:`~mmvit_ext.engine.load_pretrained`: strict, converting
    official/timm layouts, accepting URLs."""

    def __call__(self, module):
        load_pretrained(module, self.checkpoint, prefix=self.prefix,
                        map_location=self.map_location)


def setup_safe_checkpoint_loading():
    """Allow-list mmengine's checkpoint globals and route mmengine's loading
    of local files through :func:`load_checkpoint_file`. Idempotent."""
    torch.serialization.add_safe_globals(SAFE_GLOBALS)
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    # mmengine's own http loader calls torch.hub with weights_only=False.
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)
