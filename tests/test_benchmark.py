"""tools/analysis_tools/benchmark.py, run as a user runs it, on the demo
model: its throughput, GFLOP/s and utilisation columns agree with each
other, with the FLOPs and with the matmul peak it prints."""
import os
import re

import pytest
import torch

from user_utils import run

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = 'tools/analysis_tools/benchmark.py'
DEMO = 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'


def printed_range(text):
    """The values a printed number stood for: its last digit rounded."""
    digits = text.split('e')[0]
    decimals = len(digits.split('.')[1]) if '.' in digits else 0
    scale = 10**int(text.split('e')[1]) if 'e' in text else 1
    half = 0.5 * 10**-decimals * scale
    return float(text) - half, float(text) + half


def test_amp_is_skipped_where_the_cpu_has_no_native_bf16_or_fp16(
        monkeypatch, capsys):
    """On a CPU that emulates bf16 and fp16 (the probes patched), amp
    settings are skipped with the reason, and fp32 is measured alone; bf16
    by name is measured, with a warning."""
    from mmvit_ext.utils import precision
    monkeypatch.setattr(precision, 'cpu_features', lambda: dict(
        capability='AVX2', amx_bf16=False, avx512_bf16=False, amx_fp16=False,
        avx512_fp16=False))
    tool = import_tool(monkeypatch)
    args = tool.parse_args([DEMO, '--settings', 'fp32,amp,compile+amp'])
    assert tool.runnable_settings(args) == ['fp32']
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f'skipped {s}: auto: no native bf16 or fp16 (AVX2: no AMX or '
        'AVX-512-BF16; AVX2: no AMX-FP16 or AVX-512-FP16), so fp32: bf16 '
        'and fp16 matmuls would run about 95x and 120x slower'
        for s in ('amp', 'compile+amp')]
    args = tool.parse_args([DEMO, '--settings', 'amp'])
    with pytest.raises(SystemExit, match='nothing to measure: amp skipped'):
        tool.runnable_settings(args)
    args = tool.parse_args([DEMO, '--settings', 'fp32,amp', '--amp-dtype',
                            'bfloat16'])
    capsys.readouterr()
    assert tool.runnable_settings(args) == ['fp32', 'amp']
    assert capsys.readouterr().out == (
        'warning: amp autocasts to torch.bfloat16: requested, but AVX2: no '
        'AMX or AVX-512-BF16: bfloat16 is emulated, about 95x slower than '
        'fp32 in matmuls\n')


def import_tool(monkeypatch):
    """benchmark.py as a module, its sibling modules importable as they are
    when it runs as a script."""
    from mmvit_ext.utils import import_by_path
    monkeypatch.syspath_prepend(os.path.dirname(os.path.join(ROOT, TOOL)))
    return import_by_path(os.path.join(ROOT, TOOL), 'benchmark_tool')


def test_the_peak_matmul_is_sized_to_its_time_budget(monkeypatch):
    """The side doubles from 256 while 17 calls of the next size fit in
    --peak-seconds, up to --peak-size; the rate is of the side it used."""
    tool = import_tool(monkeypatch)
    args = tool.parse_args([DEMO, '--peak-seconds', '0'])
    assert args.peak_size == 4096
    peak = tool.measure_peak(torch.float32, args)
    assert peak['side'] == 256 and peak['gflops'] > 0
    args = tool.parse_args([DEMO, '--peak-seconds', '1e6', '--peak-size',
                            '512'])
    assert tool.measure_peak(torch.float32, args)['side'] == 512
    args = tool.parse_args([DEMO, '--peak-size', '64'])
    assert tool.measure_peak(torch.float32, args)['side'] == 64


def progress_lines(out, total):
    """The [i/total] lines, by i, in the order printed."""
    lines = re.findall(rf'^\[(\d+)/{total}\] (.*)$', out, re.M)
    by_step = {}
    for step, text in lines:
        by_step.setdefault(int(step), []).append(text)
    return by_step


def test_attention_grid_prints_its_table_crossovers_and_plot(tmp_path):
    plot = tmp_path / 'crossover.png'
    out = run(ROOT, TOOL, '--attention', '--settings', 'fp32', '--tokens',
              '17,33', '--heads-dims', '2x8', '--batch-size', '2', '--iters',
              '1', '--rounds', '1', '--plot', plot)
    rows = re.findall(r'^\| float32 \| 2 \| 8 \| (\d+) \|', out, re.M)
    assert rows == ['17', '33']
    assert re.search(r'^crossover float32 2x8 \(fwd\+bwd\): ', out, re.M)
    assert 'auto picks the faster fwd+bwd (training step) in ' in out
    # Progress: each cell as it starts and as it ends, with its figures.
    steps = progress_lines(out, 2)
    assert sorted(steps) == [1, 2]
    for texts in steps.values():
        assert texts[0].startswith('float32 2x8 at ') and \
            texts[0].endswith('1 round(s) of 1 calls per path and pass')
        assert re.fullmatch(r'math speed-up [\d.]+x fwd\+bwd, [\d.]+x fwd',
                            texts[1])
    import matplotlib.image
    img = matplotlib.image.imread(str(plot))
    assert img.shape[1] == 1000 and img.shape[0] == 400
    assert f'plot: {plot}' in out
    out = run(ROOT, TOOL, DEMO, '--plot', plot, ok=False)
    assert '--plot draws the --attention grid' in out


def table(out):
    """The rows of the printed table, as dicts keyed by the header."""
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith('model '))
    header = [h.strip() for h in lines[start].split('|')]
    rows = []
    for ln in lines[start + 2:]:
        if '|' not in ln:
            break
        rows.append(dict(zip(header, (c.strip() for c in ln.split('|')))))
    return rows


def test_benchmark_reports_consistent_throughput_and_utilisation():
    # bf16 by name, on every CPU (emulated, with a warning, where it has no
    # native path): the test asserts on a bf16 step's ops.
    out = run(ROOT, TOOL, DEMO, '--settings', 'fp32,amp', '--amp-dtype',
              'bfloat16', '--batch-size', '8', '--iters', '2', '--rounds',
              '1', '--peak-size', '256', '--profile', '6')
    peak_line = next(ln for ln in out.splitlines()
                     if ln.startswith('matmul peak'))
    peaks = dict(re.findall(r'(bfloat16|float16|float32) (\d+) GFLOP/s',
                            peak_line))
    assert 'float32' in peaks and len(peaks) == 2, out
    rows = table(out)
    # The documented columns come first, in their order; new ones follow.
    assert list(rows[0])[:8] == [
        'model', 'impl', 'size', 'params (M)', 'FLOPs (G)', 'train img/s',
        'infer img/s', 'peak RSS MB']
    assert [(r['impl'], r['setting']) for r in rows] == [
        ('mmvit_ext', 'fp32'), ('mmvit_ext', 'amp')]
    amp_dtype = next(d for d in peaks if d != 'float32')
    assert amp_dtype == 'bfloat16'
    for row in rows:
        dtype = 'float32' if row['setting'] == 'fp32' else amp_dtype
        flops = float(row['FLOPs (G)'])  # multiply-adds per image
        # 4 blocks over 17 tokens of 64 channels (qkv, proj, 2 MLP
        # layers, 2 attention matmuls), the 7x7 patch stem, the head.
        blocks = 4 * 17 * (64 * 192 + 64 * 64 + 2 * 64 * 256 + 2 * 17 * 64)
        analytic = blocks + 16 * 49 * 64 + 64 * 10
        assert flops == pytest.approx(analytic / 1e9, rel=0.02)
        for mode, passes in (('train', 3), ('infer', 1)):
            ips = float(row[f'{mode} img/s'])
            gflops_s = float(row[f'{mode} GFLOP/s'])
            # 2 FLOPs per multiply-add; the backward does twice the forward.
            assert gflops_s == pytest.approx(2 * passes * flops * ips,
                                             rel=0.02, abs=1)
            # The utilisation of the unrounded figures, within what their
            # printed roundings allow (a peak of 1 GFLOP/s is 0.5-1.5).
            g_low, g_high = printed_range(row[f'{mode} GFLOP/s'])
            p_low, p_high = printed_range(peaks[dtype])
            util = float(row[f'{mode} util'].rstrip('%'))
            assert 100 * g_low / p_high - 0.5 <= util <= \
                100 * g_high / max(p_low, 1e-9) + 0.5, (util, row, peaks)
            # The step's matmuls alone, as a share of the step's time.
            roof_s = float(row[f'{mode} roofline ms']) / 1e3
            share = float(row[f'{mode} of roofline'].rstrip('%'))
            assert share == pytest.approx(100 * roof_s * ips / 8, rel=0.02,
                                          abs=1)
    assert 'amp: over our fp32 = ' in out
    # --profile: the training step's ops, matmuls flagged, then the
    # roofline's matmuls one by one (the demo's 4 blocks: 4 qkv forwards).
    profile = out.split('(mmvit_ext, amp): a training step, each op timed '
                        'where it ran')[1]
    assert re.search(r'aten::addmm +\d+ +[\d.]+ +[\d.]+% +yes', profile)
    qkv = r'aten::addmm bfloat16 \[192\] \[136, 64\] \[64, 192\] +4 '
    assert re.search(qkv, profile), profile
    assert 'cpu_malloc auto (keep)' in out
    # Progress on stderr: the two peaks, then the two rows, each as it
    # starts (what, for how long) and as it ends (its figures, its time).
    steps = progress_lines(out, 4)
    assert sorted(steps) == [1, 2, 3, 4] and all(
        len(texts) == 2 for texts in steps.values())
    assert [steps[i][0].split(' matmul')[0] for i in (1, 2)] == [
        'bfloat16', 'float32']
    for i in (1, 2):
        assert re.fullmatch(r'\w+ matmul peak: \d+ GFLOP/s at 256 a side, in '
                            r'[\d.]+ s', steps[i][1]), steps[i]
    assert steps[3][0] == ('mmvit_ext deit3-tiny-p7_1xb128_fashion-mnist '
                           'fp32, round 1/1: 2 timed iterations a mode '
                           'after 2 warm-up')
    for i in (3, 4):
        assert re.fullmatch(r'train [\d.e+]+ img/s, infer [\d.e+]+ img/s, '
                            r'in [\d.]+ s', steps[i][1]), steps[i]


def test_profile_step_infer_lists_a_forward_without_grad():
    out = run(ROOT, TOOL, DEMO, '--settings', 'amp', '--amp-dtype',
              'bfloat16', '--batch-size', '4', '--iters', '1', '--rounds',
              '1', '--peak-size', '128', '--profile', '40', '--profile-step',
              'infer')
    profile = out.split('(mmvit_ext, amp): an inference step, each op timed '
                        'where it ran')[1]
    ops = re.findall(r'^(aten::\S+) +\d+ ', profile, re.M)
    assert 'aten::addmm' in ops, profile
    # No backward, no optimizer step: a forward in eval mode.
    assert not [op for op in ops if 'backward' in op or 'adam' in op], ops
    # The roofline's matmuls of that step: the 4 qkv forwards, batch 4.
    assert re.search(r'aten::addmm bfloat16 \[192\] \[68, 64\] '
                     r'\[64, 192\] +4 ', profile), profile


def test_on_an_avx2_cpu_amp_is_skipped_and_fp32_measured():
    """As a user on a CPU without native bf16 or fp16 runs it (the rules
    told so by MMVIT_EXT_CPU_FEATURES): amp is skipped with its reason, the
    fp32 row is measured with its progress lines, and amp alone is an
    error that says what to do."""
    env = dict(os.environ, MMVIT_EXT_CPU_FEATURES='AVX2')
    out = run(ROOT, TOOL, DEMO, '--settings', 'fp32,amp', '--batch-size',
              '4', '--iters', '1', '--rounds', '1', '--peak-size', '128',
              '--no-roofline', env=env)
    assert out.startswith('skipped amp: auto: no native bf16 or fp16 (AVX2: '
                          'no AMX or AVX-512-BF16; ')
    assert [r['setting'] for r in table(out)] == ['fp32']
    assert re.findall(r'^matmul peak: (\w+) ', out, re.M) == ['float32']
    assert sorted(progress_lines(out, 2)) == [1, 2]
    out = run(ROOT, TOOL, DEMO, '--settings', 'amp', env=env, ok=False)
    assert 'nothing to measure: amp skipped; add fp32 to --settings' in out


def test_benchmark_refuses_what_it_cannot_compare():
    out = run(ROOT, TOOL, DEMO, '--compare-timm', ok=False)
    assert "no timm equivalent for DeiT3 arch 'custom'" in out
    out = run(ROOT, TOOL, DEMO, '--settings', 'fp32,fp8', ok=False)
    assert "unknown settings ['fp8']" in out


def test_backbone_mode_compares_vitdet_with_global_attention(tmp_path):
    """--backbone at --shape, ViTDet against global attention, rounds taken
    in turn: each row's median lies within its min-max, and windows cost
    fewer FLOPs than global attention."""
    config = tmp_path / 'vitdet.py'
    config.write_text(
        "model = dict(backbone=dict(type='mmvit_ext.DeiT3', arch=dict("
        "embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),"
        " img_size=64, patch_size=8, out_type='featmap', window_size=3,"
        " global_attn_indexes=(-1, ), use_rel_pos=True))\n")
    out = run(ROOT, TOOL, str(config), '--backbone', '--shape', '64', '48',
              '--compare-global', '--rounds', '2', '--batch-size', '2',
              '--iters', '1', '--peak-size', '128')
    assert 'median of 2 round(s)' in out
    rows = table(out)
    assert [(r['impl'], r['size']) for r in rows] == [
        ('mmvit_ext', '64x48'), ('global attn', '64x48')]
    for row in rows:
        for mode in ('train', 'infer'):
            low, high = map(float, row[f'{mode} min-max'].split('-'))
            assert low <= float(row[f'{mode} img/s']) <= high
    assert float(rows[0]['FLOPs (G)']) < float(rows[1]['FLOPs (G)'])
    assert 'vitdet (backbone) fp32: ours / global attn = ' in out


def test_backbone_mode_refusals():
    out = run(ROOT, TOOL, DEMO, '--compare-global', ok=False)
    assert '--compare-global needs --backbone' in out
    out = run(ROOT, TOOL, DEMO, '--backbone', '--compare-global',
              '--rounds', '1', '--iters', '1', '--batch-size', '1',
              '--peak-size', '64', ok=False)
    assert 'has no window attention or relative positions' in out


def test_timm_gets_the_configs_uniform_drop_path(tmp_path, monkeypatch):
    """DeiT III's configs give every block one drop-path rate
    (``layer_cfgs``); timm's model in the comparison gets the same, block 0
    included, instead of timm's linear rise from 0."""
    import importlib

    import timm
    import_tool(monkeypatch)
    tool = importlib.import_module('benchmark_models')
    config = tmp_path / 'uniform.py'
    config.write_text("model = dict(backbone=dict(type='mmvit_ext.DeiT3', "
                      "arch='s', drop_path_rate=0., "
                      "layer_cfgs=dict(drop_path_rate=0.2)))\n")
    assert tool.drop_path_rate(str(config)) == (0., 0.2)
    model = timm.create_model('deit3_small_patch16_224', drop_path_rate=0.2,
                              depth=3)
    tool.uniform_drop_path(model, 0.2)
    assert [(b.drop_path1.drop_prob, b.drop_path2.drop_prob)
            for b in model.blocks] == [(0.2, 0.2)] * 3
