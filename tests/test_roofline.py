"""``mmvit_ext.analysis.roofline``: a recorded step's matmuls are the ones
it ran (attention as its two forward and four backward matmuls, whichever
kernel ran it), each timed alone, and the op table adds up to the step."""
import pytest
import torch
import torch.nn.functional as F

from mmvit_ext.analysis.roofline import (TensorMeta, op_table, record_ops,
                                         roofline_seconds)
from mmvit_ext.models.layers import attend


def step_of(impl):
    torch.manual_seed(0)
    proj = torch.nn.Linear(16, 48)
    x = torch.randn(2, 5, 16)

    def step():
        q, k, v = proj(x).view(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
        out = attend(q, k, v, impl=impl)
        F.gelu(out).sum().backward()
    return step


def shapes(rows):
    return sorted((label.split(' ', 1)[0] if label.startswith('aten')
                   else 'attention', label.rsplit('float32 ', 1)[-1], calls)
                  for label, calls, _ in rows)


@pytest.mark.parametrize('impl', ['sdpa', 'math'])
def test_the_roofline_holds_the_steps_matmuls(impl):
    ops = record_ops(step_of(impl))
    total, rows = roofline_seconds(ops, iters=1)
    linear = [('aten::addmm', '[48] [10, 16] [16, 48]', 1),  # forward
              ('aten::mm', '[48, 10] [10, 16]', 1)]  # weight gradient
    if impl == 'sdpa':
        # (2 * 2 heads, 5 tokens, 8 dims): q k^T and p v forward; dO v^T,
        # p^T dO, dS k and dS^T q backward. The same shapes share a row.
        assert shapes(rows) == sorted(linear + [
            ('attention', '(4, 5, 8) @ (4, 8, 5)', 2),
            ('attention', '(4, 5, 5) @ (4, 5, 8)', 4)])
    else:  # the matmuls themselves, batched over (B, heads)
        bmms = [(label, calls) for label, calls, _ in rows
                if label.startswith('aten::bmm')]
        assert sum(calls for _, calls in bmms) == 6
        assert sorted(r for r in shapes(rows)
                      if r[0] != 'aten::bmm') == sorted(linear)
    assert total == pytest.approx(sum(n * s for _, n, s in rows))
    assert total > 0


def test_the_op_table_adds_up_and_flags_the_matmuls():
    ops = record_ops(step_of('math'))
    table = op_table(ops, limit=100)
    assert sum(s for _, _, s, _ in table) == pytest.approx(
        sum(s for _, s in ops.timed))
    flags = {name: roof for name, _, _, roof in table}
    assert flags['aten::addmm'] and flags['aten::bmm']
    assert not flags['aten::gelu'] and not flags['aten::_softmax']
    calls = {name: n for name, n, _, _ in table}
    assert calls['aten::bmm'] == 6 and calls['aten::addmm'] == 1


def test_a_recorded_layout_comes_back_with_its_strides():
    t = torch.randn(4, 6).t()[:, :3]  # transposed, a slice
    meta = TensorMeta.of(t)
    again = meta.random()
    assert (again.shape, again.stride(), again.dtype) == (
        t.shape, t.stride(), t.dtype)
    wide = TensorMeta.of(torch.ones(3, 1).expand(3, 5)).random()
    assert wide.stride() == (1, 0)  # overlapping strides kept
