"""Top-1 of an exported timm model on a config's test set, all in timm.

The model comes from a timm hub folder written by
``tools/model_converters/mmvit_to_timm.py`` (``model.safetensors`` and
``config.json``) through ``timm.create_model('local-dir:DIR')``; each test
image goes through timm's own eval transform for that model
(``resolve_model_data_config``, ``create_transform``), and top-1 comes from
mmpretrain's ``Accuracy``. It should equal what ``tools/test.py`` gives for
the checkpoint that was exported.

Usage:
    python tools/analysis_tools/timm_accuracy.py DIR CONFIG [--batch-size 256]
"""
import argparse

import numpy as np
import torch
from mmengine.config import Config
from PIL import Image

import mmvit_ext  # noqa: F401  (registers modules)
from mmvit_ext.registry import DATASETS


def images_and_labels(config):
    """The test set's decoded images (PIL, as loaded, before the pipeline)
    and labels."""
    from mmcv.transforms import LoadImageFromFile
    cfg = Config.fromfile(config).test_dataloader.dataset
    cfg.pipeline = []
    dataset = DATASETS.build(cfg)
    load = LoadImageFromFile(color_type='unchanged')
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        img = info['img'] if 'img' in info else load(info)['img']
        if img.ndim == 3 and img.shape[-1] == 3:
            img = img[..., ::-1]  # mmcv's BGR -> RGB
        yield Image.fromarray(np.ascontiguousarray(img).squeeze()), \
            int(info['gt_label'])


def main(argv=None):
    import timm
    from mmpretrain.evaluation import Accuracy
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('folder', help='timm hub folder (config.json and '
                        'model.safetensors)')
    parser.add_argument('config', help='the config whose test set to use')
    parser.add_argument('--batch-size', type=int, default=256)
    args = parser.parse_args(argv)

    model = timm.create_model(f'local-dir:{args.folder}',
                              pretrained=True).eval()
    transform = timm.data.create_transform(
        **timm.data.resolve_model_data_config(model))
    print(f'timm transform: {transform}')
    scores, labels, batch = [], [], []

    def flush():
        with torch.no_grad():
            scores.append(model(torch.stack(batch)))
        batch.clear()

    for img, label in images_and_labels(args.config):
        batch.append(transform(img))
        labels.append(label)
        if len(batch) == args.batch_size:
            flush()
    if batch:
        flush()
    top1 = Accuracy.calculate(torch.cat(scores), torch.tensor(labels),
                              topk=(1, ))[0][0].item()
    print(f'timm top-1 on {len(labels)} test images: {top1:.2f}')


if __name__ == '__main__':
    main()
