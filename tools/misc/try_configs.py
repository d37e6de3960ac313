"""Try shipped configs before a cluster run: each trains a few iterations
and validates, through ``tools/train.py``, on the tiny layouts of
``tools/dataset_converters/make_tiny_layouts.py``.

Only the loop, the batch sizes and the workers change:

- the training loop becomes ``IterBasedTrainLoop(max_iters=N,
  val_interval=N)``, and the checkpoint hook counts in iterations, so that
  the run validates and saves once, at its end;
- every loader takes ``--batch-size`` images (2 by default) with no worker
  processes;
- a fine-tune whose ``load_from`` is the checkpoint of another shipped
  config's run (``work_dirs/<stage 1>/...``, DeiT III's two-stage recipes)
  loads the checkpoint that this tool's run of that stage wrote; run the
  stage first (the default order does).

Everything else (model, data pipeline, optimizer, schedule, hooks, EMA,
teacher) is the config's own. Each run writes its config, log and
checkpoint to ``LAYOUTS/work_dirs/<config name>`` and runs with ``LAYOUTS``
as its working folder, where the configs find ``data/`` and
``checkpoints/`` (the teacher), and with ``MMVIT_EXT_CACHE=LAYOUTS/cache``
where that folder exists, where the COCO and ADE20K configs find their
pretrained weights. The tool prints one line per config and a summary, and
exits non-zero if any run failed.

Only the checkpoints that a later fine-tune of the list loads are kept
(``--keep-checkpoints`` keeps all).

Usage:
    python tools/misc/try_configs.py LAYOUTS [CONFIG ...] [--iters 2]
        [--batch-size 2] [--keep-checkpoints]

With no CONFIG it tries every ImageNet-1k, COCO and ADE20K config.
"""
import argparse
import glob
import os
import os.path as osp
import re
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def paper_scale_configs():
    """Every shipped ImageNet-1k, COCO and ADE20K config, pre-training
    stages before their fine-tunes."""
    found = sorted(glob.glob(f'{ROOT}/configs/*/*_in1k.py')) + sorted(
        glob.glob(f'{ROOT}/configs/mmdet/*_coco.py')) + sorted(
            glob.glob(f'{ROOT}/configs/mmseg/*ade20k*.py'))
    names = [osp.relpath(p, ROOT) for p in found]
    return sorted(names, key=lambda n: ('-ft_' in n, names.index(n)))


def loader_overrides(loader, batch_size):
    if loader is None:
        return
    loader.batch_size = batch_size
    loader.num_workers = 0
    loader.persistent_workers = False
    # mmdet's aspect-ratio batch sampler keeps its own batch size.
    if loader.get('batch_sampler'):
        loader.batch_sampler.pop('batch_size', None)


def stage_one_name(load_from):
    """The config whose run ``load_from`` names (``work_dirs/<name>/...``),
    or None."""
    match = re.match(r'work_dirs/([^/]+)/', load_from or '')
    return match.group(1) if match else None


def stage_one_checkpoint(load_from, layouts):
    """The checkpoint this tool's run of the config that ``load_from``
    names wrote, or None if ``load_from`` names no such run."""
    name = stage_one_name(load_from)
    if name is None:
        return None
    last = osp.join(layouts, 'work_dirs', name, 'last_checkpoint')
    if not osp.isfile(last):
        raise FileNotFoundError(
            f'load_from {load_from!r} is the checkpoint of {name}, which '
            'has not been tried yet: try it first')
    with open(last) as f:
        return f.read().strip()


def tiny_config(config, layouts, iters, batch_size):
    """The config with the tool's overrides, as a Config."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters)
    cfg.default_hooks.checkpoint.update(by_epoch=False, interval=iters)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_overrides(cfg.get(name), batch_size)
    stage_one = stage_one_checkpoint(cfg.get('load_from'), layouts)
    if stage_one:
        cfg.load_from = stage_one
    return cfg


def try_config(config, layouts, iters, batch_size):
    """Run one config; returns (ok, seconds, last log lines)."""
    name = osp.splitext(osp.basename(config))[0]
    work_dir = osp.join(layouts, 'work_dirs', name)
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()
    try:
        cfg = tiny_config(config, layouts, iters, batch_size)
    except Exception as e:  # noqa: BLE001 (reported, then the next config)
        return False, time.time() - start, f'{type(e).__name__}: {e}'
    path = osp.join(work_dir, f'{name}_tiny.py')
    cfg.dump(path)
    env = dict(os.environ)
    if osp.isdir(osp.join(layouts, 'cache')):  # make_tiny_layouts --pretrained
        env['MMVIT_EXT_CACHE'] = osp.join(layouts, 'cache')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), path,
         '--work-dir', work_dir],
        cwd=layouts, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    with open(osp.join(work_dir, 'try_configs.log'), 'w') as f:
        f.write(proc.stdout)
    tail = '\n'.join(proc.stdout.strip().splitlines()[-3:])
    return proc.returncode == 0, time.time() - start, tail


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('layouts', help='the --out of make_tiny_layouts.py')
    parser.add_argument('configs', nargs='*',
                        help='configs to try (default: every ImageNet-1k, '
                        'COCO and ADE20K config)')
    parser.add_argument('--iters', type=int, default=2,
                        help='training iterations (default 2)')
    parser.add_argument('--batch-size', type=int, default=2,
                        help='images per batch (default 2)')
    parser.add_argument('--keep-checkpoints', action='store_true',
                        help='keep every run\'s checkpoints (by default only '
                        'those that a later fine-tune in the list loads: a '
                        'full sweep would write about 60 GB)')
    args = parser.parse_args(argv)
    if not osp.isdir(osp.join(args.layouts, 'data')):
        parser.error(f'{args.layouts} has no data/ folder: write it with '
                     'tools/dataset_converters/make_tiny_layouts.py --out '
                     f'{args.layouts}')
    for name in ('iters', 'batch_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    layouts = osp.abspath(args.layouts)
    configs = [osp.relpath(osp.abspath(c), ROOT) for c in args.configs] \
        or paper_scale_configs()
    from mmengine.config import Config
    loaded = {stage_one_name(Config.fromfile(osp.join(ROOT, c)).get(
        'load_from')) for c in configs}
    failed = []
    start = time.time()
    for config in configs:
        ok, seconds, tail = try_config(config, layouts, args.iters,
                                       args.batch_size)
        name = osp.splitext(osp.basename(config))[0]
        if not args.keep_checkpoints and name not in loaded:
            for path in glob.glob(osp.join(layouts, 'work_dirs', name,
                                           '*.pth')):
                os.remove(path)
        print(f'{"ok  " if ok else "FAIL"} {seconds:6.1f} s  {config}',
              flush=True)
        if not ok:
            failed.append(config)
            print('     ' + tail.replace('\n', '\n     '), flush=True)
    total = time.time() - start
    print(f'{len(configs) - len(failed)} passed, {len(failed)} failed '
          f'in {total:.0f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
