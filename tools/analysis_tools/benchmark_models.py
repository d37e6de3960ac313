"""``benchmark.py CONFIG ...``: our models, and their timm or official
references, measured row by row in worker processes that take turns; the
table, the ratios and, with ``--profile``, each row's ops."""
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

from benchmark_common import device_name, progress, setting_dtype, timed

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
IMPL_LABELS = dict(ours='mmvit_ext', cp='mmvit_ext+cp', timm='timm',
                   official='official', glob='global attn')
REFERENCES = ('timm', 'official', 'global attn')
# ViTDet's options, removed for the --compare-global row.
VITDET_KEYS = ('window_size', 'window_block_indexes', 'global_attn_indexes',
               'use_rel_pos', 'rel_pos_zero_init')


@functools.lru_cache(maxsize=None)
def backbone_cfg(config):
    """The backbone section of ``config``, read once per process (a copy:
    callers may change it)."""
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


def run_worker(args, count, *what):
    """Measure ``what`` (``'peak', DTYPE`` or ``IMPL, CONFIG, SETTING``, then
    a note) in a worker process, with a progress line as it starts and as
    it ends."""
    what, note = (what, '') if what[0] == 'peak' else (what[:3], what[3])
    step = count.next()
    if what[0] == 'peak':
        progress(f'{step} {what[1]} matmul peak: a square matmul up to '
                 f'{args.peak_size} a side, about {args.peak_seconds:g} s')
    else:
        impl, config, setting = what
        progress(f'{step} {IMPL_LABELS[impl]} '
                 f'{os.path.splitext(os.path.basename(config))[0]} '
                 f'{setting}, {note}: {args.iters} timed iterations a '
                 'mode after 2 warm-up')
    cmd = [sys.executable, os.path.join(os.path.dirname(
               os.path.abspath(__file__)), 'benchmark.py'), args.configs[0],
           '--worker', *what, '--batch-size', str(args.batch_size),
           '--iters', str(args.iters), '--device', args.device,
           '--peak-size', str(args.peak_size), '--peak-seconds',
           str(args.peak_seconds)]
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
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark worker {what} failed:\n'
                           f'{proc.stderr[-3000:]}')
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    took = time.perf_counter() - start
    if what[0] == 'peak':
        progress(f"{step} {what[1]} matmul peak: {result['gflops']:.0f} "
                 f"GFLOP/s at {result['side']} a side, in {took:.1f} s")
    else:
        progress(f"{step} train {result['train_ips']:.3g} img/s, infer "
                 f"{result['infer_ips']:.3g} img/s, in {took:.1f} s")
    return result


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
        peak = peaks[r['dtype']]['gflops']
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
    print('matmul peak: ' + ', '.join(
        f"{dtype} {p['gflops']:.0f} GFLOP/s ({p['side']}x{p['side']})"
        for dtype, p in peaks.items()))
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


class Counter:
    """``[i/N]`` of the progress lines."""

    def __init__(self, total):
        self.done, self.total = 0, total

    def next(self):
        self.done += 1
        return f'[{self.done}/{self.total}]'


def run_models(args):
    """The model rows of ``args.configs``: the peaks, then every row's
    rounds in turn, each worker announced and reported on stderr."""
    for config in args.configs:  # fail early for an unknown architecture
        if args.compare_timm:
            timm_name(config)
        if args.compare_official:
            official_factory(config)
    dtypes = sorted({str(setting_dtype(s, args)).replace('torch.', '')
                     for s in args.settings})
    impls = ['ours'] + ['cp'] * args.with_cp + ['timm'] * args.compare_timm \
        + ['official'] * bool(args.compare_official) + \
        ['glob'] * args.compare_global
    count = Counter(len(dtypes) + len(args.configs) * len(args.settings) *
                    args.rounds * len(impls))
    peaks = {d: run_worker(args, count, 'peak', d) for d in dtypes}
    rows = []
    for config in args.configs:
        for setting in args.settings:
            rounds = {impl: [] for impl in impls}
            for i in range(args.rounds):  # in turn: ours, ref, ours, ref
                for impl in impls:
                    rounds[impl].append(run_worker(
                        args, count, impl, config, setting,
                        f'round {i + 1}/{args.rounds}'))
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
