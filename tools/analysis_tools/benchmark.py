"""Throughput, utilisation, memory, parameters and FLOPs of config models.

Prints one row per model and setting: train and inference images/s, the
GFLOP/s they achieve and their utilisation (the percentage of this device's
matmul peak at the row's dtype, which the tool measures itself on a square
matmul), peak memory, params and FLOPs (multiply-adds, attention included).

Settings (``--settings``, comma-separated; default from the flags):
``fp32``, ``amp`` (autocast to bf16 where the device computes in it, else
fp16 where that is native, else skipped with its reason; ``--amp-dtype``
overrides), ``compile`` (``torch.compile``) and
``compile+amp``. Every setting is applied to every implementation alike.

Reference implementations beside ours, measured the same way in the same run:
``--compare-timm`` (DeiT III, DeiT, PiT) and ``--compare-official DIR`` (a
local checkout of zhoudaquan/dvit_repo for DeepViT or coeusguo/ceit for CeiT;
nothing of it is copied). Under the table, ratios: ours over each reference
per setting, and each setting over our own fp32.

Each measurement runs in its own process, so peak memory belongs to that
model alone (peak CUDA memory on a GPU, peak resident memory of the process
on a CPU). The implementations take turns over ``--rounds`` rounds (ours,
timm, ours, timm, ...), so that a slow spell of the machine hits them alike;
each row gives the median of its rounds and their spread (min-max), and the
ratios are of medians. With ``--with-cp`` a row for our model with
activation checkpointing (``backbone.with_cp=True``) follows ours, with the
memory it saves.

``--backbone`` measures the config's backbone alone (any config: mmpretrain,
mmdet or mmseg), at ``--shape`` (default: its ``img_size``), trained on the
mean square of its outputs. ``--compare-global`` adds a row for the same
backbone with global attention in every block and no relative positions,
for a config with ViTDet's window attention.

The roofline columns: the step's own matmuls (``mm``, ``addmm``, ``bmm``,
the convolutions; a fused attention as the matmuls it stands for) timed
alone on random tensors of their shapes, layouts and dtypes
(``mmvit_ext.analysis.roofline``), and the share of the step's time that
is; 100% would be a step that does nothing but those matmuls at the speed
this device reaches at those shapes. ``--profile N`` lists the N ops that
take the most of a training step (``--profile-step infer``: of an
inference step; on a CPU each ATen op timed where it ran, so that they add
up to the step; on a GPU ``torch.profiler``) and the roofline's matmuls one
by one. ``--cpu-malloc`` sets how every worker's C
library keeps freed memory (``env_cfg.cpu_malloc``, default ``auto`` as the
runner), the same for every implementation.

``--attn-impl`` sets our models' attention (``auto``, ``sdpa``, ``math``;
default: as the config says). ``--attention`` measures the attention alone
instead of models: forward and forward+backward of ``sdpa`` and ``math``
over a grid of ``--tokens`` and ``--heads-dims`` at ``--batch-size``, for
each dtype of ``--settings``, with the speed-up of the explicit matmuls, the
crossover length and what ``auto`` picks; ``--plot PNG`` draws it.

Progress goes to stderr, a line as each measurement starts (what, for how
long) and as it ends (its figures, how long it took); stdout is the table.
The matmul peak of each dtype is sized to ``--peak-seconds``.

The modes live in ``benchmark_models.py`` and ``benchmark_attention.py``
beside this file, what they share in ``benchmark_common.py``.

Usage:
    python tools/analysis_tools/benchmark.py --attention [--settings fp32,amp]
        [--tokens 50,197,785] [--heads-dims 6x64,4x48] [--batch-size 16]
        [--plot PNG]
    python tools/analysis_tools/benchmark.py CONFIG [CONFIG ...]
        [--settings fp32,amp,compile+amp] [--amp] [--compile]
        [--amp-dtype bfloat16|float16] [--compare-timm]
        [--compare-official DIR] [--with-cp] [--backbone] [--shape H [W]]
        [--compare-global] [--batch-size 32] [--iters 10] [--rounds 3]
        [--attn-impl auto|sdpa|math] [--profile N]
        [--profile-step train|infer] [--no-roofline] [--cpu-malloc
        auto|keep|system] [--peak-seconds 15] [--device cpu]
"""
import argparse
import json

import torch

from benchmark_attention import attention_grid
from benchmark_common import SETTINGS, measure_peak, runnable_settings
from benchmark_models import measure, official_factory, run_models, timm_name


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='*', help='model config files')
    parser.add_argument('--settings',
                        help=f'comma-separated, of {list(SETTINGS)}')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (the "amp" setting)')
    parser.add_argument('--amp-dtype', choices=['bfloat16', 'float16'],
                        help='the autocast dtype (default: bf16 where the '
                        'device computes in it, else fp16 where that is '
                        'native, else amp is skipped)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile (the "compile" setting)')
    parser.add_argument('--compare-timm', action='store_true',
                        help='add a row for the same timm architecture')
    parser.add_argument('--compare-official', metavar='DIR',
                        help='add a row for the official DeepViT or CeiT '
                        'model from a local checkout')
    parser.add_argument('--with-cp', action='store_true',
                        help='add a row for ours with activation '
                        'checkpointing')
    parser.add_argument('--backbone', action='store_true',
                        help="measure the config's backbone alone")
    parser.add_argument('--shape', type=int, nargs='+', metavar='SIZE',
                        help='input H [W] (default: the img_size)')
    parser.add_argument('--compare-global', action='store_true',
                        help='with --backbone: add a row with global '
                        'attention in every block (for ViTDet configs)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--iters', type=int, default=10,
                        help='timed iterations per mode (after 2 warm-up)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='rounds over the implementations, taken in '
                        'turn; rows give the median and the min-max')
    parser.add_argument('--peak-size', type=int, default=4096,
                        help='the largest side of the square matmul that '
                        'measures the peak')
    parser.add_argument('--peak-seconds', type=float, default=15,
                        help='about how long the peak of each dtype may '
                        'take: its side doubles from 256 while it fits')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--no-roofline', action='store_true',
                        help='skip the roofline columns (the step\'s '
                        'matmuls timed alone)')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='after the table, the N ops that take the most '
                        'time in a training step of each row (on a CPU the '
                        'wall time of each ATen op where it ran, which adds '
                        'up to the step; on a GPU torch.profiler), and the '
                        'matmuls of the roofline')
    parser.add_argument('--profile-step', choices=('train', 'infer'),
                        default='train',
                        help='the step --profile lists: a training step '
                        '(default) or an inference step (no grad, eval '
                        'mode)')
    from mmvit_ext.models.layers import ATTN_IMPLS
    from mmvit_ext.utils import CPU_MALLOC_MODES
    parser.add_argument('--cpu-malloc', choices=CPU_MALLOC_MODES,
                        default='auto',
                        help="how every worker's C library keeps freed "
                        "memory (env_cfg.cpu_malloc; default: 'auto', as "
                        'the runner)')
    parser.add_argument('--attn-impl', choices=ATTN_IMPLS,
                        help="our models' attention (default: the "
                        "config's)")
    parser.add_argument('--attention', action='store_true',
                        help='time the attention implementations over a '
                        'grid instead of models')
    parser.add_argument('--tokens', default='50,65,145,197,257,401,577,785',
                        help='with --attention: sequence lengths')
    parser.add_argument('--heads-dims', default='3x64,6x64,12x64,4x48',
                        help='with --attention: HEADSxDIM pairs')
    parser.add_argument('--plot', metavar='PNG',
                        help="with --attention: draw the math path's "
                        'speed-up against the length into this file')
    parser.add_argument('--worker', nargs='+', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.attention and args.configs:
        parser.error('--attention times the attention alone: give no '
                     f'configs (got {args.configs})')
    if not args.attention and not args.configs:
        parser.error('give one or more configs, or --attention')
    if args.plot and not args.attention:
        parser.error('--plot draws the --attention grid: add --attention')
    if args.attention:
        try:
            args.tokens = [int(t) for t in args.tokens.split(',')]
            args.heads_dims = [tuple(int(n) for n in hd.split('x'))
                               for hd in args.heads_dims.split(',')]
            assert all(len(hd) == 2 for hd in args.heads_dims)
        except (ValueError, AssertionError):
            parser.error(f'--tokens {args.tokens!r} must be ints and '
                         f'--heads-dims {args.heads_dims!r} HEADSxDIM pairs, '
                         'comma-separated')
    if args.shape and len(args.shape) > 2:
        parser.error(f'--shape takes H or H W, got {args.shape}')
    if args.compare_global and not args.backbone:
        parser.error('--compare-global needs --backbone')
    if args.backbone and (args.compare_timm or args.compare_official):
        parser.error('--backbone measures our backbone alone: it cannot be '
                     'combined with --compare-timm or --compare-official')
    if args.rounds < 1:
        parser.error(f'--rounds {args.rounds} must be >= 1')
    if args.settings:
        args.settings = args.settings.split(',')
        bad = [s for s in args.settings if s not in SETTINGS]
        if bad:
            parser.error(f'unknown settings {bad}: choose from '
                         f'{list(SETTINGS)}')
    else:
        args.settings = ['+'.join(
            [n for n, on in (('compile', args.compile), ('amp', args.amp))
             if on]) or 'fp32']
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmvit_ext.utils import set_cpu_malloc
    set_cpu_malloc(args.cpu_malloc)  # this process; workers take the flag
    if args.worker:  # one measurement, in a process of its own
        if args.worker[0] == 'peak':
            print(json.dumps(measure_peak(getattr(torch, args.worker[1]),
                                          args)))
        else:
            impl, config, setting = args.worker
            print(json.dumps(measure(impl, config, setting, args)))
        return
    args.settings = runnable_settings(args)
    if args.attention:
        return attention_grid(args)
    for config in args.configs:  # fail early for an unknown architecture
        if args.compare_timm:
            timm_name(config)
        if args.compare_official:
            official_factory(config)
    run_models(args)


if __name__ == '__main__':
    main()
