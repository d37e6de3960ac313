"""Evaluate a checkpoint: Config -> CLI overrides -> Runner.test().

Usage: python tools/test.py CONFIG CHECKPOINT [--work-dir D]
           [--out F.pkl [--out-item pred|metrics]] [--show-dir D]
           [--tta] [--cfg-options k=v ...] [--launcher pytorch]

The command line is mmpretrain's: ``--out`` dumps the predictions (or, with
``--out-item metrics``, the metrics as JSON or pickle); ``--show-dir`` draws
the predictions. CHECKPOINT may be ours, an official or timm file or a URL.
"""
import argparse
import warnings
import os
import os.path as osp

import mmengine
# mmcv-lite has no compiled ops; classification does not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')
# mmengine (and mmdet, mmseg) import pkg_resources, which warns on every
# import with setuptools >= 80; nothing for a user to act on.
warnings.filterwarnings('ignore', 'pkg_resources is deprecated', UserWarning)

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from mmvit_ext.engine import init_distributed  # also registers modules
from mmvit_ext.registry import RUNNERS


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--work-dir', help='where to save logs')
    parser.add_argument('--out', help='dump predictions (or metrics) here')
    parser.add_argument('--out-item', choices=['pred', 'metrics'],
                        default='pred', help='what --out holds')
    parser.add_argument('--show-dir', help='draw predictions into this '
                        'folder (under the work dir)')
    parser.add_argument('--interval', type=int, default=1,
                        help='draw every N-th image with --show-dir')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation (the config's "
                        'tta_model and tta_pipeline)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show_dir:
        show_predictions(cfg, args.show_dir, args.interval)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise SystemExit(f'--tta: {args.config} has no tta_model and '
                             'tta_pipeline')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
    if args.out and args.out_item == 'pred' and \
            not args.out.endswith(('.pkl', '.pickle')):
        raise SystemExit(f'--out {args.out}: predictions are dumped as a '
                         'pickle (.pkl); use --out-item metrics for JSON')
    return cfg


def show_predictions(cfg, show_dir, interval):
    """Turn on the config's visualization hook: mmpretrain's, mmdet's and
    mmseg's each take the folder their own way (as their tools/test.py)."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise SystemExit('--show-dir: the config has no '
                         'default_hooks.visualization to draw with')
    kind = hook.type.rsplit('.', 1)[-1]
    if kind == 'DetVisualizationHook':  # under the run's timestamp folder
        hook.update(draw=True, test_out_dir=show_dir, interval=interval)
    elif kind == 'SegVisualizationHook':  # <show_dir>/vis_data/vis_image
        hook.update(draw=True, interval=interval)
        cfg.visualizer.save_dir = show_dir
    else:
        hook.update(enable=True, out_dir=show_dir, interval=interval)


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    init_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg \
        else Runner.from_cfg(cfg)
    if args.out and args.out_item == 'pred':
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
