"""Throughput, memory, parameters and FLOPs of the models of some configs.

Prints one row per model: train and inference images/s, peak memory, params
and FLOPs. With ``--compare-timm`` the timm implementation of the same
architecture gets a row beside ours, measured the same way in the same run.
Each row runs in its own process, so peak memory belongs to that model alone
(peak CUDA memory on a GPU, peak resident memory of the process on a CPU).

With ``--with-cp`` a row for our model with activation checkpointing
(``backbone.with_cp=True``) follows ours, and the memory it saves is printed
under the table.

Usage:
    python tools/analysis_tools/benchmark.py CONFIG [CONFIG ...]
        [--compare-timm] [--with-cp] [--batch-size 32] [--iters 10]
        [--device cpu]
"""
import argparse
import json
import os
import resource
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
ARCH_ALIASES = {'small': 's', 'medium': 'm', 'base': 'b', 'large': 'l',
                'huge': 'h', 'tiny': 'ti', 'xsmall': 'xs'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='model config files')
    parser.add_argument('--compare-timm', action='store_true',
                        help='add a row for the same timm architecture')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--iters', type=int, default=10,
                        help='timed iterations per mode (after 2 warm-up)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (GPU)')
    parser.add_argument('--with-cp', action='store_true',
                        help='add a row for ours with activation '
                        'checkpointing')
    parser.add_argument('--worker', nargs=2, metavar=('IMPL', 'CONFIG'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def model_info(config):
    """Backbone type name, short arch, input size and whether it has a
    distillation token, of a config."""
    from mmengine.config import Config
    backbone = Config.fromfile(config).model.backbone
    name = backbone.type.split('.')[-1]
    arch = backbone.get('arch', '')
    arch = ARCH_ALIASES.get(arch, arch) if isinstance(arch, str) else 'custom'
    size = backbone.get('img_size', 224)
    size = size if isinstance(size, int) else size[0]
    distilled = bool(backbone.get('with_dist_token') or
                     backbone.get('distilled'))
    return name, arch, size, distilled


def timm_name(config):
    name, arch, size, distilled = model_info(config)
    pattern = TIMM_EQUIVALENTS.get((name, arch, distilled))
    if pattern is None:
        known = sorted(f'{n}-{a}{"-distilled" if d else ""}'
                       for n, a, d in TIMM_EQUIVALENTS)
        raise ValueError(f'no timm equivalent for {name} arch {arch!r} '
                         f'(distilled: {distilled}) '
                         f'({config}); known: {known}')
    return pattern.format(size=size)


def build(impl, config):
    """The model of ``config`` (ours) or its timm equivalent, and its
    input size and a label."""
    size = model_info(config)[2]
    if impl == 'timm':
        import timm
        name = timm_name(config)
        return timm.create_model(name, pretrained=False), size, name
    import mmvit_ext  # noqa: F401
    from mmengine.config import Config
    from mmpretrain.apis import get_model
    cfg = Config.fromfile(config)
    if cfg.model.get('teacher'):
        cfg.model.teacher = None  # the student alone is measured
    if impl == 'ours+cp':
        cfg.model.backbone.with_cp = True
    model = get_model(cfg)
    return model, size, os.path.splitext(os.path.basename(config))[0]


def count_flops(model, size, device):
    """Multiply-adds, attention included, for ours and timm's alike."""
    from mmvit_ext.analysis import flop_analyzer
    x = torch.randn(1, 3, size, size, device=device)
    with torch.no_grad():
        return flop_analyzer(model.eval(), (x, )).total()


def measure(impl, config, args):
    """One row: runs in a worker process."""
    device = torch.device(args.device)
    model, size, label = build(impl, config)
    model.to(device)
    params = sum(p.numel() for p in model.parameters())
    flops = count_flops(model, size, device)
    x = torch.randn(args.batch_size, 3, size, size, device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=args.amp)

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    def timed(step):
        for _ in range(2):
            step()
        sync()
        start = time.perf_counter()
        for _ in range(args.iters):
            step()
        sync()
        return args.batch_size * args.iters / (time.perf_counter() - start)

    def infer():
        with torch.no_grad(), autocast:
            model(x)

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def train():
        with autocast:
            out = model(x)
        out.float().logsumexp(-1).mean().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    model.eval()
    infer_ips = timed(infer)
    model.train()
    train_ips = timed(train)
    if device.type == 'cuda':
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    impl = dict(timm='timm', ours='mmvit_ext').get(impl, 'mmvit_ext+cp')
    return dict(model=label, impl=impl,
                size=size, params_m=params / 1e6, gflops=flops / 1e9,
                train_ips=train_ips, infer_ips=infer_ips, peak_mb=peak_mb)


def run_worker(impl, config, args):
    cmd = [sys.executable, os.path.abspath(__file__), config, '--worker',
           impl, config, '--batch-size', str(args.batch_size), '--iters',
           str(args.iters), '--device', args.device]
    if args.amp:
        cmd.append('--amp')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark of {impl} {config} failed:\n'
                           f'{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(rows, args):
    mem = 'peak CUDA MB' if args.device.startswith('cuda') else 'peak RSS MB'
    header = ['model', 'impl', 'size', 'params (M)', 'FLOPs (G)',
              'train img/s', 'infer img/s', mem]
    lines = [[
        r['model'], r['impl'], str(r['size']), f"{r['params_m']:.2f}",
        f"{r['gflops']:.2f}", f"{r['train_ips']:.1f}", f"{r['infer_ips']:.1f}",
        f"{r['peak_mb']:.0f}"
    ] for r in rows]
    widths = [max(len(h), *(len(ln[i]) for ln in lines))
              for i, h in enumerate(header)]
    fmt = ' | '.join(f'{{:<{w}}}' for w in widths)
    print(f'device: {args.device}, batch size: {args.batch_size}, '
          f'{args.iters} timed iterations, amp: {args.amp}, '
          f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    print(fmt.format(*header))
    print('-+-'.join('-' * w for w in widths))
    for ln in lines:
        print(fmt.format(*ln))
    for plain, cp in zip(rows, rows[1:]):
        if (plain['impl'], cp['impl']) == ('mmvit_ext', 'mmvit_ext+cp'):
            saved = plain['peak_mb'] - cp['peak_mb']
            print(f"{plain['model']}: with_cp saves {saved:.0f} MB of "
                  f"peak memory ({100 * saved / plain['peak_mb']:.0f}%), at "
                  f"{cp['train_ips'] / plain['train_ips']:.2f}x the training "
                  'speed')


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(measure(*args.worker, args)))
        return
    rows = []
    for config in args.configs:
        if args.compare_timm:
            timm_name(config)  # fail early for an unknown architecture
        rows.append(run_worker('ours', config, args))
        if args.with_cp:
            rows.append(run_worker('ours+cp', config, args))
        if args.compare_timm:
            rows.append(run_worker('timm', config, args))
    print_table(rows, args)


if __name__ == '__main__':
    main()
