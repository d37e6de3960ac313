"""Predict image files: print the top-k classes of each, with scores.

Usage: python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...]
                             [--topk K] [--show-dir D] [--device cpu]
                             [--cfg-options k=v ...]

CHECKPOINT is ours, an official or timm file (converted on the fly) or an
http(s) URL. Grey-image configs read the files as grey images.
"""
import argparse
import warnings

import torch
# mmcv-lite has no compiled ops; classification does not need them.
warnings.filterwarnings('ignore', 'Fail to import ``MultiScaleDeformableAttention``')
# mmengine (and mmdet, mmseg) import pkg_resources, which warns on every
# import with setuptools >= 80; nothing for a user to act on.
warnings.filterwarnings('ignore', 'pkg_resources is deprecated', UserWarning)

from mmengine.config import Config, DictAction

from mmvit_ext.apis import ImageClassificationInferencer


def parse_args():
    parser = argparse.ArgumentParser(description='Predict image files')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--topk', type=int, default=5,
                        help='how many classes to print per image')
    parser.add_argument('--show-dir',
                        help='also draw each prediction into this folder')
    parser.add_argument('--device', default=None, help='e.g. cpu, cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = ImageClassificationInferencer(
        cfg, pretrained=args.checkpoint, device=args.device)
    results = inferencer(args.images, show_dir=args.show_dir)
    classes = inferencer.classes
    print()  # end the progress bar line
    for image, result in zip(args.images, results):
        scores = torch.as_tensor(result['pred_scores'])
        values, indices = scores.topk(min(args.topk, scores.numel()))
        print(image)
        for rank, (score, index) in enumerate(zip(values, indices), 1):
            name = classes[index] if classes else str(int(index))
            print(f'  {rank}. {name:<24} {float(score):.4f}')
    if args.show_dir:
        print(f'Drawn predictions are in {args.show_dir}')


if __name__ == '__main__':
    main()
