"""Write docs/recipes.md: one card per family that sets each setting of its
ImageNet-1k training configs, read from the merged configs, beside the
official value and the file it comes from.

A setting whose value differs between the configs of a card is written per
config (``S 0.05 · B 0.2``). "Match" compares our value with the official
one as written; every row that does not match carries its reason, and
``tests/test_recipes.py`` fails on a mismatch without one, on a reason
whose row matches, and on a stale docs/recipes.md.

Usage:
    python tools/misc/make_recipes.py [--out docs/recipes.md]
"""
import argparse
import math
import os.path as osp
import re

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

DEIT = 'facebookresearch/deit'


def num(x):
    return f'{x:g}'


# --- settings: merged config -> text --------------------------------------


def total_batch(cfg, name):
    """GPUs x images per GPU, from the config name (the batch the lr is
    for; the GPU split may differ from the official one)."""
    gpus, per_gpu = re.search(r'_(\d+)xb(\d+)_', name).groups()
    assert int(per_gpu) == cfg.train_dataloader.batch_size, name
    return str(int(gpus) * int(per_gpu))


def optimizer(cfg, name):
    opt = cfg.optim_wrapper.optimizer
    return f"{opt.type}, eps {num(opt.get('eps', 1e-8))}"


def lr(cfg, name):
    return num(cfg.optim_wrapper.optimizer.lr)


def weight_decay(cfg, name):
    return num(cfg.optim_wrapper.optimizer.weight_decay)


def decay_exempt(cfg, name):
    paramwise = cfg.optim_wrapper.get('paramwise_cfg', {})
    exempt = ['1-D'] if paramwise.get('flat_decay_mult') == 0 else []
    exempt += [key.strip('.') for key, value in
               paramwise.get('custom_keys', {}).items()
               if value.get('decay_mult') == 0]
    return ', '.join(exempt)


def epochs(cfg, name):
    scheduled = max(s['end'] for s in cfg.param_scheduler)
    cooldown = cfg.train_cfg.max_epochs - scheduled
    return f'{scheduled} + {cooldown} at the final lr' if cooldown \
        else str(scheduled)


def warmup(cfg, name):
    first = cfg.param_scheduler[0]
    start = cfg.optim_wrapper.optimizer.lr * first['start_factor']
    return f"{first['end']} epochs, linear from {start:.0e}"


def lr_schedule(cfg, name):
    kinds = [s['type'] for s in cfg.param_scheduler]
    cosine = cfg.param_scheduler[-1]
    per = 'iteration' if any(
        s.get('convert_to_iter_based') or not s.get('by_epoch', True)
        for s in cfg.param_scheduler) else 'epoch'
    assert kinds[-1] == 'CosineAnnealingLR', kinds
    return (f"cosine to {num(cosine['eta_min'])} over epochs "
            f"{cosine['begin']}-{cosine['end']}, stepped per {per}")


def train_pipeline(cfg):
    return [t for t in cfg.train_dataloader.dataset.pipeline]


def input_size(cfg, name):
    [crop] = [t for t in train_pipeline(cfg)
              if t['type'] == 'RandomResizedCrop']
    return str(crop['scale'])


def crop_interpolation(cfg, name):
    [crop] = [t for t in train_pipeline(cfg)
              if t['type'] == 'RandomResizedCrop']
    return crop.get('interpolation', 'bilinear')


def augmentation(cfg, name):
    out = []
    for t in train_pipeline(cfg):
        kind = t['type'].split('.')[-1]
        if kind == 'RandAugment':
            out.append(f"RandAugment m{t['magnitude_level']}-mstd"
                       f"{num(t['magnitude_std'])} "
                       f"({t['policies'].replace('timm_', '')})")
        elif kind == 'ThreeAugment':
            out.append('3-Augment')
        elif kind == 'ColorJitter':
            out.append(f"colour jitter {num(t['brightness'])}")
        elif kind == 'RandomErasing':
            out.append(f"random erasing {num(t['erase_prob'])}")
    return ', '.join(out) or 'none'


def batch_mix(cfg, name):
    augments = (cfg.model.get('train_cfg') or {}).get('augments', [])
    return ' or '.join(f"{a['type']} {num(a['alpha'])}"
                       for a in augments) or 'none'


def loss(cfg, name):
    head_loss = cfg.model.head.loss
    kind = head_loss.type.split('.')[-1]
    if kind == 'ThresholdedBCELoss':
        text = f"BCE, targets > {num(head_loss.target_threshold)}"
    elif kind == 'LabelSmoothLoss':
        text = f'soft-target CE, smoothing {num(head_loss.label_smooth_val)}'
    else:
        text = kind
    attn = cfg.model.get('attn_loss')
    if attn:
        text += (f" + {num(attn.loss_weight)} x attention cosine over "
                 f"{attn.num_pairs} block pairs")
    return text


def distillation(cfg, name):
    teacher = cfg.model.get('teacher')
    if not teacher:
        return 'none'
    model = Config.fromfile(teacher.config).model
    distill = cfg.model.head.distill_cfg
    return (f"{distill.type}, alpha {num(distill.alpha)}, teacher "
            f"{model.get('model_name', model.type)}")


def repeated_aug(cfg, name):
    sampler = cfg.train_dataloader.sampler
    if sampler.type.split('.')[-1] != 'RepeatAugSampler':
        return 'off'
    return (f"x{sampler.num_repeats}, per-rank count rounded to "
            f"{sampler.selected_round}")


def drop_path(cfg, name):
    backbone = cfg.model.backbone
    layer = backbone.get('layer_cfgs') or {}
    if 'drop_path_rate' in layer:
        return f"{num(layer['drop_path_rate'])} in every block"
    rate = backbone.drop_path_rate
    return f'linear from 0 to {rate:.4g}'


def ema(cfg, name):
    hooks = [h for h in cfg.get('custom_hooks', [])
             if h['type'].split('.')[-1] == 'EMAHook']
    if not hooks:
        return 'none'
    [hook] = hooks
    shown = 'EMA validated, picks the best' if hook['evaluate_on_ema'] \
        else 'raw model validated'
    return f"{num(1 - hook['momentum'])}, {shown}"


def eval_crop(cfg, name):
    pipeline = cfg.test_dataloader.dataset.pipeline
    [resize] = [t for t in pipeline if t['type'] == 'ResizeEdge']
    [crop] = [t for t in pipeline if t['type'] == 'CenterCrop']
    ratio = crop['crop_size'] / resize['scale']
    return f"{ratio:.3g} ({resize['scale']} -> {crop['crop_size']})"


def head_init(cfg, name):
    """The head's own init_cfg, or its class's default."""
    import inspect

    import mmvit_ext  # noqa: F401  (registers our heads)
    from mmvit_ext.registry import MODELS
    head = cfg.model.head
    init = head['init_cfg'] if 'init_cfg' in head else inspect.signature(
        MODELS.get(head.type)).parameters['init_cfg'].default
    if init is None:
        return 'PyTorch default'
    if init['type'] == 'Constant':
        return f"zero (Constant {num(init['val'])})" if init['val'] == 0 \
            else f"Constant {num(init['val'])}"
    return f"{init['type']} {num(init.get('std', 0))}"


def starts_from(cfg, name):
    return cfg.get('load_from') or 'scratch'


SETTINGS = {
    'input size (px)': input_size,
    'total batch': total_batch,
    'optimizer': optimizer,
    'lr': lr,
    'weight decay': weight_decay,
    'no weight decay on': decay_exempt,
    'epochs': epochs,
    'warm-up': warmup,
    'lr schedule': lr_schedule,
    'crop interpolation': crop_interpolation,
    'augmentation': augmentation,
    'Mixup / CutMix': batch_mix,
    'loss': loss,
    'distillation': distillation,
    'repeated augmentation': repeated_aug,
    'stochastic depth': drop_path,
    'EMA': ema,
    'evaluation crop': eval_crop,
    'head init': head_init,
    'starts from': starts_from,
}

# --- the cards ------------------------------------------------------------
# Each card: its configs (label -> path) and, per setting, (official value
# as our text would write it, source, reason when it does not match).
# Official values per config are written 'label value · label value'.

DEIT3_PRE = {'S': 'deit3/deit3-s-p16_8xb256_in1k.py',
             'B': 'deit3/deit3-b-p16-192px_8xb256_in1k.py',
             'L': 'deit3/deit3-l-p16-192px_32xb64_in1k.py',
             'H': 'deit3/deit3-h-p14-160px_32xb64_in1k.py'}
DEIT3_FT = {'B': 'deit3/deit3-b-p16-ft_8xb64_in1k.py',
            'L': 'deit3/deit3-l-p16-ft_8xb64_in1k.py',
            'H': 'deit3/deit3-h-p14-ft_16xb32_in1k.py'}
DEIT3_384 = {'S': 'deit3/deit3-s-p16-384px_8xb64_in1k.py',
             'B': 'deit3/deit3-b-p16-384px_16xb32_in1k.py',
             'L': 'deit3/deit3-l-p16-384px_32xb16_in1k.py'}
REVENGE = f'{DEIT}: README_revenge.md'
MAIN = f'{DEIT}: main.py'
COSINE_REASON = (
    "mmengine's cosine starts where the warm-up ends; timm's runs from "
    'epoch 0 under the warm-up (warmup_prefix=False). The lr differs by at '
    'most {gap} of its peak')
SHARED_DEIT3 = {
    'optimizer': ('Lamb, eps 1e-08', f'{REVENGE} (--opt fusedlamb), {MAIN}'
                  ' (--opt-eps)', None),
    'weight decay': ('0.05', REVENGE, None),
    'no weight decay on': (
        '1-D, cls_token, pos_embed',
        f"timm 0.3's create_optimizer, {DEIT}: models_v2.py no_weight_decay",
        None),
    'warm-up': ('5 epochs, linear from 1e-06', REVENGE, None),
    'crop interpolation': ('bicubic', f'{DEIT}: augment.py', None),
    'Mixup / CutMix': ('Mixup 0.8 or CutMix 1', REVENGE, None),
    'distillation': ('none', REVENGE, None),
    'evaluation crop': ('1 (S 224 -> 224 · B 192 -> 192 · L 192 -> 192 · '
                        'H 160 -> 160)', f'{REVENGE} (--eval-crop-ratio 1.0)',
                        None),
    'head init': ('TruncNormal 0.02', f'{DEIT}: models_v2.py', None),
}

CARDS = [
    dict(title='DeiT III: pre-training', configs=DEIT3_PRE, rows={
        **SHARED_DEIT3,
        'input size (px)': ('S 224 · B 192 · L 192 · H 160', REVENGE, None),
        'total batch': ('2048', REVENGE, None),
        'lr': ('S 0.004 · B 0.003 · L 0.003 · H 0.003',
               f'{REVENGE} (--unscale-lr)', None),
        'epochs': ('800', REVENGE, None),
        'lr schedule': ('cosine to 1e-05 over epochs 0-800, stepped per '
                        'epoch', f'{MAIN} (--min-lr), timm 0.3 scheduler',
                        COSINE_REASON),
        'augmentation': ('3-Augment, colour jitter 0.3',
                         f'{REVENGE} (--ThreeAugment, --reprob 0.0), '
                         f'{DEIT}: augment.py', None),
        'loss': ('BCE, targets > 0', f'{REVENGE} (--bce-loss), '
                 f'{DEIT}: engine.py', None),
        'repeated augmentation': ('x3, per-rank count rounded to 256',
                                  f'{REVENGE}, {DEIT}: samplers.py', None),
        'stochastic depth': ('S 0.05 in every block · B 0.2 in every block · '
                             'L 0.45 in every block · H 0.6 in every block',
                             f'{REVENGE}, {DEIT}: models_v2.py', None),
        'EMA': ('0.99996, raw model validated', f'{MAIN} (--model-ema)',
                None),
        'evaluation crop': ('S 1 (224 -> 224) · B 1 (192 -> 192) · '
                            'L 1 (192 -> 192) · H 1 (160 -> 160)',
                            f'{REVENGE} (--eval-crop-ratio 1.0)', None),
        'starts from': ('scratch', REVENGE, None),
    }),
    dict(title='DeiT III: fine-tuning B, L and H at 224 px', configs=DEIT3_FT,
         rows={
        **SHARED_DEIT3,
        'optimizer': ('AdamW, eps 1e-08', f'{REVENGE} (--opt adamw)', None),
        'weight decay': ('0.1', REVENGE, None),
        'input size (px)': ('224', REVENGE, None),
        'total batch': ('512', REVENGE, None),
        'lr': ('1e-05', REVENGE, None),
        'epochs': ('20', REVENGE, None),
        'warm-up': ('5 epochs, linear from 1e-06', REVENGE, None),
        'lr schedule': ('cosine to 1e-05 over epochs 0-20, stepped per '
                        'epoch', f'{MAIN} (--min-lr 1e-5 = --lr)',
                        'the lr is 1e-05 from epoch 5 on either way: the '
                        'cosine runs from 1e-05 to 1e-05'),
        'augmentation': ('RandAugment m9-mstd0.5 (increasing)',
                         f'{REVENGE} (--aa rand-m9-mstd0.5-inc1, --reprob '
                         '0.0; timm drops the colour jitter under '
                         'RandAugment)', None),
        'loss': ('soft-target CE, smoothing 0.1', f'{REVENGE} (--smoothing '
                 '0.1, no --bce-loss)', None),
        'repeated augmentation': ('off', f'{REVENGE} (--no-repeated-aug)',
                                  None),
        'stochastic depth': ('B 0.2 in every block · L 0.45 in every block · '
                             'H 0.55 in every block', REVENGE, None),
        'EMA': ('0.99996, raw model validated', f'{MAIN} (--model-ema)',
                None),
        'evaluation crop': ('1 (224 -> 224)', REVENGE, None),
        'starts from': (
            'B work_dirs/deit3-b-p16-192px_8xb256_in1k/epoch_800.pth · '
            'L work_dirs/deit3-l-p16-192px_32xb64_in1k/epoch_800.pth · '
            'H work_dirs/deit3-h-p14-160px_32xb64_in1k/epoch_800.pth',
            f'{REVENGE} (--finetune, the low-resolution model; {DEIT}: '
            'main.py resizes the position embedding)', None),
    }),
    dict(title='DeiT III: fine-tuning S, B and L at 384 px',
         configs=DEIT3_384, rows={
        **SHARED_DEIT3,
        'optimizer': ('AdamW, eps 1e-08', f'{REVENGE} (--opt adamw)', None),
        'weight decay': ('0.1', REVENGE, None),
        'input size (px)': ('384', REVENGE, None),
        'total batch': ('512', REVENGE, None),
        'lr': ('1e-05', REVENGE, None),
        'epochs': ('20', REVENGE, None),
        'lr schedule': ('cosine to 1e-05 over epochs 0-20, stepped per '
                        'epoch', f'{MAIN} (--min-lr 1e-5 = --lr)',
                        'the lr is 1e-05 from epoch 5 on either way: the '
                        'cosine runs from 1e-05 to 1e-05'),
        'augmentation': ('RandAugment m9-mstd0.5 (increasing)',
                         f'{REVENGE} (--aa, --reprob 0.0; timm drops the '
                         'colour jitter under RandAugment)', None),
        'loss': ('soft-target CE, smoothing 0.1', REVENGE, None),
        'repeated augmentation': ('off', f'{REVENGE} (--no-repeated-aug)',
                                  None),
        'stochastic depth': ('S 0 in every block · B 0.15 in every block · '
                             'L 0.4 in every block', REVENGE, None),
        'EMA': ('0.99996, raw model validated', f'{MAIN} (--model-ema)',
                None),
        'evaluation crop': ('1 (384 -> 384)', REVENGE, None),
        'starts from': ('a 224 px checkpoint (--finetune model_path)',
                        REVENGE, 'the 224 px checkpoint is yours to name: '
                        '--cfg-options load_from=PATH'),
    }),
]


def deit_like(title, configs, source, extra=None, head_init=None,
              no_decay='1-D, cls_token, pos_embed'):
    rows = {
        'input size (px)': ('224', source, None),
        'total batch': ('1024', f'{source} (DeiT: 4 x 256 for Ti and S, '
                        '16 x 64 for B)', None),
        'optimizer': ('AdamW, eps 1e-08', f'{MAIN} (--opt, --opt-eps)',
                      None),
        'lr': ('0.001', f'{MAIN} (5e-4 x batch / 512)', None),
        'weight decay': ('0.05', MAIN, None),
        'no weight decay on': (no_decay, "timm 0.3's create_optimizer "
                               "(1-D), the model's no_weight_decay()", None),
        'epochs': ('300', MAIN, None),
        'warm-up': ('5 epochs, linear from 1e-06', MAIN, None),
        'lr schedule': ('cosine to 1e-05 over epochs 0-300, stepped per '
                        'epoch', f'{MAIN} (--min-lr), timm 0.3 scheduler',
                        COSINE_REASON),
        'crop interpolation': ('bicubic', f'{MAIN} (--train-interpolation)',
                               None),
        'augmentation': ('RandAugment m9-mstd0.5 (increasing), random '
                         'erasing 0.25', f'{MAIN} (--aa, --reprob; timm '
                         'drops the colour jitter under RandAugment)', None),
        'Mixup / CutMix': ('Mixup 0.8 or CutMix 1', MAIN, None),
        'loss': ('soft-target CE, smoothing 0.1', MAIN, None),
        'distillation': ('none', MAIN, None),
        'repeated augmentation': ('x3, per-rank count rounded to 256',
                                  f'{MAIN} (--repeated-aug), samplers.py',
                                  None),
        'stochastic depth': ('linear from 0 to 0.1', MAIN, None),
        'EMA': ('0.99996, raw model validated', f'{MAIN} (--model-ema)',
                None),
        'evaluation crop': ('0.875 (256 -> 224)',
                            f'{MAIN} (--eval-crop-ratio)', None),
        'head init': (head_init or 'TruncNormal 0.02', source, None),
        'starts from': ('scratch', source, None),
    }
    rows.update(extra or {})
    return dict(title=title, configs=configs, rows=rows)


DEIT_CFGS = {a: f'deit/deit-{a.lower()}-distilled_8xb128_in1k.py'
             for a in ('Ti', 'S', 'B')}
PIT_CFGS = {a: f'pit/pit-{a.lower()}_8xb128_in1k.py'
            for a in ('Ti', 'XS', 'S', 'B')}
PIT_DIST = {f'{a} dist.': f'pit/pit-{a.lower()}-distilled_8xb128_in1k.py'
            for a in ('Ti', 'XS', 'S', 'B')}
CEIT_CFGS = {a: f'ceit/ceit-{a.lower()}_8xb128_in1k.py'
             for a in ('T', 'S', 'B')}
DVIT_CFGS = {a: f'deepvit/deepvit-{a.lower()}_16xb32_in1k.py'
             for a in ('16B', '24B', '32B', 'S', 'L')}
PIT_SRC = 'naver-ai/pit: README.md (DeiT\'s recipe), pit.py'
PIT_DROP = ('linear from 0 to 0.09167', 'naver-ai/pit: pit.py (block i of '
            'N: 0.1 x i / N)', None)

CARDS += [
    deit_like('DeiT (distilled)', DEIT_CFGS, f'{DEIT}: README_deit.md', {
        'distillation': ('hard, alpha 0.5, teacher regnety_160',
                         f'{DEIT}: README_deit.md (--distillation-type hard'
                         ' --teacher-model regnety_160), main.py', None),
    }),
    deit_like('PiT', PIT_CFGS, PIT_SRC, {
        'stochastic depth': ('Ti linear from 0 to 0.09167 · XS linear from 0 '
                             'to 0.09167 · S linear from 0 to 0.09167 · B '
                             'linear from 0 to 0.09231', PIT_DROP[1], None),
    }, head_init='PyTorch default'),
    deit_like('PiT (distilled)', PIT_DIST, PIT_SRC, {
        'stochastic depth': ('Ti dist. linear from 0 to 0.09167 · XS dist. '
                             'linear from 0 to 0.09167 · S dist. linear from '
                             '0 to 0.09167 · B dist. linear from 0 to '
                             '0.09231', PIT_DROP[1], None),
        'distillation': ('hard, alpha 0.5, teacher regnety_160',
                         f'{PIT_SRC}; {DEIT}: README_deit.md', None),
    }, head_init='PyTorch default',
        no_decay='1-D, cls_token, pos_embed, dist_token'),
    deit_like('CeiT', CEIT_CFGS, 'coeusguo/ceit: README.md, main.py', {
        'total batch': ('1024', 'coeusguo/ceit: README.md (4 x 256)', None),
        'epochs': ('T 300 · S 300 · B 100', 'coeusguo/ceit: README.md '
                   '(--epochs 100 for B)', None),
        'lr schedule': ('T cosine to 1e-05 over epochs 0-300, stepped per '
                        'epoch · S cosine to 1e-05 over epochs 0-300, '
                        'stepped per epoch · B cosine to 1e-05 over epochs '
                        '0-100, stepped per epoch',
                        'coeusguo/ceit: main.py, timm 0.3 scheduler',
                        COSINE_REASON),
    }),
]

DVIT = 'zhoudaquan/dvit_repo: scripts/*.yaml'
CARDS.append(deit_like('DeepViT', DVIT_CFGS, DVIT, {
    'lr': ('0.0005', f'{DVIT} (lr, not scaled)', None),
    'total batch': ('512', f'{DVIT} (batch_size 32 on 16 GPUs)', None),
    'optimizer': ('AdamW, eps 1e-08', f'{DVIT} (opt_eps null: the default)',
                  None),
    'epochs': ('300 + 10 at the final lr', f'{DVIT} (cooldown_epochs: 10; '
               'train.py trains them)', None),
    'crop interpolation': ('random', f'{DVIT} (train_interpolation)',
                           "mmpretrain's RandomResizedCrop takes one "
                           'interpolation; bicubic is kept'),
    'Mixup / CutMix': ('16B Mixup 0.8 or CutMix 1 · 24B Mixup 0.8 or CutMix '
                       '1 · 32B Mixup 0.1 · S Mixup 0.8 or CutMix 1 · L Mixup'
                       ' 0.8 or CutMix 1', DVIT, None),
    'loss': ('16B soft-target CE, smoothing 0.1 · 24B soft-target CE, '
             'smoothing 0.1 · 32B soft-target CE, smoothing 0.1 + 0.1 x '
             'attention cosine over 12 block pairs · S soft-target CE, '
             'smoothing 0.1 · L soft-target CE, smoothing 0.1',
             f'{DVIT} (cos_reg_component), loss/cross_entropy.py', None),
    'repeated augmentation': ('off', f'{DVIT} (use_repeated_aug: false)',
                              None),
    'stochastic depth': ('16B (no script) · 24B linear from 0 to 0.2 · 32B '
                         'linear from 0 to 0.2 · S linear from 0 to 0.2 · L '
                         'linear from 0 to 0.2', f'{DVIT} (drop_path)',
                         'there is no official script for 16B; it keeps '
                         '0.1, below the 0.2 of the deeper models'),
    'EMA': ('0.99996, EMA validated, picks the best',
            f'{DVIT} (model_ema), train.py', None),
    'evaluation crop': ('0.903 (248 -> 224)', 'zhoudaquan/dvit_repo: '
                        'models/deep_vision_transformer.py (crop_pct 0.9)',
                        None),
    'lr schedule': ('cosine to 1e-05 over epochs 0-300, stepped per epoch',
                    f'{DVIT} (min_lr), timm scheduler', COSINE_REASON),
    'warm-up': ('5 epochs, linear from 1e-06', DVIT, None),
}))


def cosine_gap(warm, end):
    """Largest |timm - mmengine| cosine lr over the epochs, as a share of
    the peak lr (min lr taken as 0, the worst case)."""
    gap = 0.
    for t in range(warm, end):
        timm = 0.5 * (1 + math.cos(math.pi * t / end))
        ours = 0.5 * (1 + math.cos(math.pi * (t - warm) / (end - warm)))
        gap = max(gap, abs(timm - ours))
    return f'{100 * gap:.2f}%'


def value(setting, cfgs, labels):
    values = [SETTINGS[setting](cfg, name) for cfg, name in cfgs]
    if len(set(values)) == 1:
        return values[0]
    return ' · '.join(f'{label} {v}' for label, v in zip(labels, values))


def card_rows(card):
    labels = list(card['configs'])
    cfgs = [(Config.fromfile(osp.join(ROOT, 'configs', path)), path)
            for path in card['configs'].values()]
    rows = []
    for setting in SETTINGS:
        official, source, reason = card['rows'].get(
            setting, (None, None, None))
        ours = value(setting, cfgs, labels)
        if official is None:
            continue
        if reason and '{gap}' in reason:
            reason = reason.format(gap=max(
                (cosine_gap(c.param_scheduler[-1]['begin'],
                            c.param_scheduler[-1]['end']) for c, _ in cfgs),
                key=lambda g: float(g[:-1])))
        rows.append(dict(setting=setting, official=official, source=source,
                         ours=ours, match=ours == official, reason=reason))
    return rows


def render():
    lines = [
        '# Training recipes', '',
        '<!-- Written by tools/misc/make_recipes.py from the merged configs;'
        ' do not edit. -->', '',
        'Each card sets the ImageNet-1k training configs of a family (read '
        'from the merged configs) beside the official recipe, with the file '
        'each official value comes from. A value that differs between the '
        'configs of a card is given per config. Every row that does not '
        'match says why. Regenerate with '
        '`python tools/misc/make_recipes.py`.', '',
        'Before a cluster run, try any of these configs on tiny data laid '
        'out as they expect (a few iterations and a validation through '
        '`tools/train.py`):', '',
        '```shell',
        'python tools/dataset_converters/make_tiny_layouts.py --out '
        'work_dirs/tiny --teacher --pretrained',
        'python tools/misc/try_configs.py work_dirs/tiny '
        'configs/deit3/deit3-b-p16-192px_8xb256_in1k.py '
        'configs/deit3/deit3-b-p16-ft_8xb64_in1k.py',
        '```', '',
        'DeiT III-B, -L and -H train in two stages, two configs each: the '
        'low-resolution pre-training (`192px`, H `160px`) and the 224 px '
        'fine-tune (`ft`), which starts from the last checkpoint of the '
        'first stage (its `load_from`; the position embedding is resized on '
        'load):', '',
        '```shell',
        'bash tools/dist_train.sh '
        'configs/deit3/deit3-b-p16-192px_8xb256_in1k.py 8',
        'bash tools/dist_train.sh configs/deit3/deit3-b-p16-ft_8xb64_in1k.py 8',
        '```', '',
        'The configs named without a stage (`deit3-b-p16_8xb256_in1k.py`) '
        'are the 224 px models of the released weights, for testing and '
        'inference. DeiT III-M and the 384 px fine-tunes of CeiT have no '
        'official training command and are on no card; their configs say '
        'whose recipe they borrow.', '']
    for card in CARDS:
        configs = ', '.join(f'{label} `configs/{path}`'
                            for label, path in card['configs'].items())
        lines += [f"## {card['title']}", '', f'Configs: {configs}.', '',
                  '| Setting | Official | Source | Ours | Match |',
                  '|---|---|---|---|---|']
        for row in card_rows(card):
            match = 'yes' if row['match'] else f"no: {row['reason']}"
            lines.append(f"| {row['setting']} | {row['official']} | "
                         f"{row['source']} | {row['ours']} | {match} |")
        lines.append('')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=osp.join(ROOT, 'docs', 'recipes.md'))
    args = parser.parse_args(argv)
    from mmvit_ext.utils.fileio import atomic_write
    with atomic_write(args.out, 'w') as f:
        f.write(render())
    print(f'Wrote {args.out}')


if __name__ == '__main__':
    main()
