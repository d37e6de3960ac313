"""What a step's own matmuls cost alone: the roofline of a training step.

:func:`record_ops` runs a step under a ``TorchDispatchMode`` and keeps every
ATen op it dispatches (autograd's backward included), with the shapes,
strides and dtypes of its tensors and the wall time it took where it ran.
:func:`roofline_seconds` then times each distinct matmul of that log alone
on random tensors of the same layout: ``mm``, ``addmm``, ``bmm``,
``baddbmm``, the convolutions and their backward, and every fused
attention counted as the matmuls it stands for (two forward,
``q k^T`` and ``p v``; four backward). So the roofline is the same whichever
attention implementation ran, and a step at 100% of it would spend its time
in nothing but those matmuls, at the speed this machine reaches at those
shapes and dtypes (not at one 4096² matmul).

On a CPU the recorded wall times add up to the step's time
(:func:`op_table` lists them); on a GPU they are launch times, and
``torch.profiler`` is the tool.
"""
import collections
import statistics
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

aten = torch.ops.aten
#: ATen ops timed as they are.
MATMUL_OPS = (aten.mm.default, aten.addmm.default, aten.bmm.default,
              aten.baddbmm.default, aten.convolution.default,
              aten.convolution_backward.default)


class TensorMeta(collections.namedtuple(
        'TensorMeta', 'shape stride dtype device')):
    """What of a tensor an op's time depends on."""

    @classmethod
    def of(cls, t):
        return cls(tuple(t.shape), t.stride(), t.dtype, str(t.device))

    def random(self):
        """A tensor of this layout, from random storage (normal values for
        floats, zeros otherwise); overlapping strides are kept."""
        size = 1 + sum((n - 1) * s for n, s in zip(self.shape, self.stride)
                       if n > 0)
        storage = torch.empty(size, dtype=self.dtype, device=self.device)
        if storage.is_floating_point():
            storage.normal_()
        else:
            storage.zero_()
        return storage.as_strided(self.shape, self.stride)


def _is_attention(func):
    """Whether ``func`` is a fused attention op (forward or backward)."""
    name = func.name()
    return 'scaled_dot_product' in name and 'attention' in name


class _Timer(TorchDispatchMode):
    """Each op and its wall time, and nothing else between ops (work in
    between, even converting the arguments, made the next ops up to 3x
    slower than they run in the plain step)."""

    def __init__(self, sync):
        super().__init__()
        self.ops, self.sync = [], sync

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        start = time.perf_counter()
        out = func(*args, **(kwargs or {}))
        self.sync()
        self.ops.append((func, time.perf_counter() - start))
        return out


class _Recorder(TorchDispatchMode):
    """Each op and the layouts of its arguments."""

    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.ops.append((func, tree_map(
            lambda a: TensorMeta.of(a) if isinstance(a, torch.Tensor) else a,
            (args, kwargs))))
        return func(*args, **kwargs)


StepOps = collections.namedtuple('StepOps', 'timed recorded')
StepOps.__doc__ = """A step's ATen ops in order: ``timed`` as ``(op, seconds)``
and ``recorded`` as ``(op, (args, kwargs) with tensors as TensorMeta)``,
from two runs of the step."""


def record_ops(step, device='cpu'):
    """Run ``step()`` twice, once timing each ATen op and once recording
    its arguments: a :class:`StepOps`."""
    device = torch.device(device)
    timer = _Timer(torch.cuda.synchronize if device.type == 'cuda' else
                   (lambda: None))
    with timer:
        step()
    recorder = _Recorder()
    with recorder:
        step()
    return StepOps(timer.ops, recorder.ops)


def attention_matmuls(func, args):
    """The bmm shapes, as (batch, n, k, m) per matmul, that the fused
    attention ``func`` stands for: q (..., L, E), k (..., S, E) and
    v (..., S, Ev) give ``q k^T`` and ``p v`` forward, and ``dO v^T``,
    ``p^T dO``, ``dS k`` and ``dS^T q`` backward."""
    tensors = [a for a in args if isinstance(a, TensorMeta)]
    backward = 'backward' in func.name()
    q, k, v = tensors[1:4] if backward else tensors[:3]
    batch = 1
    for n in q.shape[:-2]:
        batch *= n
    L, E = q.shape[-2:]
    S, Ev = v.shape[-2], v.shape[-1]
    if not backward:
        return [(batch, L, E, S), (batch, L, S, Ev)], q.dtype, q.device
    return [(batch, L, Ev, S), (batch, S, L, Ev), (batch, L, S, E),
            (batch, S, L, E)], q.dtype, q.device


def _median_seconds(fn, iters, sync):
    for _ in range(2):
        fn()
    sync()
    times = []
    for _ in range(max(iters, 1)):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def roofline_seconds(ops, iters=5):
    """Seconds that the matmuls of ``ops`` (:func:`record_ops`) take
    alone: each distinct one timed on random tensors of its layout (the
    median of ``iters`` calls after two warm-ups), times how often the step
    ran it. Returns ``(seconds, rows)``, a row per distinct matmul:
    ``(label, calls, seconds per call)``."""
    calls, metas = collections.Counter(), {}
    for func, meta in ops.recorded:
        if func in MATMUL_OPS:
            key = (func, repr(meta))
            calls[key] += 1
            metas[key] = meta
        elif _is_attention(func):
            shapes, dtype, device = attention_matmuls(func, meta[0])
            for shape in shapes:
                calls[('attention', shape, dtype, device)] += 1
    total, rows = 0., []
    for key, count in calls.items():
        if key[0] == 'attention':
            _, (b, n, k, m), dtype, device = key
            a = torch.randn(b, n, k, dtype=dtype, device=device)
            c = torch.randn(b, k, m, dtype=dtype, device=device)
            fn = (lambda a=a, c=c: torch.bmm(a, c))
            label = (f'attention as bmm {str(dtype)[6:]} ({b}, {n}, {k}) '
                     f'@ ({b}, {k}, {m})')
        else:
            func, meta = key[0], metas[key]
            args, kwargs = tree_map(
                lambda m: m.random() if isinstance(m, TensorMeta) else m,
                meta, is_leaf=lambda m: isinstance(m, TensorMeta))
            fn = (lambda f=func, a=args, kw=kwargs: f(*a, **kw))
            shapes = [m for m in meta[0] if isinstance(m, TensorMeta)]
            label = f'{func.name()} {str(shapes[0].dtype)[6:]} ' + ' '.join(
                str(list(m.shape)) for m in shapes)
            device = shapes[0].device
        sync = torch.cuda.synchronize if str(device).startswith('cuda') \
            else (lambda: None)
        seconds = _median_seconds(fn, iters, sync)
        total += count * seconds
        rows.append((label, count, seconds))
    return total, rows


def op_table(ops, limit=20):
    """The ``limit`` ATen ops that took the most wall time where they ran,
    by op name: ``(name, calls, seconds, counted in the roofline)``."""
    seconds, calls = collections.Counter(), collections.Counter()
    for func, s in ops.timed:
        seconds[func.name()] += s
        calls[func.name()] += 1
    roof = {f.name() for f in MATMUL_OPS}
    return [(name, calls[name], s,
             name in roof or 'scaled_dot_product' in name)
            for name, s in seconds.most_common(limit)]
