"""Attention collapse: how alike are the attention maps of different layers?

Usage:
    python tools/analysis_tools/attention_similarity.py CONFIG CHECKPOINT
        [--data N] [--next-k 1 2 4] [--out DIR] [--batch-size B]
        [--device cpu] [--cfg-options k=v ...]

The DeepViT paper's measure (Zhou et al., 2021, Eq. 2): for layers p and q,
the cosine similarity of each head's attention column t (how token t feeds
every output token) in p and in q, averaged over heads, tokens and the
first N validation images. Maps are those that weigh the values, i.e. after
the head mixing for re-attention. Layers with different token counts (PiT's
stages) are not compared.

Writes to DIR (default ``attention_similarity``):
- ``similarity_matrix.png``: the layer-by-layer matrix;
- ``similarity_matrix_softmax.png`` (re-attention): the same for the
  softmax maps before the head mixing;
- ``similar_next_k.png``: per layer, the mean similarity to the next k
  layers;
- ``similarity.json``: the matrix, the mean similarity of adjacent layers
  (the number to compare models by) and the curves; for re-attention also
  the same for the softmax maps before the mixing. Also each layer's mean
  softmax entropy over that of uniform attention: maps close to uniform
  (entropy near 1) are alike whatever the model, so read the similarity
  beside it.
"""
import json
import math
import os
import warnings

import torch
# mmcv-lite has no compiled ops; these tools do not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')

from mmvit_ext.utils import atomic_write
from mmvit_ext.visualization import (AttentionRecorder, figure,
                                     layer_similarity, load_model_and_batches,
                                     run_tool, save_figure, tool_parser)


def parse_args(argv=None):
    parser = tool_parser(__doc__, data=256)
    parser.add_argument('--next-k', type=int, nargs='+', default=[1, 2, 4],
                        help='the k of the "next k layers" curves')
    parser.add_argument('--out', default='attention_similarity',
                        help='folder for the PNGs and similarity.json')
    args = parser.parse_args(argv)
    bad = [k for k in args.next_k if k < 1]
    if bad:
        parser.error(f'--next-k {bad}: each k must be 1 or more')
    return args


def similarity_matrices(model, batches):
    """``(names, {'attn': M, 'softmax': M?}, entropy)``: each M the (L, L)
    mean similarity over all images, NaN between layers of different sizes;
    ``entropy`` (L,) the mean entropy of the softmax rows over that of
    uniform attention (1: every token attends to all alike)."""
    sums, count, names, entropy = {}, 0, None, 0
    with AttentionRecorder(model.backbone) as recorder, torch.no_grad():
        for inputs in batches:
            model.extract_feat(inputs)
            maps = recorder.maps
            names = [m.name for m in maps]
            kinds = {'attn': [m.weighing for m in maps]}
            if any(m.mixed is not None for m in maps):
                kinds['softmax'] = [m.attn for m in maps]
            for kind, tensors in kinds.items():
                total = sums.setdefault(
                    kind, torch.full((len(maps), ) * 2, math.nan,
                                     dtype=torch.float64))
                for group in size_groups(tensors):
                    block = layer_similarity([tensors[i] for i in group])
                    idx = torch.tensor(group)
                    prev = total[idx[:, None], idx]
                    total[idx[:, None], idx] = torch.nan_to_num(prev) + \
                        block * len(inputs)
            entropy = entropy + torch.tensor([
                float(row_entropy(m.attn).sum(0).mean()) for m in maps])
            count += len(inputs)
            recorder.maps.clear()
    return names, {kind: total / count
                   for kind, total in sums.items()}, entropy / count


def row_entropy(attn):
    """``(B, heads, queries, keys)`` softmax maps -> ``(B, heads, queries)``
    entropy of each row over ``log(keys)``, the uniform row's."""
    return -(attn * attn.clamp(min=1e-12).log()).sum(-1) / math.log(
        attn.shape[-1])


def size_groups(tensors):
    groups = {}
    for i, t in enumerate(tensors):
        groups.setdefault(tuple(t.shape[1:]), []).append(i)
    return list(groups.values())


def adjacent_mean(matrix):
    pairs = [matrix[i, i + 1] for i in range(len(matrix) - 1)]
    pairs = [float(p) for p in pairs if not math.isnan(p)]
    return sum(pairs) / len(pairs) if pairs else math.nan


def next_k_curve(matrix, k):
    """Per layer p, the mean similarity to layers p+1..p+k (those that
    exist and are comparable); None where there is none."""
    curve = []
    for p in range(len(matrix)):
        values = [float(v) for v in matrix[p, p + 1:p + 1 + k]
                  if not math.isnan(v)]
        curve.append(sum(values) / len(values) if values else None)
    return curve


def draw_matrix(matrix, title, out):
    fig, axes = figure(1, 1, cell=4.5)
    ax = axes[0, 0]
    values = matrix[~matrix.isnan()]
    image = ax.imshow(matrix.numpy(), vmin=min(0, float(values.min())),
                      vmax=1, cmap='viridis')
    ax.set_xlabel('layer q')
    ax.set_ylabel('layer p')
    ax.set_title(title, fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    save_figure(fig, out)


def draw_curves(curves, title, out):
    fig, axes = figure(1, 1, cell=4.5)
    ax = axes[0, 0]
    for k, curve in curves.items():
        xs = [p for p, v in enumerate(curve) if v is not None]
        ax.plot(xs, [curve[p] for p in xs], marker='o', markersize=3,
                label=f'next {k} layer{"s" if k > 1 else ""}')
    lowest = min([v for curve in curves.values() for v in curve
                  if v is not None] + [0])
    ax.set_ylim(lowest - 0.02, 1.02)
    ax.set_xlabel('layer p')
    ax.set_ylabel('mean similarity to the next k layers')
    ax.set_title(title, fontsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out)


def main(argv=None):
    args = parse_args(argv)
    names, matrices, entropy = similarity_matrices(
        *load_model_and_batches(args))
    options = ' '.join(f'{k}={v}' for k, v in (args.cfg_options or {}).items())
    title = (f'{os.path.basename(args.config)}\n'
             + (f'{options}\n' if options else '') +
             f'{args.checkpoint}, {args.data} images')
    summary = dict(config=args.config, checkpoint=args.checkpoint,
                   images=args.data, layers=names,
                   softmax_entropy=entropy.tolist())
    for kind, matrix in matrices.items():
        key = 'attention' if kind == 'attn' else 'softmax_before_mixing'
        summary[key] = dict(
            mean_adjacent_similarity=adjacent_mean(matrix),
            next_k={k: next_k_curve(matrix, k) for k in args.next_k},
            matrix=[[None if math.isnan(v) else v for v in row]
                    for row in matrix.tolist()])
    os.makedirs(args.out, exist_ok=True)
    attn = summary['attention']
    draw_matrix(matrices['attn'], 'cross-layer attention similarity\n'
                + title, os.path.join(args.out, 'similarity_matrix.png'))
    if 'softmax' in matrices:
        draw_matrix(matrices['softmax'], 'softmax maps before re-attention '
                    'mixing\n' + title,
                    os.path.join(args.out, 'similarity_matrix_softmax.png'))
    draw_curves(attn['next_k'], title,
                os.path.join(args.out, 'similar_next_k.png'))
    with atomic_write(os.path.join(args.out, 'similarity.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(f'{len(names)} attention layers, {args.data} images')
    print('softmax attention entropy (1 = uniform), mean over layers: '
          f'{float(entropy.mean()):.4f}')
    print('mean similarity of adjacent layers: '
          f'{attn["mean_adjacent_similarity"]:.4f}')
    if 'softmax_before_mixing' in summary:
        softmax = summary['softmax_before_mixing']
        print('  softmax maps before re-attention mixing: '
              f'{softmax["mean_adjacent_similarity"]:.4f}')
    print(f'wrote {", ".join(sorted(os.listdir(args.out)))} in {args.out}')


if __name__ == '__main__':
    run_tool(main)
