"""``attn_impl``: the fused kernel (``'sdpa'``), the explicit matmuls
(``'math'``) and ``'auto'`` give the same numbers, forward and backward, in
fp32 and bf16, on every backbone case (ViTDet's windows and relative
positions, DeepViT's plain blocks beside re-attention, PiT's stages) and
CeiT's LCA head; they change no key; and each exports."""
import pytest
import torch

from backbone_cases import CASES, TINY_CEIT, params
from mmvit_ext.models.layers import (ATTN_IMPLS, attend, choose_attn_impl,
                                     set_attn_impl)
from mmvit_ext.models.layers import attention as attention_module
from mmvit_ext.registry import MODELS
from parity_utils import randomize_

IMPLS = ('sdpa', 'math', 'auto')


def qkv(shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g).to(dtype).requires_grad_()
            for _ in range(3)]


@pytest.mark.parametrize('dtype,tol', [(torch.float32, 1e-5),
                                       (torch.bfloat16, 2e-2)])
@pytest.mark.parametrize('with_bias', [False, True])
def test_the_paths_agree_forward_and_backward(dtype, tol, with_bias):
    shape = (2, 3, 17, 8)
    bias = torch.randn(2, 3, 17, 17).to(dtype) if with_bias else None
    outs, grads = [], []
    for impl in ('sdpa', 'math'):
        q, k, v = qkv(shape, dtype)
        out = attend(q, k, v, attn_mask=bias, impl=impl)
        out.float().square().sum().backward()
        outs.append(out.float())
        grads.append([t.grad.float() for t in (q, k, v)])
    torch.testing.assert_close(outs[1], outs[0], atol=tol, rtol=tol)
    for a, b in zip(grads[1], grads[0]):
        torch.testing.assert_close(a, b, atol=tol * 4, rtol=tol * 4)
    # And the reference formula, in float64.
    q, k, v = (t.detach().double() for t in qkv(shape, dtype))
    logits = q @ k.transpose(-2, -1) / 8**0.5
    if bias is not None:
        logits = logits + bias.double()
    torch.testing.assert_close(outs[1].double(), logits.softmax(-1) @ v,
                               atol=tol, rtol=tol)


@pytest.mark.parametrize('kind', ['amx', 'avx512_bf16', None])
def test_auto_follows_the_measured_rule(monkeypatch, kind):
    """On a CPU in bf16, the explicit matmuls up to the length measured for
    this kind of CPU and pass (with AMX: training steps up to 640 tokens,
    never for inference; with AVX512-BF16: both up to 1601; on a CPU that
    emulates bf16, never: not measured); the fused kernel for fp32, fp16,
    longer sequences and export."""
    monkeypatch.setattr(attention_module, 'CPU_BF16_KIND', kind)
    table = attention_module.CPU_BF16_MATH_MAX_TOKENS
    train, infer = table.get((kind, True), 0), table.get((kind, False), 0)
    # docs/benchmarks.md's crossovers
    assert (train, infer) == {'amx': (640, 0), 'avx512_bf16': (1601, 1601),
                              None: (0, 0)}[kind]

    def q(tokens, dtype=torch.bfloat16, grad=True):
        return torch.zeros(1, 1, tokens, 8, dtype=dtype, requires_grad=grad)

    if kind is None:
        for tokens in (1, 17, 197):
            assert choose_attn_impl(q(tokens)) == 'sdpa'
            assert choose_attn_impl(q(tokens, grad=False)) == 'sdpa'
        return
    assert choose_attn_impl(q(train)) == 'math'
    assert choose_attn_impl(q(train + 1)) == 'sdpa'
    assert choose_attn_impl(q(train, grad=False)) == (
        'math' if infer >= train else 'sdpa')
    assert choose_attn_impl(q(infer + 1, grad=False)) == 'sdpa'
    assert choose_attn_impl(q(train, torch.float32)) == 'sdpa'
    assert choose_attn_impl(q(train, torch.float16)) == 'sdpa'
    for impl in ('sdpa', 'math'):  # an explicit choice is kept
        assert choose_attn_impl(q(train + 1, grad=False), impl) == impl
    monkeypatch.setattr(attention_module, 'is_exporting', lambda: True)
    assert choose_attn_impl(q(train)) == 'sdpa'


def test_the_cpu_features_can_be_set_for_the_rules(monkeypatch):
    from mmvit_ext.utils import precision
    monkeypatch.setenv('MMVIT_EXT_CPU_FEATURES', 'AVX2')
    assert precision.cpu_features() == dict(
        capability='AVX2', amx_bf16=False, avx512_bf16=False, amx_fp16=False,
        avx512_fp16=False)
    assert precision.resolve_amp_dtype('auto', 'cpu')[0] == torch.float32
    monkeypatch.setenv('MMVIT_EXT_CPU_FEATURES', 'AVX512:avx512_bf16')
    assert precision.cpu_bf16_kind() == 'avx512_bf16'
    monkeypatch.setenv('MMVIT_EXT_CPU_FEATURES', 'AVX512:avx512bf16')
    with pytest.raises(ValueError, match=r"MMVIT_EXT_CPU_FEATURES "
                       r"'AVX512:avx512bf16' is not CAPABILITY\[:INSTRUCTION"
                       r",...\] with instructions from \['amx_bf16', "):
        precision.cpu_features()


def test_the_cpu_kind_comes_from_the_probes(monkeypatch):
    from mmvit_ext.utils import precision
    for amx, avx512, kind in ((True, True, 'amx'),
                              (False, True, 'avx512_bf16'),
                              (False, False, None)):
        monkeypatch.setattr(precision, 'cpu_features', lambda: dict(
            capability='AVX512' if avx512 else 'AVX2', amx_bf16=amx,
            avx512_bf16=avx512, amx_fp16=False, avx512_fp16=False))
        assert precision.cpu_bf16_kind() == kind


def test_the_length_limit_is_an_environment_override(monkeypatch):
    monkeypatch.setenv('MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS', '100')
    assert set(attention_module._math_max_tokens().values()) == {100}
    monkeypatch.delenv('MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS')
    assert attention_module._math_max_tokens() == \
        attention_module.CPU_BF16_MATH_MAX_TOKENS
    monkeypatch.setenv('MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS', 'many')
    with pytest.raises(ValueError, match="MMVIT_EXT_CPU_BF16_MATH_MAX_TOKENS "
                       "'many' is not an int"):
        attention_module._math_max_tokens()


def build(cfg, impl, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(dict(cfg, attn_impl=impl))
    model.init_weights()
    return randomize_(model, seed)


def flat(outs):
    flat = []
    for o in outs:
        flat += list(o) if isinstance(o, (tuple, list)) else [o]
    return flat


@pytest.mark.parametrize('case', params())
def test_every_backbone_gives_the_same_numbers_by_each_path(case,
                                                            monkeypatch):
    # The rule measured with AMX on every CPU, so that 'auto' takes the
    # fused kernel in fp32 and bf16 inference and the matmuls in bf16
    # training: it is then checked on both paths, against the one it took.
    monkeypatch.setattr(attention_module, 'CPU_BF16_KIND', 'amx')
    monkeypatch.setattr(attention_module, '_MATH_MAX_TOKENS',
                        attention_module.CPU_BF16_MATH_MAX_TOKENS)
    models = {impl: build(case.cfg, impl) for impl in IMPLS}
    keys = {impl: list(m.state_dict()) for impl, m in models.items()}
    assert keys['sdpa'] == keys['math'] == keys['auto']
    assert {m.attn_impl for m in models['math'].modules()
            if hasattr(type(m), 'attn_impl')} == {'math'}
    x = torch.randn(2, 3, case.img_size, case.img_size)

    def train_step(model, dtype=None):
        """Outputs and input gradient of a step in train mode (gradients
        through every branch; no dropout is set)."""
        model.train()
        xi = x.clone().requires_grad_()
        with torch.autocast('cpu', dtype=dtype or torch.bfloat16,
                            enabled=dtype is not None):
            outs = flat(model(xi))
        sum(o.float().square().mean() for o in outs).backward()
        model.eval()
        return outs, xi.grad

    results = {}
    for impl, model in models.items():
        results[impl] = train_step(model)
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            results[impl + '-bf16'] = (flat(model(x)), None)
        results[impl + '-bf16-train'] = train_step(model, torch.bfloat16)
    for impl in ('math', 'auto'):
        for suffix, tol in (('', 1e-4), ('-bf16', 5e-2),
                            ('-bf16-train', 5e-2)):
            got, grad = results[impl + suffix]
            ref, ref_grad = results['sdpa' + suffix]
            for a, b in zip(got, ref):
                torch.testing.assert_close(a.float(), b.float(), atol=tol,
                                           rtol=tol)
            if grad is not None:
                torch.testing.assert_close(grad, ref_grad, atol=tol,
                                           rtol=tol)
    # 'auto' is exactly the path the rule names, on each side of it.
    for suffix, taken in (('', 'sdpa'), ('-bf16', 'sdpa'),
                          ('-bf16-train', 'math')):
        (got, grad), (ref, ref_grad) = (results['auto' + suffix],
                                        results[taken + suffix])
        for a, b in zip(got, ref):
            assert torch.equal(a, b), (suffix, taken)
        assert grad is None or torch.equal(grad, ref_grad), (suffix, taken)
    # ... and the two paths differ in bf16 training, so that is a check.
    assert any(not torch.equal(a, b) for a, b in zip(
        results['sdpa-bf16-train'][0], results['math-bf16-train'][0]))


def test_the_lca_head_gives_the_same_numbers_by_each_path():
    logits = []
    for impl in ('sdpa', 'math'):
        torch.manual_seed(0)
        model = MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(TINY_CEIT, type='mmvit_ext.CeiT',
                          out_indices=(0, 1, 2), final_norm=False,
                          attn_impl=impl),
            head=dict(type='mmvit_ext.LCAClsHead', num_classes=5,
                      in_channels=32,
                      num_layers=3, num_heads=2, attn_impl=impl)))
        model.init_weights()
        randomize_(model)
        logits.append(model(torch.randn(2, 3, 64, 64,
                                        generator=torch.Generator()
                                        .manual_seed(1)), mode='tensor'))
    torch.testing.assert_close(logits[1], logits[0], atol=1e-5, rtol=1e-4)


def test_a_bad_value_names_the_choices():
    with pytest.raises(ValueError, match=r"DeiT3 attn_impl 'flash' is not "
                       r"one of \['auto', 'math', 'sdpa'\]"):
        MODELS.build(dict(CASES['deit3'].cfg, attn_impl='flash'))
    with pytest.raises(ValueError, match=r"attn_impl 'flash' is not one of "
                       r"\['auto', 'sdpa', 'math'\]"):
        set_attn_impl(torch.nn.Linear(1, 1), 'flash')
    assert ATTN_IMPLS == ('auto', 'sdpa', 'math')


@pytest.mark.slow
@pytest.mark.parametrize('impl', ('sdpa', 'math'))
@pytest.mark.parametrize('name', ['deit3-vitdet', 'pit', 'deepvit'])
def test_each_path_exports(name, impl, tmp_path):
    """Trace, ``torch.export`` and both ONNX exporters, each against eager
    (windows, relative positions, PiT's stages, DeepViT's plain block)."""
    ort = pytest.importorskip('onnxruntime')
    import warnings
    case = CASES[name]
    model = build(case.cfg, impl).eval()
    x = torch.randn(1, 3, case.img_size, case.img_size)
    with torch.no_grad():
        expected = flat(model(x))
        traced = torch.jit.trace(model, (x, ), strict=False)
        for a, b in zip(flat(traced(x)), expected):
            torch.testing.assert_close(a, b)
        program = torch.export.export(model, (x, ))
        for a, b in zip(flat(program.module()(x)), expected):
            torch.testing.assert_close(a, b)
    for dynamo in (False, True):
        path = tmp_path / f'{dynamo}.onnx'
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.onnx.export(model, (x, ), str(path), dynamo=dynamo,
                              input_names=['input'])
        session = ort.InferenceSession(str(path),
                                       providers=['CPUExecutionProvider'])
        got = session.run(None, {'input': x.numpy()})
        for a, b in zip(got, expected):
            torch.testing.assert_close(torch.from_numpy(a), b, atol=1e-5,
                                       rtol=1e-4)
