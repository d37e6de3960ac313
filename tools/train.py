"""Train a model from a config: Config -> CLI overrides -> Runner.train().

Usage: python tools/train.py CONFIG [--work-dir D] [--resume [CKPT]]
                             [--amp] [--amp-dtype bfloat16|float16] [--compile]
                             [--fsdp] [--cfg-options k=v ...]
                             [--launcher none|pytorch|slurm]

Restarted by torchrun (``tools/dist_train.sh`` with ``MAX_RESTARTS``), a run
resumes from the newest intact checkpoint of its work dir.
"""
import argparse
import warnings
import os
import os.path as osp

# mmcv-lite has no compiled ops; classification does not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')
# mmengine (and mmdet, mmseg) import pkg_resources, which warns on every
# import with setuptools >= 80; nothing for a user to act on.
warnings.filterwarnings('ignore', 'pkg_resources is deprecated', UserWarning)

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmvit_ext.engine import init_distributed  # also registers modules
from mmvit_ext.registry import RUNNERS


FSDP_BASE = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'configs',
                     '_base_', 'strategies', 'fsdp.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None,
        help='resume from CKPT, or without a value from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: bf16 autocast where the device computes in '
        'bf16 (CUDA >= 8.0, CPU with AMX or AVX-512-BF16), else fp16 with a '
        'dynamic loss scale where that is native, else fp32 (a CPU with '
        'AVX2 only emulates both, ~100x slower)')
    parser.add_argument(
        '--amp-dtype', choices=['bfloat16', 'float16'],
        help='mixed precision in this dtype (implies --amp); warns where '
        'the device emulates it')
    parser.add_argument(
        '--compile', action='store_true',
        help="torch.compile the train step (mmengine's compile option)")
    parser.add_argument(
        '--fsdp', action='store_true',
        help='train with FSDP (configs/_base_/strategies/fsdp.py); launch '
        'with tools/dist_train.sh')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    """Apply the command line to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp or args.amp_dtype:
        # mmvit_ext.AmpOptimWrapper: any device, bf16 where it is fast.
        cfg.optim_wrapper.type = 'mmvit_ext.AmpOptimWrapper'
        cfg.optim_wrapper.dtype = args.amp_dtype or 'auto'
    if args.compile:
        cfg.compile = True
    if args.fsdp:
        cfg.strategy = Config.fromfile(FSDP_BASE).strategy
    restarts = int(os.environ.get('TORCHELASTIC_RESTART_COUNT', '0'))
    if restarts and args.resume is None and osp.isfile(
            osp.join(cfg.work_dir, 'last_checkpoint')):
        # torchrun restarted the workers after one was lost; before the
        # first checkpoint the run starts again as it started first.
        print(f'Restart {restarts} by torchrun: resuming from the newest '
              f'intact checkpoint in {cfg.work_dir}.', flush=True)
        args.resume = 'auto'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    init_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg \
        else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
