"""Write ``configs/<algo>/metafile.yml`` and the root ``model-index.yml``.

Params and FLOPs are those of the docs' model zoo, measured with
``python tools/analysis_tools/get_flops.py CONFIG`` (mmengine's counter with
attention counted: one multiply-add is one FLOP). It writes into the
repository it is in, from any folder: ``python tools/misc/make_metafiles.py``.
"""
import argparse
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

FB = 'https://dl.fbaipublicfiles.com/deit/'
PIT = ('https://github.com/rwightman/pytorch-image-models/releases/download/'
       'v0.1-pit-weights/')

COLLECTIONS = {
    'deit3': ('DeiT3', 'DeiT III: Revenge of the ViT',
              'https://arxiv.org/abs/2204.07118',
              'https://github.com/facebookresearch/deit'),
    'deit': ('DeiT', 'Training data-efficient image transformers & '
             'distillation through attention', 'https://arxiv.org/abs/2012.12877',
             'https://github.com/facebookresearch/deit'),
    'pit': ('PiT', 'Rethinking Spatial Dimensions of Vision Transformers',
            'https://arxiv.org/abs/2103.16302', 'https://github.com/naver-ai/pit'),
    'deepvit': ('DeepViT', 'DeepViT: Towards Deeper Vision Transformer',
                'https://arxiv.org/abs/2103.11886',
                'https://github.com/zhoudaquan/dvit_repo'),
    'ceit': ('CeiT', 'Incorporating Convolution Designs into Visual '
             'Transformers', 'https://arxiv.org/abs/2103.11816',
             'https://github.com/coeusguo/ceit'),
}

# (config name, params (M), FLOPs (G), official weights URL or None)
MODELS = {
    'deit3': [
        ('deit3-s-p16_8xb256_in1k', 22.06, 4.61, FB + 'deit_3_small_224_1k.pth'),
        ('deit3-s-p16-384px_8xb64_in1k', 22.21, 15.52,
         FB + 'deit_3_small_384_1k.pth'),
        ('deit3-m-p16_8xb256_in1k', 38.85, 8.00, FB + 'deit_3_medium_224_1k.pth'),
        ('deit3-b-p16_8xb256_in1k', 86.59, 17.58, FB + 'deit_3_base_224_1k.pth'),
        ('deit3-b-p16-384px_16xb32_in1k', 86.88, 55.54,
         FB + 'deit_3_base_384_1k.pth'),
        ('deit3-l-p16_32xb64_in1k', 304.0, 61.60, FB + 'deit_3_large_224_1k.pth'),
        ('deit3-l-p16-384px_32xb16_in1k', 305.0, 191.21,
         FB + 'deit_3_large_384_1k.pth'),
        ('deit3-h-p14_32xb64_in1k', 632.0, 167.40, FB + 'deit_3_huge_224_1k.pth'),
    ],
    'deit': [
        ('deit-ti-distilled_8xb128_in1k', 5.91, 1.27,
         FB + 'deit_tiny_distilled_patch16_224-b40b3cf7.pth'),
        ('deit-s-distilled_8xb128_in1k', 22.44, 4.63,
         FB + 'deit_small_distilled_patch16_224-649709d9.pth'),
        ('deit-b-distilled_8xb128_in1k', 87.34, 17.68,
         FB + 'deit_base_distilled_patch16_224-df68dfff.pth'),
    ],
    'pit': [
        ('pit-ti_8xb128_in1k', 4.85, 0.70, PIT + 'pit_ti_730.pth'),
        ('pit-xs_8xb128_in1k', 10.62, 1.40, PIT + 'pit_xs_781.pth'),
        ('pit-s_8xb128_in1k', 23.46, 2.88, PIT + 'pit_s_809.pth'),
        ('pit-b_8xb128_in1k', 73.77, 12.42, PIT + 'pit_b_820.pth'),
        ('pit-ti-distilled_8xb128_in1k', 5.10, 0.71, PIT + 'pit_ti_distill_746.pth'),
        ('pit-xs-distilled_8xb128_in1k', 11.00, 1.41,
         PIT + 'pit_xs_distill_791.pth'),
        ('pit-s-distilled_8xb128_in1k', 24.04, 2.90, PIT + 'pit_s_distill_819.pth'),
        ('pit-b-distilled_8xb128_in1k', 74.79, 12.50,
         PIT + 'pit_b_distill_840.pth'),
    ],
    # The official DeepViT and CeiT weights have no public download URL:
    # convert a local copy with tools/model_converters/.
    'deepvit': [
        ('deepvit-16b_16xb32_in1k', 24.43, 5.30, None),
        ('deepvit-24b_16xb32_in1k', 36.26, 7.92, None),
        ('deepvit-32b_16xb32_in1k', 48.10, 10.54, None),
        ('deepvit-s_16xb32_in1k', 27.31, 6.38, None),
        ('deepvit-l_16xb32_in1k', 58.88, 13.19, None),
    ],
    'ceit': [
        ('ceit-t_8xb128_in1k', 6.36, 1.41, None),
        ('ceit-t-384px_8xb64_in1k', 6.43, 5.15, None),
        ('ceit-s_8xb128_in1k', 24.21, 4.79, None),
        ('ceit-s-384px_8xb64_in1k', 24.35, 16.06, None),
        ('ceit-b_8xb128_in1k', 94.41, 17.81, None),
    ],
}


# The Fashion-MNIST classifiers that train here on 2 CPU cores, with the
# top-1 of docs/results.md on the 10k test images (``python tools/test.py
# CONFIG work_dirs/<config name>/epoch_N.pth``) and their params and FLOPs at 28 px.
# They have no weights to download: pass the checkpoint you trained, e.g.
# ``inference_model(NAME, IMAGE, pretrained='work_dirs/.../epoch_8.pth')``.
# (config name, params, FLOPs, top-1 %)
FASHION = {
    'deit3': [('deit3-tiny-p7_1xb128_fashion-mnist', 205514, 3590080, 88.75)],
    'pit': [('pit-tiny-p6_1xb128_fashion-mnist', 526922, 8365632, 89.96)],
    'deepvit': [
        ('deepvit-tiny-p7_1xb128_fashion-mnist', 255666, 4563024, 88.45)],
    'ceit': [('ceit-tiny-lca_1xb128_fashion-mnist', 196650, 4743680, 91.77)],
}


def fashion_models(algo, collection):
    lines = []
    for config, params, flops, top1 in FASHION.get(algo, []):
        lines += [
            f'  - Name: {config}', f'    In Collection: {collection}',
            '    Metadata:', f'      Parameters: {params}',
            f'      FLOPs: {flops}', '      Training Data: Fashion-MNIST',
            '    Results:', '      - Task: Image Classification',
            '        Dataset: Fashion-MNIST', '        Metrics:',
            f'          Top 1 Accuracy: {top1}',
            f'    Config: configs/{algo}/{config}.py']
    return lines


def metafile(algo):
    name, title, paper, code = COLLECTIONS[algo]
    lines = ['Collections:', f'  - Name: {name}', '    Paper:',
             f"      Title: '{title}'", f'      URL: {paper}', '    Code:',
             f'      URL: {code}', '', 'Models:']
    for config, params, flops, weights in MODELS[algo]:
        lines += [
            f'  - Name: {config}', f'    In Collection: {name}',
            '    Metadata:', f'      Parameters: {round(params * 1e6)}',
            f'      FLOPs: {round(flops * 1e9)}',
            '      Training Data: ImageNet-1k',
            f'    Config: configs/{algo}/{config}.py']
        if weights:
            lines += [f'    Weights: {weights}', '    Converted From:',
                      f'      Weights: {weights}', f'      Code: {code}']
    lines += fashion_models(algo, name)
    return '\n'.join(lines) + '\n'


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.split('\n\n')[0]).parse_args(
        argv)
    for algo in MODELS:
        with open(os.path.join(ROOT, 'configs', algo, 'metafile.yml'),
                  'w') as f:
            f.write(metafile(algo))
    with open(os.path.join(ROOT, 'model-index.yml'), 'w') as f:
        f.write('Import:\n' + ''.join(f'  - configs/{algo}/metafile.yml\n'
                                      for algo in MODELS))


if __name__ == '__main__':
    main()
