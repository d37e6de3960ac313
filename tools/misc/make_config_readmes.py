"""Write ``configs/<algo>/README.md`` from ``configs/<algo>/metafile.yml``,
in mmpretrain's layout: the paper, a summary, how to use it, the tables
(generated from the metafile) and the citation; and the docs' model zoo,
``docs/model_zoo.md``, from all the metafiles. ``tests/test_configs.py``
checks that each file is what this script writes. It writes into the
repository it is in, from any folder: ``python
tools/misc/make_config_readmes.py``.
"""
import argparse
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

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


# The same model in timm, or in the official code where timm lacks it.
REFERENCE_NAMES = {
    'deit3-s-p16_8xb256_in1k': 'deit3_small_patch16_224',
    'deit3-s-p16-384px_8xb64_in1k': 'deit3_small_patch16_384',
    'deit3-m-p16_8xb256_in1k': 'deit3_medium_patch16_224',
    'deit3-b-p16_8xb256_in1k': 'deit3_base_patch16_224',
    'deit3-b-p16-384px_16xb32_in1k': 'deit3_base_patch16_384',
    'deit3-l-p16_32xb64_in1k': 'deit3_large_patch16_224',
    'deit3-l-p16-384px_32xb16_in1k': 'deit3_large_patch16_384',
    'deit3-h-p14_32xb64_in1k': 'deit3_huge_patch14_224',
    'deit-ti-distilled_8xb128_in1k': 'deit_tiny_distilled_patch16_224',
    'deit-s-distilled_8xb128_in1k': 'deit_small_distilled_patch16_224',
    'deit-b-distilled_8xb128_in1k': 'deit_base_distilled_patch16_224',
    'pit-ti_8xb128_in1k': 'pit_ti_224',
    'pit-xs_8xb128_in1k': 'pit_xs_224',
    'pit-s_8xb128_in1k': 'pit_s_224',
    'pit-b_8xb128_in1k': 'pit_b_224',
    'pit-ti-distilled_8xb128_in1k': 'pit_ti_distilled_224',
    'pit-xs-distilled_8xb128_in1k': 'pit_xs_distilled_224',
    'pit-s-distilled_8xb128_in1k': 'pit_s_distilled_224',
    'pit-b-distilled_8xb128_in1k': 'pit_b_distilled_224',
    'deepvit-16b_16xb32_in1k': 'deepvit_patch16_224_re_attn_16b',
    'deepvit-24b_16xb32_in1k': 'deepvit_patch16_224_re_attn_24b',
    'deepvit-32b_16xb32_in1k': 'deepvit_patch16_224_re_attn_32b',
    'deepvit-s_16xb32_in1k': 'deepvit_S',
    'deepvit-l_16xb32_in1k': 'deepvit_L',
    'ceit-t_8xb128_in1k': 'ceit_tiny_patch16_224',
    'ceit-t-384px_8xb64_in1k': 'ceit_tiny_patch16_384',
    'ceit-s_8xb128_in1k': 'ceit_small_patch16_224',
    'ceit-s-384px_8xb64_in1k': 'ceit_small_patch16_384',
    'ceit-b_8xb128_in1k': 'ceit_base_patch16_224',
}


def load_metafile(algo):
    with open(os.path.join(ROOT, 'configs', algo, 'metafile.yml')) as f:
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


def model_zoo():
    """The docs' zoo: every model of every metafile, one table per
    training set, each row linking its algorithm's page (the config
    README, which the docs build copies in as ``papers/<algo>.md``)."""
    imagenet, fashion, papers = [], [], []
    for algo in ALGOS:
        meta = load_metafile(algo)
        name = meta['Collections'][0]['Name']
        papers.append(f'papers/{algo}')
        for m in meta['Models']:
            meta_ = m['Metadata']
            params = f"{meta_['Parameters'] / 1e6:.2f}"
            family = f'[{name}](papers/{algo}.md)'
            if meta_['Training Data'] == 'Fashion-MNIST':
                fashion.append(
                    f"| {family} | `{m['Config']}` | {params} | "
                    f"{meta_['FLOPs'] / 1e6:.2f} | {top1(m):.2f} |")
            else:
                weights = f"[official]({m['Weights']})" if m.get('Weights') \
                    else 'no public URL: convert a local copy'
                imagenet.append(
                    f"| {family} | `{m['Config']}` | {params} | "
                    f"{meta_['FLOPs'] / 1e9:.2f} | "
                    f"`{REFERENCE_NAMES[m['Name']]}` | {weights} |")
    lines = [
        '# Model zoo', '',
        '<!-- Written by tools/misc/make_config_readmes.py from '
        'configs/*/metafile.yml. -->', '',
        'Every config of the model index (`model-index.yml`), by training '
        'set. `mmpretrain.apis.get_model(NAME_OR_CONFIG)` builds any of them '
        'offline, and `pretrained=True` loads the official weights, '
        'converted on the fly ([Pretrained weights]'
        '(user_guides/pretrained_weights.md)). Each algorithm\'s page has '
        'its summary, usage and citation.', '',
        '## ImageNet-1k', '',
        'ImageNet-1k configs live in '
        '`configs/<algo>/<algo>-<arch>_<G>xb<B>_in1k.py`. Official or timm '
        'weights, converted with logit parity; *same model as* names the '
        'timm model, or the official one where timm lacks it. Params and '
        'FLOPs at the config\'s input size (`python '
        'tools/analysis_tools/get_flops.py CONFIG`; see [Params and FLOPs]'
        '(benchmarks.md#params-and-flops)). Distilled configs train with a '
        'teacher (`model.teacher`: DeiT\'s RegNetY-16GF, built by timm, '
        'whose official checkpoint you provide); their params and FLOPs are '
        'the student\'s. Each family\'s training recipe against the '
        'official one: [Training recipes](recipes.md).', '',
        '| Algorithm | Config | Params (M) | FLOPs (G) | Same model as | '
        'Weights |',
        '|---|---|---|---|---|---|', *imagenet, '',
        '## Fashion-MNIST', '',
        'Trained on 2 CPU cores with `python tools/train.py CONFIG`; top-1 '
        'on the 10k test images from `python tools/test.py CONFIG '
        'CHECKPOINT`, FLOPs at 28×28 ([Results on Fashion-MNIST]'
        '(results.md)).', '',
        '| Algorithm | Config | Params (M) | FLOPs (M) | Top-1 (%) |',
        '|---|---|---|---|---|', *fashion, '',
        '```{toctree}', ':hidden:', '', *papers, '```', '']
    return '\n'.join(lines)


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.split('\n\n')[0]).parse_args(
        argv)
    for algo in ALGOS:
        with open(os.path.join(ROOT, 'configs', algo, 'README.md'), 'w') as f:
            f.write(readme(algo))
    with open(os.path.join(ROOT, 'docs', 'model_zoo.md'), 'w') as f:
        f.write(model_zoo())


if __name__ == '__main__':
    main()
