"""Per-process memory of training steps under DDP and under FSDP.

For each config and strategy, starts ``--nproc`` processes with torchrun
(gloo on CPU, nccl on GPU), builds the config's model and optimizer as
``tools/train.py`` does (DDP: mmengine's wrapper; FSDP:
``mmvit_ext.FSDPStrategy``), runs ``--steps`` training steps on random
images of ``--batch-size`` per process, and prints one row per run:

* the model states each process holds by construction (parameters,
  gradients and the optimizer's two moments, fp32): all of them under DDP,
  a 1/N share under FSDP;
* the measured peak memory of the busiest process: its peak resident
  memory on a CPU (libraries included), peak CUDA memory on a GPU; and on a
  CPU the part above the process's memory before the model was built.

Usage:
    python tools/analysis_tools/dist_memory.py CONFIG [CONFIG ...]
        [--strategies ddp,fsdp] [--nproc 2] [--batch-size 1] [--steps 2]
        [--activation-checkpointing] [--port 29600]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch

STRATEGIES = ('ddp', 'fsdp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*')
    parser.add_argument('--strategies', default='ddp,fsdp',
                        help='comma-separated, of: ' + ', '.join(STRATEGIES))
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--steps', type=int, default=2)
    parser.add_argument('--activation-checkpointing', action='store_true',
                        help='FSDP rows recompute each block in the backward')
    parser.add_argument('--port', type=int, default=29600)
    parser.add_argument('--worker', nargs=2, metavar=('CONFIG', 'STRATEGY'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.configs and not args.worker:
        parser.error('give at least one CONFIG')
    strategies = args.strategies.split(',')
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        parser.error(f'unknown strategies {unknown}: use {list(STRATEGIES)}')
    args.strategies = strategies
    if args.nproc < 1:
        parser.error(f'--nproc {args.nproc} must be at least 1')
    return args


def rss_mb():
    """This process's resident memory now, in MB (Linux)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def worker(args):
    import torch.distributed as dist
    from mmengine.config import Config
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    import mmvit_ext  # noqa: F401
    from mmvit_ext.engine import FSDPStrategy
    from mmvit_ext.registry import MODELS

    config, strategy = args.worker
    cuda = torch.cuda.is_available()
    dist.init_process_group('nccl' if cuda else 'gloo')
    if cuda:
        torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
    init_default_scope('mmvit_ext')
    cfg = Config.fromfile(config)
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    cfg.model.pop('teacher', None)  # distilled configs: the student alone
    base_mb = rss_mb()
    if strategy == 'ddp':
        model = MODELS.build(cfg.model)
        model.init_weights()
        device = torch.device('cuda' if cuda else 'cpu')
        model = MMDistributedDataParallel(
            model.to(device), device_ids=[device.index] if cuda else None,
            broadcast_buffers=False)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    else:
        with tempfile.TemporaryDirectory() as work_dir:
            model, optim = FSDPStrategy(
                work_dir=work_dir,
                activation_checkpointing=args.activation_checkpointing,
            ).prepare(cfg.model, optim_wrapper=cfg.optim_wrapper)
    params = sum(p.numel() for p in model.parameters())
    size = cfg.model.backbone.get('img_size', 224)
    channels = cfg.model.backbone.get('in_channels', 3)
    data = dict(
        inputs=[torch.randint(0, 256, (channels, size, size),
                              dtype=torch.uint8)
                for _ in range(args.batch_size)],
        data_samples=[DataSample().set_gt_label(0)
                      for _ in range(args.batch_size)])
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.steps):
        model.train_step(data, optim)
    step_s = (time.perf_counter() - start) / args.steps
    peak_mb = torch.cuda.max_memory_allocated() / 2**20 if cuda else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('RESULT ' + json.dumps(dict(
        rank=dist.get_rank(), params=params, base_mb=base_mb,
        peak_mb=peak_mb, step_s=step_s, cuda=cuda)), flush=True)
    dist.destroy_process_group()


def run(args, config, strategy, port):
    cmd = [sys.executable, '-m', 'torch.distributed.run',
           f'--nproc_per_node={args.nproc}', f'--master_port={port}',
           __file__, '--worker', config, strategy,
           f'--batch-size={args.batch_size}', f'--steps={args.steps}']
    if args.activation_checkpointing:
        cmd.append('--activation-checkpointing')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    results = [json.loads(line.split('RESULT ', 1)[1])
               for line in proc.stdout.splitlines() if 'RESULT ' in line]
    if proc.returncode or len(results) != args.nproc:
        sys.exit(f'{strategy} run of {config} failed (exit '
                 f'{proc.returncode}):\n{proc.stdout[-2000:]}'
                 f'{proc.stderr[-4000:]}')
    return results


def model_states_gb(params, strategy, nproc):
    """fp32 parameters, gradients and two optimizer moments, in GB, held by
    one process: all of them under DDP, 1/nproc of them under FSDP."""
    total = params * 4 * 4 / 2**30
    return total if strategy == 'ddp' else total / nproc


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    rows = []
    port = args.port
    for config in args.configs:
        for strategy in args.strategies:
            results = run(args, config, strategy, port)
            port += 1
            busiest = max(results, key=lambda r: r['peak_mb'])
            # FSDP ranks report their shards: count the whole model.
            params = sum(r['params'] for r in results) \
                if strategy == 'fsdp' else busiest['params']
            rows.append(dict(
                model=os.path.splitext(os.path.basename(config))[0],
                strategy=strategy + ('+cp' if strategy == 'fsdp' and
                                     args.activation_checkpointing else ''),
                params=params, busiest=busiest,
                states=model_states_gb(params, strategy, args.nproc)))
    cuda = rows[0]['busiest']['cuda']
    procs = f'{args.nproc} process' + ('es' if args.nproc > 1 else '')
    print(f'{procs}, batch size {args.batch_size} per '
          f'process, {args.steps} training steps, torch {torch.__version__}, '
          f'{"CUDA" if cuda else "CPU, gloo"}')
    header = ['model', 'strategy', 'params (M)', 'model states / process '
              '(GB)', 'peak memory / process (GB)']
    if not cuda:
        header.append('above start-up (GB)')
    header.append('step (s)')
    lines = [header]
    for row in rows:
        busiest = row['busiest']
        line = [row['model'], row['strategy'], f'{row["params"] / 1e6:.1f}',
                f'{row["states"]:.2f}', f'{busiest["peak_mb"] / 1024:.2f}']
        if not cuda:
            line.append(
                f'{(busiest["peak_mb"] - busiest["base_mb"]) / 1024:.2f}')
        line.append(f'{busiest["step_s"]:.2f}')
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print(' | '.join(c.ljust(w) for c, w in zip(line, widths)))
        if i == 0:
            print('-+-'.join('-' * w for w in widths))


if __name__ == '__main__':
    main()
