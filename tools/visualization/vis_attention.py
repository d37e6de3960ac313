"""Draw where the class token looks: attention maps of one image.

Usage:
    python tools/visualization/vis_attention.py CONFIG CHECKPOINT IMAGE
        [--layers 0 5 -1] [--out DIR] [--device cpu] [--cfg-options k=v ...]

Writes to DIR (default ``vis_attention``):
- ``cls_attention.png``: the class token's attention over the patches, per
  layer (rows) and head (columns, then their mean), upsampled onto the image
  as the model sees it. PiT's rows go stage by stage, on each stage's grid.
- ``rollout.png``: attention rollout across the layers (per stage for PiT).
- ``reattention.png`` (DeepViT with re-attention): each layer's maps before
  and after re-attention mixes the heads; the mixed maps weigh the values.
- ``attention.npz``: the class token's full attention rows per layer
  (``<layer>``, ``(heads, tokens)``; ``<layer>.mixed`` for re-attention) and
  the rollout rows (``rollout.<stage>``), for your own plots.

--layers picks attention layers by index (negative from the end); the
default is all. CHECKPOINT may be ours, an official or timm file.
"""
import io
import os
import warnings
from collections import OrderedDict

import numpy as np
import torch
# mmcv-lite has no compiled ops; these tools do not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')

from mmvit_ext.utils import atomic_write
from mmvit_ext.visualization import (AttentionRecorder, attention_rollout,
                                     figure, load_image_and_model, overlay,
                                     run_tool, save_figure, token_grid,
                                     tool_parser)


def parse_args(argv=None):
    parser = tool_parser(__doc__, image=True)
    parser.add_argument('--layers', type=int, nargs='+',
                        help='attention layers to draw (default: all)')
    parser.add_argument('--out', default='vis_attention',
                        help='folder for the PNGs and attention.npz')
    return parser.parse_args(argv)


def record(model, inputs):
    """The backbone's attention maps for ``inputs`` (batch of one)."""
    backbone = model.backbone
    if not getattr(backbone, 'num_extra_tokens', 0):
        raise ValueError(f'{type(backbone).__name__} is built without a '
                         'class token: there is no class-token attention '
                         'to draw')
    with AttentionRecorder(backbone) as recorder, torch.no_grad():
        model.extract_feat(inputs)
    return recorder.maps, backbone.num_extra_tokens


def pick_layers(maps, layers):
    if layers is None:
        return list(range(len(maps)))
    picked = []
    for i in layers:
        if not -len(maps) <= i < len(maps):
            raise ValueError(f'--layers {i}: the backbone has {len(maps)} '
                             f'attention layers (0..{len(maps) - 1}, or '
                             'negative from the end)')
        picked.append(i % len(maps))
    return picked


def stages(maps):
    """Runs of consecutive layers with the same token count: one for plain
    ViTs, one per stage for PiT."""
    runs = OrderedDict()
    for i, m in enumerate(maps):
        runs.setdefault(m.attn.shape[-1], []).append(i)
    return list(runs.values())


def cls_row_grid(row, num_extra, image_hw):
    """A class-token attention row (tokens,) -> the patch grid (h, w)."""
    patches = row[num_extra:]
    return patches.reshape(token_grid(patches.numel(), image_hw))


def draw_cls_attention(maps, picked, num_extra, shown, out, key='attn',
                       title=''):
    """Rows: picked layers (two per layer for key='both'); columns: heads
    (as many as the widest layer has; PiT's stages differ), then their
    mean."""
    columns = max(maps[i].attn.shape[1] for i in picked) + 1
    kinds = ['attn', 'mixed'] if key == 'both' else [key]
    fig, axes = figure(len(picked) * len(kinds), columns)
    hw = shown.shape[:2]
    for r, (i, kind) in enumerate((i, k) for i in picked for k in kinds):
        rows = getattr(maps[i], kind)[0, :, 0]  # (heads, tokens)
        heads = len(rows)
        for c in range(columns):
            ax = axes[r, c]
            if heads <= c < columns - 1:
                ax.axis('off')
                continue
            row = rows[c] if c < heads else rows.mean(0)
            label = f'head {c}' if c < heads else 'mean'
            if c == 0:
                label = f'{maps[i].name}' + (
                    f' ({"softmax" if kind == "attn" else "mixed"})'
                    if key == 'both' else '') + f'\n{label}'
            overlay(ax, shown, cls_row_grid(row, num_extra, hw), label)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    save_figure(fig, out)


def rollouts(maps):
    """``{stage: (tokens,) rollout row of the class token}`` over the maps
    that weigh the values."""
    return {s: attention_rollout([maps[i].weighing for i in run])[0, 0]
            for s, run in enumerate(stages(maps))}


def draw_rollout(rolls, num_extra, shown, out):
    fig, axes = figure(1, len(rolls) + 1, cell=2.0)
    overlay(axes[0, 0], shown, None, 'input')
    for s, row in rolls.items():
        name = f'rollout, stage {s}' if len(rolls) > 1 else 'rollout'
        overlay(axes[0, s + 1], shown,
                cls_row_grid(row, num_extra, shown.shape[:2]), name)
    fig.tight_layout()
    save_figure(fig, out)


def save_arrays(maps, rolls, out):
    arrays = {}
    for m in maps:
        arrays[m.name] = m.attn[0, :, 0].numpy()
        if m.mixed is not None:
            arrays[m.name + '.mixed'] = m.mixed[0, :, 0].numpy()
    for s, row in rolls.items():
        arrays[f'rollout.{s}'] = row.numpy()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with atomic_write(out) as f:
        f.write(buffer.getvalue())


def main(argv=None):
    args = parse_args(argv)
    inferencer, inputs, shown = load_image_and_model(args)
    maps, num_extra = record(inferencer.model, inputs)
    picked = pick_layers(maps, args.layers)
    name = os.path.basename(args.image)
    written = []

    def path(file):
        written.append(os.path.join(args.out, file))
        return written[-1]

    draw_cls_attention(maps, picked, num_extra, shown,
                       path('cls_attention.png'), key='attn',
                       title=f'class-token attention, {name}')
    rolls = rollouts(maps)
    draw_rollout(rolls, num_extra, shown, path('rollout.png'))
    if any(maps[i].mixed is not None for i in picked):
        mixed = [i for i in picked if maps[i].mixed is not None]
        draw_cls_attention(maps, mixed, num_extra, shown,
                           path('reattention.png'), key='both',
                           title='before (softmax) and after (mixed) '
                           f're-attention, {name}')
    save_arrays(maps, rolls, path('attention.npz'))
    backbone = type(inferencer.model.backbone).__name__
    print(f'{len(maps)} attention layers of {backbone}, '
          f'{len(picked)} drawn; wrote ' + ', '.join(written))


if __name__ == '__main__':
    run_tool(main)
