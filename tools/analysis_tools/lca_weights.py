"""How CeiT's layer-wise class-token attention (LCA) weighs the layers.

Usage:
    python tools/analysis_tools/lca_weights.py CONFIG CHECKPOINT
        [--data N] [--out lca_weights.png] [--batch-size B]
        [--device cpu] [--cfg-options k=v ...]

``LCAClsHead`` attends from the last layer's class token to the class
tokens of all layers. This tool averages that attention over the heads and
the first N validation images and draws it as one bar per layer, with the
per-head weights beside it; it prints the weights too. The weights of each
image and head sum to 1, and so do the averages.
"""
import warnings

import torch
# mmcv-lite has no compiled ops; these tools do not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')

from mmvit_ext.models.heads.lca_head import LCAClsHead
from mmvit_ext.visualization import (AttentionRecorder, figure,
                                     load_model_and_batches, run_tool,
                                     save_figure, tool_parser)


def parse_args(argv=None):
    parser = tool_parser(__doc__, data=1000, batch_size=64)
    parser.add_argument('--out', default='lca_weights.png', help='PNG')
    return parser.parse_args(argv)


def lca_weights(model, batches):
    """``(heads, layers)`` LCA attention averaged over the images."""
    if not isinstance(model.head, LCAClsHead):
        raise ValueError(f'the head is {type(model.head).__name__}, not '
                         'LCAClsHead: there are no layer weights to draw')
    total, count = 0, 0
    with AttentionRecorder(model.head) as recorder, torch.no_grad():
        for inputs in batches:
            model.head.pre_logits(model.extract_feat(inputs))
            attn = recorder.maps[-1].attn  # (B, heads, 1, layers)
            total = total + attn[:, :, 0].sum(0)
            count += len(attn)
            recorder.maps.clear()
    return total / count


def draw(weights, title, out):
    heads, layers = weights.shape
    fig, axes = figure(1, 2, cell=4.0)
    xs = torch.arange(1, layers + 1)
    ax = axes[0, 0]
    ax.bar(xs, weights.mean(0), color='tab:blue')
    ax.set_title('mean over heads', fontsize=9)
    width = 0.8 / heads
    for h in range(heads):
        axes[0, 1].bar(xs - 0.4 + width * (h + 0.5), weights[h], width,
                       label=f'head {h}')
    axes[0, 1].set_title('per head', fontsize=9)
    axes[0, 1].legend(fontsize=7)
    for ax in axes[0]:
        ax.set_xticks(xs)
        ax.set_xlabel("block whose class token is attended to")
        ax.set_ylabel('LCA attention weight')
        ax.grid(alpha=0.3, axis='y')
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    save_figure(fig, out)


def main(argv=None):
    args = parse_args(argv)
    weights = lca_weights(*load_model_and_batches(args))
    draw(weights, f'LCA weights over {args.data} validation images: '
         f'{args.config}', args.out)
    mean = weights.mean(0)
    print(f'LCA attention over the class tokens of blocks 1..{len(mean)}, '
          f'mean of {len(weights)} heads and {args.data} images:')
    print('  ' + '  '.join(f'{i + 1}: {w:.3f}' for i, w in enumerate(mean)))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
