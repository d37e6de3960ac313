"""Export a classifier (or its backbone) to ONNX or torch.export, checked
against eager PyTorch before success is reported.

Usage:
    python tools/deployment/export.py CONFIG CHECKPOINT
        --format onnx|torch-export [--dynamic-batch] [--dynamic-hw]
        [--backbone] [--shape H [W]] [--batch-size N] [--atol A]
        [--out F] [--cfg-options k=v ...]

The exported graph takes the image normalised as the config's data
preprocessor does (mean/std, printed at the end) and returns the logits, or
with --backbone the backbone's outputs (one per ``out_indices`` entry, a
``(cls, dist)`` pair flattened into two). The example input is the
backbone's ``img_size`` unless --shape says otherwise.

With --dynamic-batch and --dynamic-hw the exported graph takes other batch
sizes and image sizes (H and W need not be multiples of the patch size).
The check runs the export and eager on a random input of the export size
and, for each dynamic axis, on a second size; a graph that silently fixed a
size fails it, and nothing is left at --out.
"""
import argparse
import os
import tempfile
import warnings

import torch
# mmcv-lite has no compiled ops; these tools do not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')
from mmengine.config import DictAction

from mmvit_ext.analysis import input_shape
from mmvit_ext.utils import atomic_write
from mmvit_ext.visualization import load_model, run_tool

FORMATS = {'onnx': '.onnx', 'torch-export': '.pt2'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--format', required=True, choices=sorted(FORMATS))
    parser.add_argument('--dynamic-batch', action='store_true',
                        help='the batch size is an input of the graph')
    parser.add_argument('--dynamic-hw', action='store_true',
                        help='height and width are inputs of the graph')
    parser.add_argument('--backbone', action='store_true',
                        help='export the backbone alone')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='example input H [W] (default: img_size)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='example batch size (at least 2 with '
                        '--dynamic-batch; default 1, or 2 then)')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest allowed |export - eager| (default '
                        '1e-4)')
    parser.add_argument('--out', help='file to write (default: the '
                        'checkpoint name with .onnx or .pt2)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as key=value')
    args = parser.parse_args(argv)
    if args.shape and len(args.shape) > 2:
        parser.error(f'--shape {args.shape}: give H or H W')
    if args.dynamic_batch:
        args.batch_size = max(args.batch_size, 2)
    if args.batch_size < 1:
        parser.error(f'--batch-size {args.batch_size}: must be 1 or more')
    if args.out is None:
        args.out = os.path.splitext(args.checkpoint)[0] + (
            '_backbone' if args.backbone else '') + FORMATS[args.format]
    return args


class Exported(torch.nn.Module):
    """The part to export as ``image -> tensor(s)``: logits, or the
    backbone's outputs flattened into a tuple of tensors."""

    def __init__(self, model, backbone=False):
        super().__init__()
        self.model = model
        self.backbone = backbone

    def forward(self, x):
        if not self.backbone:
            return self.model(x, mode='tensor')
        outs = []
        for out in self.model.backbone(x):
            outs.extend(out if isinstance(out, (tuple, list)) else [out])
        return tuple(outs)


def example_shape(cfg, args):
    return (args.batch_size,
            *input_shape(cfg.model.backbone, args.shape))


def check_sizes(shape, args, stride):
    """The example input, then one more per dynamic axis."""
    b, c, h, w = shape
    sizes = [shape]
    if args.dynamic_batch:
        sizes.append((b + 1, c, h, w))
    if args.dynamic_hw:
        sizes.append((b, c, h + stride + 3, w + 2 * stride))
    return sizes


def dynamic_shapes(args):
    """torch.export's ``Dim.DYNAMIC`` on the chosen axes: it derives the
    valid range itself (e.g. H at least the stem's kernel)."""
    if not (args.dynamic_batch or args.dynamic_hw):
        return None
    axes = ([0] if args.dynamic_batch else []) + (
        [2, 3] if args.dynamic_hw else [])
    return {'x': {axis: torch.export.Dim.DYNAMIC for axis in axes}}


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out, )


def export_torch(module, example, args, out):
    program = torch.export.export(module, (example, ),
                                  dynamic_shapes=dynamic_shapes(args))
    with atomic_write(out) as f:
        torch.export.save(program, f)
    loaded = torch.export.load(out).module()
    return lambda x: as_tuple(loaded(x))


def export_onnx(module, example, args, out):
    try:
        import onnxruntime
    except ImportError as e:
        raise ImportError(f'{e}; --format onnx needs onnx, onnxscript and '
                          'onnxruntime: pip install -r requirements/tools.txt'
                          ) from e
    num_outputs = len(as_tuple(module(example)))
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        program = torch.onnx.export(
            module, (example, ), dynamo=True, verbose=False,
            dynamic_shapes=dynamic_shapes(args), input_names=['input'],
            output_names=['output' if num_outputs == 1 else f'output{i}'
                          for i in range(num_outputs)])
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        staged = os.path.join(tmp, os.path.basename(out))
        program.save(staged)
        extra = set(os.listdir(tmp)) - {os.path.basename(out)}
        if extra:
            raise ValueError(f'the ONNX model keeps its weights in separate '
                             f'files {sorted(extra)} (over 2 GB); export it '
                             'with --format torch-export')
        os.replace(staged, out)
    session = onnxruntime.InferenceSession(
        out, providers=['CPUExecutionProvider'])
    return lambda x: tuple(
        torch.from_numpy(o) for o in session.run(None, {'input': x.numpy()}))


def max_difference(run, module, shape):
    x = torch.randn(shape)
    with torch.no_grad():
        expected = as_tuple(module(x))
        got = run(x)
    if len(got) != len(expected) or any(
            g.shape != e.shape for g, e in zip(got, expected)):
        raise ValueError(
            f'at input {tuple(shape)} the export returns shapes '
            f'{[tuple(g.shape) for g in got]}, eager '
            f'{[tuple(e.shape) for e in expected]}')
    return max(float((g - e).abs().max()) for g, e in zip(got, expected))


def main(argv=None):
    args = parse_args(argv)
    inferencer, cfg = load_model(args.config, args.checkpoint, 'cpu',
                                 args.cfg_options)
    module = Exported(inferencer.model, args.backbone).eval()
    shape = example_shape(cfg, args)
    torch.manual_seed(0)
    example = torch.randn(shape)
    exporter = export_onnx if args.format == 'onnx' else export_torch
    try:
        run = exporter(module, example, args, args.out)
        stride = getattr(inferencer.model.backbone, 'patch_stride', 16)
        diffs = {s: max_difference(run, module, s)
                 for s in check_sizes(shape, args, stride)}
        bad = {s: d for s, d in diffs.items() if not d <= args.atol}
        if bad:
            raise ValueError(
                'the export differs from eager by more than --atol '
                f'{args.atol}: ' + ', '.join(f'{d:.3g} at input {s}'
                                             for s, d in bad.items()))
    except BaseException:
        if os.path.exists(args.out):
            os.remove(args.out)
        raise
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    print(f'Exported {"the backbone" if args.backbone else "the classifier"}'
          f' of {args.config} to {args.out} ({args.format}).')
    for s, d in diffs.items():
        print(f'  input {tuple(s)}: max |export - eager| = {d:.2e}')
    print(f'  the input is the image normalised with mean '
          f'{preprocessor.get("mean")} and std {preprocessor.get("std")}'
          + (', in RGB order' if preprocessor.get('to_rgb') else ''))


if __name__ == '__main__':
    run_tool(main, (FileNotFoundError, ValueError, ImportError))
