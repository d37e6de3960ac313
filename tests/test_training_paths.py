"""``tools/train.py --amp``, ``--amp-dtype`` and ``--compile`` on every
Fashion-MNIST config: a few steps train, and the losses follow eager fp32.
The steps read a small Fashion-MNIST lookalike in the real file format:
what is compared is one run against another on the same images."""
import glob
import itertools
import os
import re

import numpy as np
import pytest
import torch
import torch._inductor.config
from mmengine.config import Config

from mmvit_ext.engine import AdamW, AmpOptimWrapper, resolve_amp_dtype
from mmvit_ext.registry import MODELS, RUNNERS
from mmvit_ext.utils import import_by_path, precision
from scene_utils import write_fashion_lookalike

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION = sorted(
    os.path.relpath(os.path.join(d, f), ROOT)
    for d, _, files in os.walk(f'{ROOT}/configs') for f in files
    if f.endswith('_fashion-mnist.py') and '_base_' not in d)


TRAIN = import_by_path(f'{ROOT}/tools/train.py', 'tool_train')
RUNS = itertools.count()


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return write_fashion_lookalike(tmp_path_factory.mktemp('fashion'),
                                   per_split=48)


def train_losses(config, tmp_path, data_root, amp=False, amp_dtype=None,
                 compile=False, steps=3):
    """The losses of the first ``steps`` iterations of ``config`` as
    tools/train.py sets it up with these flags, on the images under
    ``data_root``, and the runner."""
    args = TRAIN.parse_args(
        [config, '--work-dir', str(tmp_path / 'work'), '--no-validate']
        + ['--amp'] * amp + ['--amp-dtype', amp_dtype] * bool(amp_dtype)
        + ['--compile'] * compile)
    cfg = TRAIN.merge_args(Config.fromfile(f'{ROOT}/{config}'), args)
    dataset = cfg.train_dataloader.dataset
    dataset = dataset.get('dataset', dataset)  # InMemoryBatchDataset
    dataset.data_root = data_root
    dataset.indices = 16 * steps
    cfg.train_dataloader.batch_size = 16
    if cfg.train_dataloader.sampler.get('selected_round'):
        # DeiT's count rounds to 256 samples: none of these 16 x steps.
        cfg.train_dataloader.sampler.selected_round = 0
    cfg.train_cfg.max_epochs = 1
    # Its own message hub: two runs of a config in the same second would
    # share mmengine's default name (config and time) and their losses.
    cfg.experiment_name = f'{tmp_path.name}_{next(RUNS)}'
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    teacher = cfg.model.get('teacher')
    if teacher:  # a random teacher stands in for a trained one
        t_cfg = Config.fromfile(teacher.config)
        path = tmp_path / 'teacher.pth'
        torch.save(dict(state_dict=MODELS.build(t_cfg.model).state_dict()),
                   path)
        teacher.checkpoint = str(path)
    runner = RUNNERS.build(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == steps
    return torch.as_tensor(losses), runner


@pytest.fixture(scope='module')
def eager(tmp_path_factory, data_root):
    """Eager fp32 losses of each config, computed once."""
    cache = {}

    def get(config):
        if config not in cache:
            cache[config] = train_losses(
                config, tmp_path_factory.mktemp('fp32'), data_root)[0]
        return cache[config]
    return get


def test_fashion_configs_are_found():
    assert len(FASHION) >= 7


@pytest.mark.slow
@pytest.mark.parametrize('config', FASHION)
@pytest.mark.parametrize('dtype,rtol', [('bfloat16', 2e-2),
                                        ('float16', 5e-3)])
def test_amp_trains_close_to_fp32(config, dtype, rtol, eager, tmp_path,
                                  data_root):
    losses, runner = train_losses(config, tmp_path, data_root,
                                  amp_dtype=dtype)
    wrapper = runner.optim_wrapper
    assert isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.cast_dtype == getattr(torch, dtype)
    assert (wrapper.loss_scaler is None) == (dtype == 'bfloat16')
    reference = eager(config)
    assert torch.isfinite(losses).all()
    assert not torch.equal(losses, reference), 'autocast changed nothing'
    torch.testing.assert_close(losses, reference, rtol=rtol, atol=0)


def cpu(capability, *native):
    """``precision.cpu_features`` of a CPU with these native instructions
    (``amx_bf16``, ``avx512_bf16``, ``amx_fp16``, ``avx512_fp16``)."""
    features = dict(capability=capability, amx_bf16=False, avx512_bf16=False,
                    amx_fp16=False, avx512_fp16=False)
    features.update(dict.fromkeys(native, True))
    return lambda: features


def test_amp_auto_picks_what_is_native(monkeypatch):
    for features, expected in (
            (cpu('AVX512', 'amx_bf16', 'avx512_bf16'), torch.bfloat16),
            (cpu('AVX512', 'avx512_bf16'), torch.bfloat16),
            (cpu('AVX512', 'avx512_fp16'), torch.float16),
            (cpu('AVX512', 'amx_fp16'), torch.float16),
            (cpu('AVX512'), torch.float32),
            (cpu('AVX2'), torch.float32)):
        monkeypatch.setattr(precision, 'cpu_features', features)
        assert resolve_amp_dtype('auto', 'cpu')[0] == expected
    # An explicit dtype is honoured, and its reason names the slowdown.
    dtype, why = resolve_amp_dtype('float16', 'cpu')
    assert dtype == torch.float16
    assert why == ('requested, but AVX2: no AMX-FP16 or AVX-512-FP16: '
                   'float16 is emulated, about 120x slower than fp32 in '
                   'matmuls')
    assert precision.is_emulated(torch.bfloat16, 'cpu')
    assert not precision.is_emulated(torch.float32, 'cpu')
    with pytest.raises(ValueError, match=r"'fp8' is not one of \('auto', "
                       r"'bfloat16', 'float16'\)"):
        resolve_amp_dtype('fp8', 'cpu')


def log_of(runner):
    path, = glob.glob(os.path.join(runner.log_dir, '*.log'))
    with open(path) as f:
        return f.read()


def test_amp_on_a_cpu_without_bf16_or_fp16_trains_in_fp32(
        monkeypatch, tmp_path, data_root):
    """tools/train.py --amp on an AVX2-only CPU: fp32, no autocast, and one
    log line that says why; --amp-dtype float16 is honoured with a
    warning that names the slowdown."""
    monkeypatch.setattr(precision, 'cpu_features', cpu('AVX2'))
    losses, runner = train_losses(FASHION[0], tmp_path / 'auto', data_root,
                                  amp=True, steps=2)
    wrapper = runner.optim_wrapper
    assert isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.cast_dtype == torch.float32
    assert wrapper.loss_scaler is None
    line, = [ln for ln in log_of(runner).splitlines()
             if 'Mixed precision' in ln]
    assert line.endswith(
        'Mixed precision: none, fp32 on cpu (auto: no native bf16 or fp16 '
        '(AVX2: no AMX or AVX-512-BF16; AVX2: no AMX-FP16 or AVX-512-FP16), '
        'so fp32: bf16 and fp16 matmuls would run about 95x and 120x '
        'slower)'), line
    assert ' - INFO - ' in line
    # Eager fp32, to the last bit: no autocast ran.
    reference, _ = train_losses(FASHION[0], tmp_path / 'fp32', data_root,
                                steps=2)
    assert torch.equal(losses, reference)

    _, runner = train_losses(FASHION[0], tmp_path / 'fp16', data_root,
                             amp_dtype='float16', steps=1)
    assert runner.optim_wrapper.cast_dtype == torch.float16
    line, = [ln for ln in log_of(runner).splitlines()
             if 'Mixed precision' in ln]
    assert ' - WARNING - ' in line
    assert 'float16 is emulated, about 120x slower than fp32' in line


@pytest.mark.slow
def test_tools_train_amp_on_an_avx2_cpu_says_fp32_and_why(tmp_path,
                                                          data_root):
    """tools/train.py --amp from a fresh interpreter, the rules told the CPU
    has AVX2 only (MMVIT_EXT_CPU_FEATURES): it trains in fp32 and says why
    on the console; --amp-dtype float16 trains with a warning."""
    from user_utils import run
    env = dict(os.environ, MMVIT_EXT_CPU_FEATURES='AVX2')
    options = ['--cfg-options', f'train_dataloader.dataset.data_root='
               f'{data_root}', 'train_dataloader.dataset.indices=32',
               'train_dataloader.batch_size=16', 'train_cfg.max_epochs=1']
    out = run(ROOT, 'tools/train.py', FASHION[0], '--work-dir',
              tmp_path / 'amp', '--amp', '--no-validate', *options, env=env)
    assert 'Mixed precision: none, fp32 on cpu (auto: no native bf16 or ' \
        'fp16 (AVX2: no AMX or AVX-512-BF16; AVX2: no AMX-FP16 or ' \
        'AVX-512-FP16), so fp32' in out
    out = run(ROOT, 'tools/train.py', FASHION[0], '--work-dir',
              tmp_path / 'fp16', '--amp-dtype', 'float16', '--no-validate',
              *options, env=env)
    assert re.search(r'WARNING - Mixed precision: torch.float16 autocast on '
                     r'cpu \(requested, but AVX2: no AMX-FP16 or '
                     r'AVX-512-FP16: float16 is emulated, about 120x slower',
                     out), out[-3000:]


def test_amp_alone_takes_the_choice_for_this_machine(tmp_path, data_root):
    _, runner = train_losses(FASHION[0], tmp_path, data_root, amp=True,
                             steps=1)
    assert runner.optim_wrapper.cast_dtype == resolve_amp_dtype(
        'auto', 'cpu')[0]


def test_adamw_is_fused(tmp_path, data_root):
    _, runner = train_losses(FASHION[0], tmp_path, data_root, steps=1)
    optimizer = runner.optim_wrapper.optimizer
    assert type(optimizer) is AdamW
    assert optimizer.defaults['fused'] is True


# One config per family and head (the deep DeepViT, the distillation-token
# student without a teacher, the CeiT plain head, the DeiT III with the
# paper's loss and sampler, and the ResNet teacher, which the distilled DeiT
# compiles inside it, add compile time and no new code path).
COMPILED = [c for c in FASHION if not any(
    n in c for n in ('deep24', 'dist-token', 'clshead', 'bce-ra',
                     'teachers/'))]


@pytest.mark.slow
@pytest.mark.parametrize('config', COMPILED)
def test_compile_trains_like_eager(config, eager, tmp_path, data_root):
    torch._dynamo.reset()
    # Random ops (drop path) draw from eager's generator, so that compiled
    # and eager runs see the same random numbers.
    with torch._inductor.config.patch(fallback_random=True):
        losses, runner = train_losses(config, tmp_path, data_root,
                                      compile=True)
    assert runner.cfg.compile is True
    assert hasattr(runner.model.forward, '_torchdynamo_orig_callable')
    torch.testing.assert_close(losses, eager(config), rtol=1e-4, atol=1e-5)


# --- The ImageNet configs: the same flags, on tiny archs and random images --
IN1K = sorted(
    os.path.relpath(os.path.join(d, f), ROOT)
    for d, _, files in os.walk(f'{ROOT}/configs') for f in files
    if f.endswith('_in1k.py') and 'distilled' not in f
    and '/teachers' not in d)


def in1k_losses(config, amp_dtype=None, steps=3):
    """Losses of ``steps`` train steps of ``config``'s model and optimizer
    wrapper as tools/train.py sets them up (Mixup/CutMix, loss, optimizer
    and paramwise options as shipped), with the arch shrunk to a tiny one."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    from backbone_cases import TINY_CEIT, TINY_DEEPVIT, TINY_DEIT3, TINY_PIT
    args = TRAIN.parse_args(
        [config, '--work-dir', 'unused', '--no-validate']
        + ['--amp-dtype', amp_dtype] * bool(amp_dtype))
    cfg = TRAIN.merge_args(Config.fromfile(f'{ROOT}/{config}'), args)
    init_default_scope('mmvit_ext')
    backbone = cfg.model.backbone
    tiny = dict(DeiT3=TINY_DEIT3, DeiT=TINY_DEIT3, PiT=TINY_PIT,
                DeepViT=TINY_DEEPVIT,
                CeiT=TINY_CEIT)[backbone.type.split('.')[-1]]
    backbone.update({k: v for k, v in tiny.items() if k != 'type'})
    arch = tiny['arch']
    width = arch['embed_dims'] if isinstance(arch['embed_dims'], int) \
        else arch['embed_dims'][-1]
    depth = arch.get('num_layers') or sum(arch['depths'])
    if isinstance(backbone.get('out_indices'), (list, tuple)):
        backbone.out_indices = list(range(depth))  # LCA: every block
    cfg.model.head.in_channels = width
    if 'num_heads' in cfg.model.head:  # LCA
        cfg.model.head.num_heads = 2
        cfg.model.head.num_layers = depth
    if 'attn_loss' in cfg.model:  # DeepViT-32B: pairs of the tiny depth
        cfg.model.attn_loss.num_pairs = depth - 1
    cfg.model.data_preprocessor = cfg.data_preprocessor
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    size = tiny['img_size']
    losses = []
    for step in range(steps):
        g = torch.Generator().manual_seed(step)
        data = dict(
            inputs=torch.randint(0, 256, (4, 3, size, size),
                                 dtype=torch.uint8, generator=g),
            data_samples=[DataSample().set_gt_label(int(c)) for c in
                          torch.randint(0, 1000, (4, ), generator=g)])
        # Mixup/CutMix draw from numpy (the choice, lambda, the box), drop
        # path from torch: both seeded, so that every run mixes alike.
        torch.manual_seed(100 + step)
        np.random.seed(100 + step)
        losses.append(float(model.train_step(data, wrapper)['loss']))
    return torch.tensor(losses), wrapper


def test_in1k_configs_are_found():
    assert len(IN1K) >= 20


@pytest.mark.parametrize('config', IN1K)
def test_in1k_configs_train_with_amp(config):
    reference, _ = in1k_losses(config)
    assert torch.isfinite(reference).all()
    for dtype, rtol in (('bfloat16', 2e-2), ('float16', 5e-3)):
        losses, wrapper = in1k_losses(config, amp_dtype=dtype)
        assert wrapper.cast_dtype == getattr(torch, dtype)
        # The first loss differs by the forward's precision alone; later
        # ones also by full-lr steps (no warm-up here) from the rounded
        # gradients, which LAMB's trust ratio amplifies on a tiny model.
        torch.testing.assert_close(losses[0], reference[0], rtol=rtol, atol=0)
        torch.testing.assert_close(losses, reference, rtol=0.1, atol=0)
