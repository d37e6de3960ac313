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
crossover length and what ``auto`` picks.

Usage:
    python tools/analysis_tools/benchmark.py --attention [--settings fp32,amp]
        [--tokens 50,197,785] [--heads-dims 6x64,4x48] [--batch-size 16]
    python tools/analysis_tools/benchmark.py CONFIG [CONFIG ...]
        [--settings fp32,amp,compile+amp] [--amp] [--compile]
        [--amp-dtype bfloat16|float16] [--compare-timm]
        [--compare-official DIR] [--with-cp] [--backbone] [--shape H [W]]
        [--compare-global] [--batch-size 32] [--iters 10] [--rounds 3]
        [--attn-impl auto|sdpa|math] [--profile N]
        [--profile-step train|infer] [--no-roofline] [--cpu-malloc
        auto|keep|system] [--device cpu]
"""
import argparse
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

# (backbone type, arch, distilled) -> timm model name; ``{size}`` is the
# input size.
TIMM_EQUIVALENTS = {
    ('DeiT3', 's', False): 'deit3_small_patch16_{size}',
    ('DeiT3', 'm', False): 'deit3_medium_patch16_{size}',
    ('DeiT3', 'b', False): 'deit3_base_patch16_{size}',
    ('DeiT3', 'l', False): 'deit3_large_patch16_{size}',
    ('DeiT3', 'h', False): 'deit3_huge_patch14_{size}',
    **{('PiT', a, d): f'pit_{a}{"_distilled" if d else ""}_{{size}}'
       for a in ('ti', 'xs', 's', 'b') for d in (False, True)},
    **{('DeiT', a, d): f'deit_{n}{"_distilled" if d else ""}_patch16_{{size}}'
       for a, n in (('ti', 'tiny'), ('s', 'small'), ('b', 'base'))
       for d in (False, True)},
}
# (backbone type, arch) -> (module in the official checkout, factory).
OFFICIAL_EQUIVALENTS = {
    **{('DeepViT', a): ('models', f'deepvit_patch16_224_re_attn_{a}')
       for a in ('16b', '24b', '32b')},
    ('DeepViT', 's'): ('models', 'deepvit_S'),
    ('DeepViT', 'l'): ('models', 'deepvit_L'),
    **{('CeiT', a): ('ceit_model.py', f'ceit_{n}_patch16_{{size}}')
       for a, n in (('t', 'tiny'), ('s', 'small'), ('b', 'base'))},
}
ARCH_ALIASES = {'small': 's', 'medium': 'm', 'base': 'b', 'large': 'l',
                'huge': 'h', 'tiny': 'ti', 'xsmall': 'xs'}
SETTINGS = ('fp32', 'amp', 'compile', 'compile+amp')
IMPL_LABELS = dict(ours='mmvit_ext', cp='mmvit_ext+cp', timm='timm',
                   official='official', glob='global attn')
REFERENCES = ('timm', 'official', 'global attn')
# ViTDet's options, removed for the --compare-global row.
VITDET_KEYS = ('window_size', 'window_block_indexes', 'global_attn_indexes',
               'use_rel_pos', 'rel_pos_zero_init')


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
                        help='side of the square matmul that measures the '
                        'peak')
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
    parser.add_argument('--worker', nargs='+', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.attention and args.configs:
        parser.error('--attention times the attention alone: give no '
                     f'configs (got {args.configs})')
    if not args.attention and not args.configs:
        parser.error('give one or more configs, or --attention')
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


def amp_dtype(args):
    from mmvit_ext.engine import resolve_amp_dtype
    return resolve_amp_dtype(args.amp_dtype or 'auto', args.device)[0]


def runnable_settings(args):
    """``args.settings`` less the amp settings that would not autocast: with
    ``--amp-dtype`` left to 'auto' on a device with no native bf16 or fp16,
    amp is fp32 (``mmvit_ext.utils.precision``), and each is skipped with
    its reason. An emulated dtype asked for by name is measured, with a
    warning, since it runs ~100x slower than fp32."""
    from mmvit_ext.utils.precision import is_emulated, resolve_amp_dtype
    dtype, why = resolve_amp_dtype(args.amp_dtype or 'auto', args.device)
    kept = []
    for setting in args.settings:
        if 'amp' in setting and dtype == torch.float32:
            print(f'skipped {setting}: {why}', flush=True)
        else:
            kept.append(setting)
    if not kept:
        sys.exit(f'nothing to measure: {", ".join(args.settings)} skipped; '
                 'add fp32 to --settings, or name an emulated dtype with '
                 '--amp-dtype')
    if any('amp' in s for s in kept) and is_emulated(dtype, args.device):
        print(f'warning: amp autocasts to {dtype}: {why}', flush=True)
    return kept


def setting_dtype(setting, args):
    return amp_dtype(args) if 'amp' in setting else torch.float32


@functools.lru_cache(maxsize=None)
def backbone_cfg(config):
    """The backbone section of ``config``, read once per process."""
    from mmengine.config import Config
    return Config.fromfile(config).model.backbone


def model_info(config, shape=None):
    """Backbone type name, short arch, input (H, W) and whether it has a
    distillation token, of a config; ``shape`` overrides the size."""
    backbone = backbone_cfg(config)
    name = backbone.type.split('.')[-1]
    arch = backbone.get('arch', '')
    arch = ARCH_ALIASES.get(arch, arch) if isinstance(arch, str) else 'custom'
    from mmvit_ext.analysis import input_shape
    size = input_shape(backbone, shape)[1:]
    distilled = bool(backbone.get('with_dist_token') or
                     backbone.get('distilled'))
    return name, arch, size, distilled


def in_channels(config):
    from mmvit_ext.analysis import input_shape
    return input_shape(backbone_cfg(config))[0]


def drop_path_rate(config):
    """The config's stochastic depth, which the references get too: the
    same settings for all. Returns the rate of the deepest block (rising
    linearly from 0, as timm's) and, where the config gives every block one
    rate (``layer_cfgs.drop_path_rate``, DeiT III's recipe), that rate."""
    backbone = backbone_cfg(config)
    layer_cfgs = backbone.get('layer_cfgs') or {}
    uniform = layer_cfgs.get('drop_path_rate') if isinstance(
        layer_cfgs, dict) else None
    return backbone.get('drop_path_rate', 0.), uniform


def uniform_drop_path(model, rate):
    """timm's ``model`` with ``DropPath(rate)`` on both branches of every
    block, as our backbone has with ``layer_cfgs.drop_path_rate``."""
    from timm.layers import DropPath
    blocks = [m for m in model.modules()
              if hasattr(m, 'drop_path1') and hasattr(m, 'drop_path2')]
    if not blocks:
        raise ValueError(f'{type(model).__name__} has no blocks with '
                         'drop_path1/drop_path2 to give a uniform rate')
    for block in blocks:
        block.drop_path1, block.drop_path2 = DropPath(rate), DropPath(rate)
    return model


def timm_name(config):
    name, arch, (size, _), distilled = model_info(config)
    pattern = TIMM_EQUIVALENTS.get((name, arch, distilled))
    if pattern is None:
        known = sorted(f'{n}-{a}{"-distilled" if d else ""}'
                       for n, a, d in TIMM_EQUIVALENTS)
        raise ValueError(f'no timm equivalent for {name} arch {arch!r} '
                         f'(distilled: {distilled}) '
                         f'({config}); known: {known}')
    return pattern.format(size=size)


def official_factory(config):
    name, arch, (size, _), _ = model_info(config)
    if (name, arch) not in OFFICIAL_EQUIVALENTS:
        known = sorted(f'{n}-{a}' for n, a in OFFICIAL_EQUIVALENTS)
        raise ValueError(f'no official equivalent for {name} arch {arch!r} '
                         f'({config}); known: {known}')
    module, factory = OFFICIAL_EQUIVALENTS[(name, arch)]
    return module, factory.format(size=size)


def build(impl, config, args):
    """The model of ``config`` (ours) or its reference, with its input
    (H, W) and a label."""
    size = model_info(config, args.shape)[2]
    if args.backbone:
        return with_attn_impl(build_backbone(impl, config), args), size, \
            backbone_label(impl, config)
    if impl == 'timm':
        import timm
        name = timm_name(config)
        linear, uniform = drop_path_rate(config)
        model = timm.create_model(name, pretrained=False,
                                  drop_path_rate=linear)
        if uniform is not None:
            model = uniform_drop_path(model, uniform)
        return model, size, name
    if impl == 'official':
        from mmvit_ext.utils import import_by_path
        module, factory = official_factory(config)
        path = os.path.join(args.compare_official, module)
        official = import_by_path(path, 'official_' + module.split('.')[0])
        if module == 'models':
            official = official.deep_vision_transformer
        linear, uniform = drop_path_rate(config)
        if uniform is not None:
            raise ValueError(f'{config}: a uniform drop path rate '
                             '(layer_cfgs) is not passed to the official '
                             'code; compare with --compare-timm')
        model = getattr(official, factory)(drop_path_rate=linear)
        return model, size, factory
    import mmvit_ext  # noqa: F401
    from mmengine.config import Config
    from mmpretrain.apis import get_model
    from mmvit_ext.analysis import drop_teacher
    cfg = drop_teacher(Config.fromfile(config))
    if impl == 'cp':
        cfg.model.backbone.with_cp = True
    model = with_attn_impl(get_model(cfg), args)
    return model, size, os.path.splitext(os.path.basename(config))[0]


def with_attn_impl(model, args):
    """Our model with ``--attn-impl``'s attention, if given."""
    if args.attn_impl:
        from mmvit_ext.models.layers import set_attn_impl
        set_attn_impl(model, args.attn_impl)
    return model


def build_backbone(impl, config):
    """The config's backbone alone, randomly initialised; for ``glob``
    with global attention in every block and no relative positions."""
    import mmvit_ext  # noqa: F401
    from mmvit_ext.registry import MODELS
    cfg = backbone_cfg(config).copy()
    cfg.init_cfg = None
    if impl == 'cp':
        cfg.with_cp = True
    if impl == 'glob':
        if not any(cfg.get(k) for k in ('window_size', 'use_rel_pos')):
            raise ValueError(f'--compare-global: the backbone of {config} '
                             'has no window attention or relative '
                             'positions to compare against')
        for key in VITDET_KEYS:
            cfg.pop(key, None)
        cfg.with_cls_token = False  # as ViTDet's blocks
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def backbone_label(impl, config):
    name = os.path.splitext(os.path.basename(config))[0]
    return f'{name} (backbone{", global" if impl == "glob" else ""})'


def count_flops(model, channels, size, device):
    """Multiply-adds, attention included, for ours and the references."""
    from mmvit_ext.analysis import flop_analyzer
    x = torch.randn(1, channels, *size, device=device)
    with torch.no_grad():
        return flop_analyzer(model.eval(), (x, )).total()


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def timed(step, iters, device):
    """Seconds per call of ``step``, after two warm-up calls."""
    for _ in range(2):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    sync(device)
    return (time.perf_counter() - start) / iters


def attention_grid(args):
    """``--attention``: forward and forward+backward milliseconds of each
    implementation for every cell of the grid, taken in turn over
    ``--rounds`` (medians), and the table."""
    from mmvit_ext.models.layers import attend, choose_attn_impl
    device = torch.device(args.device)
    dtypes = sorted({setting_dtype(s, args) for s in args.settings},
                    key=str)
    rows = []
    for dtype in dtypes:
        for heads, dim in args.heads_dims:
            for tokens in args.tokens:
                shape = (args.batch_size, heads, tokens, dim)
                q, k, v = (torch.randn(shape, device=device, dtype=dtype,
                                       requires_grad=True)
                           for _ in range(3))
                grad = torch.randn(shape, device=device, dtype=dtype)

                def fwd(impl):
                    with torch.no_grad():
                        attend(q, k, v, impl=impl)

                def fwd_bwd(impl):
                    attend(q, k, v, impl=impl).backward(grad)

                times = {(impl, mode.__name__): [] for impl in ('sdpa',
                                                                'math')
                         for mode in (fwd, fwd_bwd)}
                for _ in range(args.rounds):
                    for (impl, name), runs in times.items():
                        mode = fwd if name == 'fwd' else fwd_bwd
                        runs.append(1e3 * timed(lambda: mode(impl),
                                                args.iters, device))
                row = {key: statistics.median(runs)
                       for key, runs in times.items()}
                row.update(dtype=str(dtype).replace('torch.', ''),
                           heads=heads, dim=dim, tokens=tokens,
                           auto=choose_attn_impl(q),
                           auto_fwd=choose_attn_impl(q.detach()))
                rows.append(row)
    print_attention_table(rows, args)


def device_name(device):
    """What the figures depend on: the GPU's name, or the CPU's model and
    which of its bf16 matmul instructions it has (``/proc/cpuinfo``)."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.get_device_name(device)
    model, flags = platform.processor() or 'cpu', set()
    if not os.path.exists('/proc/cpuinfo'):  # not Linux: no flags to read
        return model
    with open('/proc/cpuinfo') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key.strip() == 'model name':
                model = value.strip()
            elif key.strip() == 'flags':
                flags = set(value.split())
                break
    isa = [f for f in ('amx_bf16', 'avx512_bf16', 'avx512f') if f in flags]
    return f"{model} ({', '.join(isa) or 'no avx512'})"


def print_attention_table(rows, args):
    print(f'attention alone on {args.device} ({device_name(args.device)}), '
          f'batch {args.batch_size}: '
          f'ms per call, median of {args.rounds} round(s) of {args.iters} '
          'timed calls; speed-up = sdpa / math time')
    print('| dtype | heads | head dim | tokens | sdpa fwd+bwd | '
          'math fwd+bwd | math speed-up | sdpa fwd | math fwd | '
          'math speed-up fwd | faster | auto | faster fwd | auto fwd |')
    print('|' + '---|' * 14)
    for r in rows:
        up, up_fwd = (r[('sdpa', m)] / r[('math', m)]
                      for m in ('fwd_bwd', 'fwd'))
        print(f"| {r['dtype']} | {r['heads']} | {r['dim']} | {r['tokens']} "
              f"| {r[('sdpa', 'fwd_bwd')]:.2f} | {r[('math', 'fwd_bwd')]:.2f}"
              f" | {up:.2f}x | {r[('sdpa', 'fwd')]:.2f} | "
              f"{r[('math', 'fwd')]:.2f} | {up_fwd:.2f}x | "
              f"{'math' if up > 1 else 'sdpa'} | {r['auto']} | "
              f"{'math' if up_fwd > 1 else 'sdpa'} | {r['auto_fwd']} |")
    for mode in ('fwd_bwd', 'fwd'):
        for dtype in dict.fromkeys(r['dtype'] for r in rows):
            for heads, dim in args.heads_dims:
                cells = [r for r in rows if (r['dtype'], r['heads'],
                                             r['dim']) == (dtype, heads, dim)]
                wins = [r['tokens'] for r in cells
                        if r[('math', mode)] < r[('sdpa', mode)]]
                loses = [r['tokens'] for r in cells
                         if r['tokens'] not in wins]
                where = (f'math faster up to {max(wins)} tokens' if wins and
                         (not loses or max(wins) < min(loses)) else
                         f'math faster at {wins}' if wins else
                         'sdpa faster at every length')
                print(f"crossover {dtype} {heads}x{dim} "
                      f"({mode.replace('_', '+')}): {where}")
    for mode, auto in (('fwd_bwd', 'auto'), ('fwd', 'auto_fwd')):
        agree = sum((r[auto] == 'math') == (r[('math', mode)] <
                                            r[('sdpa', mode)])
                    for r in rows)
        print(f"auto picks the faster {mode.replace('_', '+')} (training "
              f"{'step' if mode == 'fwd_bwd' else 'off: inference'}) in "
              f"{agree} of {len(rows)} cells")


def measure_peak(dtype, args):
    """The device's matmul rate at ``dtype`` in GFLOP/s: the best of five
    timings of a square ``--peak-size`` matmul."""
    device = torch.device(args.device)
    n = args.peak_size
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = min(timed(lambda: a @ b, 3, device) for _ in range(5))
    return 2 * n**3 / best / 1e9


def measure(impl, config, setting, args):
    """One row: runs in a worker process."""
    device = torch.device(args.device)
    model, size, label = build(impl, config, args)
    model.to(device)
    params = sum(p.numel() for p in model.parameters())
    channels = in_channels(config)
    flops = count_flops(model, channels, size, device)
    x = torch.randn(args.batch_size, channels, *size, device=device)
    dtype = setting_dtype(setting, args)
    autocast = torch.autocast(device.type, dtype=dtype,
                              enabled=dtype != torch.float32)
    run = torch.compile(model) if 'compile' in setting else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    scaler = torch.amp.GradScaler(device.type,
                                  enabled=dtype == torch.float16)

    def steps(run):
        """An inference and a training step of ``run`` (the model, or its
        compiled forward)."""
        def infer():
            with torch.no_grad(), autocast:
                run(x)

        def train():
            with autocast:
                out = run(x)
            if args.backbone:  # feature maps: their mean square
                loss = sum(o.float().square().mean() for o in out)
            else:
                if isinstance(out, (tuple, list)):  # official distilled
                    out = out[0]
                loss = out.float().logsumexp(-1).mean()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
        return infer, train

    infer, train = steps(run)
    model.eval()
    infer_s = timed(infer, args.iters, device)
    model.train()
    train_s = timed(train, args.iters, device)
    roof = {}
    if not args.no_roofline or args.profile:
        roof = roofline(model, *steps(model), args)
    profile = ''
    if args.profile and device.type == 'cuda':
        model.train(args.profile_step == 'train')
        step = train if args.profile_step == 'train' else infer
        with torch.profiler.profile() as prof:
            for _ in range(2):
                step()
        profile = prof.key_averages().table(
            sort_by='self_cuda_time_total', row_limit=args.profile,
            max_name_column_width=50)
    elif args.profile:
        profile = roof.pop('profile')
    if device.type == 'cuda':
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    batch_flops = 2 * flops * args.batch_size  # multiply-adds -> FLOPs
    return dict(model=label, impl=IMPL_LABELS[impl], setting=setting,
                dtype=str(dtype).replace('torch.', ''),
                size='x'.join(map(str, size)) if size[0] != size[1]
                else size[0],
                params_m=params / 1e6, gflops=flops / 1e9,
                train_ips=args.batch_size / train_s,
                infer_ips=args.batch_size / infer_s,
                # forward + backward (twice the forward's work)
                train_gflops_s=3 * batch_flops / train_s / 1e9,
                infer_gflops_s=batch_flops / infer_s / 1e9,
                peak_mb=peak_mb, profile=profile,
                train_roof_s=roof.get('train'), infer_roof_s=roof.get('infer'))


def roofline(model, infer, train, args):
    """Seconds of one training and one inference step's own matmuls and
    attention alone (``mmvit_ext.analysis.roofline``), recorded on the eager
    model (a compiled one runs the same shapes), and with ``--profile`` on a
    CPU the op table of the step ``--profile-step`` names."""
    from mmvit_ext.analysis.roofline import (op_table, record_ops,
                                             roofline_seconds)
    result = {}
    for mode, step in (('infer', infer), ('train', train)):
        model.train(mode == 'train')
        ops = record_ops(step, args.device)
        result[mode], rows = roofline_seconds(ops, iters=args.iters)
        if mode == args.profile_step and args.profile:
            step_s = sum(s for _, s in ops.timed)
            lines = [f'{"op":<50} {"calls":>6} {"ms":>9} {"share":>6}  '
                     'roofline']
            lines += [f'{name:<50} {calls:>6} {1e3 * sec:>9.2f} '
                      f'{100 * sec / step_s:>5.1f}%  {"yes" if roof else ""}'
                      for name, calls, sec, roof in op_table(ops,
                                                             args.profile)]
            lines += ['', f'{"the roofline: matmul alone":<70} {"calls":>6} '
                      f'{"ms":>8}']
            lines += [f'{label:<70} {calls:>6} {1e3 * sec:>8.3f}'
                      for label, calls, sec in rows]
            result['profile'] = '\n'.join(lines)
    return result


def run_worker(args, *what):
    cmd = [sys.executable, os.path.abspath(__file__), args.configs[0],
           '--worker', *what, '--batch-size', str(args.batch_size),
           '--iters', str(args.iters), '--device', args.device,
           '--peak-size', str(args.peak_size)]
    if args.amp_dtype:
        cmd += ['--amp-dtype', args.amp_dtype]
    if args.compare_official:
        cmd += ['--compare-official', args.compare_official]
    if args.profile:
        cmd += ['--profile', str(args.profile), '--profile-step',
                args.profile_step]
    if args.no_roofline:
        cmd += ['--no-roofline']
    cmd += ['--cpu-malloc', args.cpu_malloc]
    if args.backbone:
        cmd += ['--backbone']
    if args.shape:
        cmd += ['--shape', *map(str, args.shape)]
    if args.attn_impl:
        cmd += ['--attn-impl', args.attn_impl]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark worker {what} failed:\n'
                           f'{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(rows, peaks, args):
    from mmvit_ext.utils import set_cpu_malloc
    mem = 'peak CUDA MB' if args.device.startswith('cuda') else 'peak RSS MB'
    # The first eight columns keep their documented order; new ones follow.
    header = ['model', 'impl', 'size', 'params (M)', 'FLOPs (G)',
              'train img/s', 'infer img/s', mem, 'setting',
              'train GFLOP/s', 'train util', 'infer GFLOP/s', 'infer util',
              'train min-max', 'infer min-max', 'train roofline ms',
              'train of roofline', 'infer roofline ms', 'infer of roofline']
    lines = []
    for r in rows:
        peak = peaks[r['dtype']]
        roof = []
        for mode in ('train', 'infer'):
            sec = r.get(f'{mode}_roof_s')
            roof += ['-', '-'] if sec is None else [
                f'{1e3 * sec:.3g}',
                f"{100 * sec * r[f'{mode}_ips'] / args.batch_size:.0f}%"]
        lines.append([
            r['model'], r['impl'], str(r['size']), f"{r['params_m']:.2f}",
            f"{r['gflops']:.3g}", f"{r['train_ips']:.3g}",
            f"{r['infer_ips']:.3g}", f"{r['peak_mb']:.0f}", r['setting'],
            f"{r['train_gflops_s']:.0f}",
            f"{100 * r['train_gflops_s'] / peak:.0f}%",
            f"{r['infer_gflops_s']:.0f}",
            f"{100 * r['infer_gflops_s'] / peak:.0f}%",
            '{:.3g}-{:.3g}'.format(*r['train_range']),
            '{:.3g}-{:.3g}'.format(*r['infer_range']), *roof])
    widths = [max(len(h), *(len(ln[i]) for ln in lines))
              for i, h in enumerate(header)]
    fmt = ' | '.join(f'{{:<{w}}}' for w in widths)
    print(f'device: {args.device} ({device_name(args.device)}), '
          f'batch size: {args.batch_size}, '
          f'{args.iters} timed iterations, median of {args.rounds} '
          f'round(s) taken in turn, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, cpu_malloc '
          f'{args.cpu_malloc} ({set_cpu_malloc(args.cpu_malloc)})')
    print('matmul peak ({0}x{0}): '.format(args.peak_size) + ', '.join(
        f'{dtype} {gflops:.0f} GFLOP/s' for dtype, gflops in peaks.items()))
    print(fmt.format(*header))
    print('-+-'.join('-' * w for w in widths))
    for ln in lines:
        print(fmt.format(*ln))
    print_ratios(rows)
    for r in rows:
        if r.get('profile'):
            step = ('training' if args.profile_step == 'train' else
                    'inference')
            what = (f'2 {step} steps (torch.profiler)' if
                    args.device.startswith('cuda') else
                    f"{'a' if step == 'training' else 'an'} {step} step, "
                    'each op timed where it ran')
            print(f"\n{r['model']} ({r['impl']}, {r['setting']}): "
                  f"{what}\n{r['profile']}")


def print_ratios(rows):
    """Per config: ours over each reference per setting, each setting over
    our own fp32 (and over the references' fp32), and the memory that
    activation checkpointing saves."""
    for config in dict.fromkeys(r['config'] for r in rows):
        group = {(r['impl'], r['setting']): r for r in rows
                 if r['config'] == config}
        refs = [i for i in REFERENCES
                if any(impl == i for impl, _ in group)]
        for (impl, setting), r in group.items():
            if impl != 'mmvit_ext':
                continue
            name = f"{r['model']} {setting}"
            for ref in refs:
                if (ref, setting) in group:
                    o = group[(ref, setting)]
                    print(f"{name}: ours / {ref} = "
                          f"{r['train_ips'] / o['train_ips']:.2f}x train, "
                          f"{r['infer_ips'] / o['infer_ips']:.2f}x infer")
            if setting != 'fp32':
                for base in ['mmvit_ext'] + refs:
                    if (base, 'fp32') in group:
                        o = group[(base, 'fp32')]
                        who = 'our' if base == 'mmvit_ext' else base
                        print(f"{name}: over {who} fp32 = "
                              f"{r['train_ips'] / o['train_ips']:.2f}x "
                              f"train, {r['infer_ips'] / o['infer_ips']:.2f}"
                              'x infer')
            cp = group.get(('mmvit_ext+cp', setting))
            if cp is not None:
                saved = r['peak_mb'] - cp['peak_mb']
                print(f"{name}: with_cp saves {saved:.0f} MB of peak memory "
                      f"({100 * saved / r['peak_mb']:.0f}%), at "
                      f"{cp['train_ips'] / r['train_ips']:.2f}x the training "
                      'speed')


def main(argv=None):
    args = parse_args(argv)
    from mmvit_ext.utils import set_cpu_malloc
    set_cpu_malloc(args.cpu_malloc)  # this process; workers take the flag
    if not args.worker:
        args.settings = runnable_settings(args)
    if args.attention:
        return attention_grid(args)
    if args.worker:
        if args.worker[0] == 'peak':
            dtype = getattr(torch, args.worker[1])
            print(json.dumps(measure_peak(dtype, args)))
        else:
            impl, config, setting = args.worker
            print(json.dumps(measure(impl, config, setting, args)))
        return
    for config in args.configs:  # fail early for an unknown architecture
        if args.compare_timm:
            timm_name(config)
        if args.compare_official:
            official_factory(config)
    dtypes = sorted({str(setting_dtype(s, args)).replace('torch.', '')
                     for s in args.settings})
    peaks = {d: run_worker(args, 'peak', d) for d in dtypes}
    impls = ['ours'] + ['cp'] * args.with_cp + ['timm'] * args.compare_timm \
        + ['official'] * bool(args.compare_official) + \
        ['glob'] * args.compare_global
    rows = []
    for config in args.configs:
        for setting in args.settings:
            rounds = {impl: [] for impl in impls}
            for _ in range(args.rounds):  # in turn: ours, ref, ours, ref
                for impl in impls:
                    rounds[impl].append(
                        run_worker(args, impl, config, setting))
            rows += [dict(median_row(runs), config=config)
                     for runs in rounds.values()]
    print_table(rows, peaks, args)


def median_row(runs):
    """One row from the rounds of a measurement: throughputs (and the
    GFLOP/s that follow from them) are medians, with their min-max; peak
    memory is the largest; the rooflines are medians too."""
    row = dict(runs[0])
    for mode in ('train', 'infer'):
        ips = sorted(r[f'{mode}_ips'] for r in runs)
        mid = statistics.median(ips)
        row[f'{mode}_gflops_s'] *= mid / row[f'{mode}_ips']
        row[f'{mode}_ips'] = mid
        row[f'{mode}_range'] = (ips[0], ips[-1])
        roofs = [r[f'{mode}_roof_s'] for r in runs
                 if r.get(f'{mode}_roof_s') is not None]
        row[f'{mode}_roof_s'] = statistics.median(roofs) if roofs else None
    row['peak_mb'] = max(r['peak_mb'] for r in runs)
    return row


if __name__ == '__main__':
    main()
