"""Write ``configs/<algo>/README.md`` from ``configs/<algo>/metafile.yml``,
in mmpretrain's layout: the paper, a summary, how to use it, the tables
(generated from the metafile) and the citation. ``tests/test_configs.py``
checks that each README is what this script writes. Run from the
repository root: ``python tools/misc/make_config_readmes.py``.
"""
import os

import yaml

ALGOS = ('deit3', 'deit', 'pit', 'deepvit', 'ceit')

SUMMARIES = {
    'deit3': (
        'DeiT III revisits supervised training of plain ViTs on ImageNet: a '
        'simple recipe with three data augmentations (grey-scale, '
        'solarization, Gaussian blur), simple random crops, a binary '
        'cross-entropy loss, LayerScale and stochastic depth. It brings '
        'plain supervised ViTs to the level of later architectures and of '
        'self-supervised pre-training. Our `DeiT3` backbone also takes '
        "ViTDet's window attention and relative positions for detection."),
    'deit': (
        'DeiT trains ViTs on ImageNet-1k alone, with strong augmentation and '
        'regularisation, and adds a distillation token: a second class '
        'token whose output learns from a teacher (a convnet) through '
        'attention, and whose prediction is averaged with the class '
        "token's at test time. Here the teacher is a real model built from "
        'its own config and checkpoint.'),
    'pit': (
        'PiT (pooling-based vision transformer) brings the spatial '
        'reduction of CNNs into a ViT: a depth-wise convolution pools the '
        'tokens between stages, halving the grid and widening the channels, '
        'so the three stages form a feature pyramid for dense prediction.'),
    'deepvit': (
        'DeepViT observes that the attention maps of deep ViTs become '
        'similar across layers ("attention collapse"), so extra blocks stop '
        'helping. Its re-attention mixes the heads\' attention maps with a '
        'learnt matrix (and a batch norm) before they weight the values, '
        'which keeps deeper models improving.'),
    'ceit': (
        'CeiT adds convolution designs to a ViT: an image-to-tokens stem '
        '(a convolution and a max pool) makes the tokens, a locally-enhanced '
        'feed-forward layer runs a depth-wise convolution over the patch '
        'grid, and layer-wise class-token attention (LCA) lets a last '
        'block attend over the class tokens of all layers.'),
}

CITATIONS = {
    'deit3': """@inproceedings{touvron2022deit3,
  title={DeiT III: Revenge of the ViT},
  author={Touvron, Hugo and Cord, Matthieu and J{\\'e}gou, Herv{\\'e}},
  booktitle={European Conference on Computer Vision (ECCV)},
  year={2022}
}""",
    'deit': """@inproceedings{touvron2021deit,
  title={Training data-efficient image transformers \\& distillation through attention},
  author={Touvron, Hugo and Cord, Matthieu and Douze, Matthijs and Massa, Francisco and Sablayrolles, Alexandre and J{\\'e}gou, Herv{\\'e}},
  booktitle={International Conference on Machine Learning (ICML)},
  pages={10347--10357},
  year={2021}
}""",
    'pit': """@inproceedings{heo2021pit,
  title={Rethinking Spatial Dimensions of Vision Transformers},
  author={Heo, Byeongho and Yun, Sangdoo and Han, Dongyoon and Chun, Sanghyuk and Choe, Junsuk and Oh, Seong Joon},
  booktitle={International Conference on Computer Vision (ICCV)},
  year={2021}
}""",
    'deepvit': """@article{zhou2021deepvit,
  title={DeepViT: Towards Deeper Vision Transformer},
  author={Zhou, Daquan and Kang, Bingyi and Jin, Xiaojie and Yang, Linjie and Lian, Xiaochen and Jiang, Zihang and Hou, Qibin and Feng, Jiashi},
  journal={arXiv preprint arXiv:2103.11886},
  year={2021}
}""",
    'ceit': """@inproceedings{yuan2021ceit,
  title={Incorporating Convolution Designs into Visual Transformers},
  author={Yuan, Kun and Guo, Shaopeng and Liu, Ziwei and Zhou, Aojun and Yu, Fengwei and Wu, Wei},
  booktitle={International Conference on Computer Vision (ICCV)},
  year={2021}
}""",
}


def load_metafile(algo):
    with open(f'configs/{algo}/metafile.yml') as f:
        return yaml.safe_load(f)


def top1(model):
    for result in model.get('Results') or []:
        return result['Metrics']['Top 1 Accuracy']
    return None


def config_link(model):
    path = model['Config']
    return f'[{os.path.basename(path)}](./{os.path.basename(path)})'


def fashion_table(models):
    rows = ['| Model | Params (M) | FLOPs (M) | Top-1 (%) | Config |',
            '|---|---|---|---|---|']
    for m in models:
        meta = m['Metadata']
        rows.append(f"| {m['Name']} | {meta['Parameters'] / 1e6:.2f} | "
                    f"{meta['FLOPs'] / 1e6:.2f} | {top1(m):.2f} | "
                    f'{config_link(m)} |')
    return rows


def imagenet_table(models):
    rows = ['| Model | Params (M) | FLOPs (G) | Config | Weights |',
            '|---|---|---|---|---|']
    for m in models:
        meta = m['Metadata']
        weights = f"[official]({m['Weights']})" if m.get('Weights') else \
            'convert a local copy (no public URL)'
        rows.append(f"| {m['Name']} | {meta['Parameters'] / 1e6:.2f} | "
                    f"{meta['FLOPs'] / 1e9:.2f} | {config_link(m)} | "
                    f'{weights} |')
    return rows


def readme(algo):
    meta = load_metafile(algo)
    collection = meta['Collections'][0]
    title, paper = collection['Paper']['Title'], collection['Paper']['URL']
    fashion = [m for m in meta['Models']
               if m['Metadata']['Training Data'] == 'Fashion-MNIST']
    imagenet = [m for m in meta['Models'] if m not in fashion]
    example = (fashion or imagenet)[0]
    name, config = example['Name'], example['Config']
    if fashion:
        image = 'demo/fashion_ankle-boot.png'
        checkpoint = f'work_dirs/{name}/last_checkpoint'
        pretrained = f"open('{checkpoint}').read()"
        test_ckpt = f'"$(cat {checkpoint})"'
    else:
        image = 'your_image.jpg'
        pretrained = repr(example.get('Weights') or f'pretrain/{name}.pth')
        test_ckpt = pretrained.strip("'")
    lines = [
        f'# {collection["Name"]}', '', f'> [{title}]({paper})', '',
        '<!-- [ALGORITHM] -->', '', '## Summary', '', SUMMARIES[algo], '',
        f'Official code: {collection["Code"]["URL"]}', '',
        '## How to use it', '', '**Train and test**', '', '```bash',
        f'python tools/train.py {config}' if fashion else
        f'bash tools/dist_train.sh {config} 8  # ImageNet in data/imagenet',
        f'python tools/test.py {config} {test_ckpt}',
        '```', '', '**Predict an image** with mmpretrain\'s inferencer', '',
        '```python', 'import mmvit_ext  # registers the models and their index',
        'from mmpretrain.apis import ImageClassificationInferencer', '',
        f"inferencer = ImageClassificationInferencer('{name}',",
        f'                                           pretrained={pretrained})',
        f"inferencer('{image}')[0]['pred_class']",
        '```', '', '## Models and results', '']
    if fashion:
        lines += ['### Fashion-MNIST', '',
                  'Trained here on 2 CPU cores with the command above; top-1 '
                  'on the 10k test images (`tools/test.py`), FLOPs at '
                  '28×28.', '', *fashion_table(fashion), '']
    if imagenet:
        lines += ['### ImageNet-1k', '',
                  'Official or timm weights, converted on load with logit '
                  'parity; FLOPs at the config\'s input size.', '',
                  *imagenet_table(imagenet), '']
    lines += ['## Citation', '', '```bibtex', CITATIONS[algo], '```', '']
    return '\n'.join(lines)


def main():
    for algo in ALGOS:
        with open(f'configs/{algo}/README.md', 'w') as f:
            f.write(readme(algo))


if __name__ == '__main__':
    main()
