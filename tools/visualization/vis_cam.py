"""Grad-CAM (and its relatives) for our ViTs, with pytorch-grad-cam.

Usage:
    python tools/visualization/vis_cam.py CONFIG CHECKPOINT IMAGE
        [--method GradCAM] [--target-layers backbone.layers.3.ln1]
        [--target-category C] [--eigen-smooth] [--aug-smooth]
        [--out cam.png] [--device cpu] [--cfg-options k=v ...]

Token models have no feature map, so the activations of the target layer,
``(B, tokens, C)``, are reshaped to ``(B, C, h, w)``: the class (and
distillation) tokens are dropped and the patches laid on their grid, the
grid of the stage the layer is in for PiT. The default target layer is the
first norm of the last block (as pytorch-grad-cam advises for ViTs): its
patch tokens still reach the class token through the last attention.

Writes one PNG: the image as the model sees it, and the CAM over it, for
the predicted class unless --target-category says otherwise.
"""
import os
import re
import warnings

import numpy as np
import torch
# mmcv-lite has no compiled ops; these tools do not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')

from mmvit_ext.visualization import (figure, load_image_and_model, overlay,
                                     run_tool, save_figure, token_grid,
                                     tool_parser)

METHODS = ('GradCAM', 'GradCAMPlusPlus', 'XGradCAM', 'EigenCAM',
           'EigenGradCAM', 'LayerCAM', 'HiResCAM', 'GradCAMElementWise')


def parse_args(argv=None):
    parser = tool_parser(__doc__, image=True)
    parser.add_argument('--method', default='GradCAM', choices=METHODS)
    parser.add_argument('--target-layers', nargs='+',
                        help='module names in the model (default: the last '
                        "block's ln1)")
    parser.add_argument('--target-category', type=int,
                        help='class to explain (default: the predicted one)')
    parser.add_argument('--eigen-smooth', action='store_true')
    parser.add_argument('--aug-smooth', action='store_true')
    parser.add_argument('--out', default='cam.png', help='PNG to write')
    return parser.parse_args(argv)


def default_target_layer(model):
    """The ``ln1`` of the backbone's last block (DeiT III, DeiT, DeepViT,
    CeiT: ``layers.<i>``; PiT: ``stages.<s>.blocks.<i>``)."""
    pattern = re.compile(r'^backbone\.(layers|stages\.\d+\.blocks)\.\d+\.ln1$')
    names = [n for n, _ in model.named_modules() if pattern.match(n)]
    if not names:
        raise ValueError(f'{type(model.backbone).__name__} has no block with '
                         'an ln1; give --target-layers')
    return names[-1]


def find_modules(model, names):
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        blocks = [n for n in modules if n.endswith('ln1')][-3:]
        raise ValueError(f'--target-layers {missing}: no such module; for '
                         f'example {blocks}')
    return [modules[n] for n in names]


def token_reshape(num_extra, image_hw):
    """pytorch-grad-cam's ``reshape_transform`` for token activations."""

    def reshape(x):
        if x.ndim == 4:  # already a feature map
            return x
        patches = x[:, num_extra:]
        h, w = token_grid(patches.shape[1], image_hw)
        return patches.transpose(1, 2).reshape(x.shape[0], -1, h, w)

    return reshape


def compute_cam(model, inputs, target_layers, method='GradCAM',
                category=None, eigen_smooth=False, aug_smooth=False):
    """``(cam (H, W) in [0, 1], category, score)`` for one image."""
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    # The classifier's forward (mode 'tensor') maps images to logits, as
    # pytorch-grad-cam wants; a distilled head returns its logits_type's.
    model.eval()
    with torch.no_grad():
        scores = model(inputs).softmax(-1)[0]
    if category is None:
        category = int(scores.argmax())
    elif not 0 <= category < len(scores):
        raise ValueError(f'--target-category {category}: the model has '
                         f'{len(scores)} classes (0..{len(scores) - 1})')
    cam = getattr(pytorch_grad_cam, method)(
        model=model,
        target_layers=find_modules(model, target_layers),
        reshape_transform=token_reshape(
            getattr(model.backbone, 'num_extra_tokens', 0),
            inputs.shape[-2:]))
    with cam:
        heat = cam(input_tensor=inputs,
                   targets=[ClassifierOutputTarget(category)],
                   eigen_smooth=eigen_smooth, aug_smooth=aug_smooth)[0]
    return np.asarray(heat), category, float(scores[category])


def main(argv=None):
    args = parse_args(argv)
    inferencer, inputs, shown = load_image_and_model(args)
    model = inferencer.model
    layers = args.target_layers or [default_target_layer(model)]
    heat, category, score = compute_cam(
        model, inputs, layers, args.method, args.target_category,
        args.eigen_smooth, args.aug_smooth)
    classes = inferencer.classes
    name = classes[category] if classes else str(category)
    fig, axes = figure(1, 2, cell=2.5)
    overlay(axes[0, 0], shown, None, os.path.basename(args.image))
    overlay(axes[0, 1], shown, heat,
            f'{args.method}: {name} ({score:.2f})\n{", ".join(layers)}')
    fig.tight_layout()
    save_figure(fig, args.out)
    print(f'{args.method} for class {category} ({name}, score {score:.4f}) '
          f'at {", ".join(layers)}; wrote {args.out}')


if __name__ == '__main__':
    run_tool(main, (FileNotFoundError, ValueError, ImportError))
