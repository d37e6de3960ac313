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
"""
import os.path as osp
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

try:  # numpy >= 2
    from numpy._core import multiarray as _np_multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _np_multiarray


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs a global that is not allow-listed."""


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
    """``torch.load(filename, weights_only=True)`` with a clear refusal.

    Args:
        filename (str): A local checkpoint path.
        map_location: As for :func:`torch.load`.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file needs a global that is not
            allow-listed. Nothing from it has been executed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpointError(
            f'Refused to load {filename}: it needs a Python global that is '
            'not allow-listed for safe (weights_only=True) loading, so '
            'loading it could run arbitrary code. Only load such a file if '
            'you trust its source, with torch.load(..., weights_only=False) '
            f'yourself.\n{e}') from None


def setup_safe_checkpoint_loading():
    """Allow-list mmengine's checkpoint globals and route mmengine's loading
    of local files through :func:`load_checkpoint_file`. Idempotent."""
    torch.serialization.add_safe_globals(SAFE_GLOBALS)
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_file, force=True)
