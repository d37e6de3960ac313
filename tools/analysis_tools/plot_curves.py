"""Draw the training curves of a run from mmengine's ``scalars.json``.

Training scalars (loss, lr, grad_norm, ...) are drawn against the iteration,
validation metrics against the epoch (or the iteration, for iteration-based
runs), one panel per key.

Usage:
    python tools/analysis_tools/plot_curves.py WORK_DIR
        [--keys loss lr accuracy/top1] [--out curves.png]

WORK_DIR is a work dir (its newest run is drawn), a run folder
(``WORK_DIR/<timestamp>``) or a ``scalars.json`` file.
"""
import argparse
import glob
import json
import os
import sys

# Timings and bookkeeping, drawn only when asked for by --keys.
NOT_BY_DEFAULT = ('base_lr', 'data_time', 'time', 'memory', 'epoch', 'iter',
                  'step')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('run', help='work dir, run folder or scalars.json')
    parser.add_argument('--keys', nargs='+',
                        help='scalars to draw (default: all but timings and '
                        'base_lr: the loss terms, lr, grad_norm and the '
                        'validation metrics)')
    parser.add_argument('--out', help='PNG to write (default: curves.png '
                        'in the run folder)')
    return parser.parse_args(argv)


def find_scalars(run):
    """The ``scalars.json`` of ``run``: the file itself, the run folder's,
    or the newest run's of a work dir."""
    if os.path.isfile(run):
        return run
    direct = os.path.join(run, 'vis_data', 'scalars.json')
    if os.path.isfile(direct):
        return direct
    runs = sorted(glob.glob(os.path.join(run, '*', 'vis_data',
                                         'scalars.json')))
    if not runs:
        raise FileNotFoundError(
            f'no vis_data/scalars.json under {run}: give a work dir of '
            'tools/train.py, one of its <timestamp> folders or the file; '
            "the config needs mmengine's LocalVisBackend (on in ours)")
    return runs[-1]


def read_scalars(path):
    """``{key: (xs, ys, x_label)}`` from the records of ``path``."""
    train, val = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path} line {n} is not JSON: {e}') from e
            # Training records carry the iteration; validation ones a step
            # (the epoch in epoch-based runs).
            (train if 'iter' in record else val).append(record)
    by_epoch = any('epoch' in r for r in train)
    curves = {}
    for records, x_key, x_label in (
            (train, 'iter', 'iteration'),
            (val, 'step', 'epoch' if by_epoch else 'iteration')):
        for record in records:
            for key, value in record.items():
                if key in ('epoch', 'iter', 'step') or not isinstance(
                        value, (int, float)):
                    continue
                # Validation has timings of its own: keep them apart.
                name = f'{key} (val)' if records is val and key in (
                    'time', 'data_time') else key
                xs, ys, _ = curves.setdefault(name, ([], [], x_label))
                xs.append(record[x_key])
                ys.append(value)
    return curves


def default_keys(curves):
    return [k for k in curves
            if k.split(' ')[0] not in NOT_BY_DEFAULT]


def plot(curves, keys, out, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmvit_ext.utils import atomic_write
    cols = min(3, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows),
                             squeeze=False)
    for ax, key in zip(axes.flat, keys):
        xs, ys, x_label = curves[key]
        ax.plot(xs, ys, marker='o' if len(xs) < 30 else None, markersize=3)
        ax.set_title(key)
        ax.set_xlabel(x_label)
        ax.grid(alpha=0.3)
        if key == 'lr' or key.endswith('_lr'):
            ax.ticklabel_format(axis='y', style='sci', scilimits=(-2, 2))
    for ax in list(axes.flat)[len(keys):]:
        ax.axis('off')
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_write(out) as f:
        fig.savefig(f, format='png', dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    path = find_scalars(args.run)
    curves = read_scalars(path)
    if not curves:
        raise ValueError(f'{path} holds no scalars yet')
    keys = args.keys or default_keys(curves)
    missing = [k for k in keys if k not in curves]
    if missing:
        raise KeyError(f'{missing} not in {path}; it has {sorted(curves)}')
    out = args.out or os.path.join(os.path.dirname(os.path.dirname(path)),
                                   'curves.png')
    plot(curves, keys, out, title=path)
    print(f'{out}: ' + ', '.join(
        f'{k} ({len(curves[k][0])} points)' for k in keys))


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'plot_curves.py: {e.args[0] if e.args else e}')
