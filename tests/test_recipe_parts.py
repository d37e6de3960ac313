"""The pieces of the papers' recipes, each against its reference, taken from
the configs a user runs: 3-Augment against timm's ``auto_augment='3a'``,
the thresholded BCE against timm's ``BinaryCrossEntropy``, repeated
augmentation against timm's ``RepeatAugSampler`` (DeiT's ``RASampler``),
the RegNetY-16GF teacher against timm's model, DeepViT-32B's attention
regulariser against its formula, and the EMA checkpoint layout."""
import random

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.apis import get_model
from mmpretrain.structures import DataSample
from PIL import Image, ImageOps
from timm.data.auto_augment import auto_augment_transform
from timm.data.distributed_sampler import RepeatAugSampler as TimmRASampler
from timm.loss import BinaryCrossEntropy
from torchvision import transforms as tvt

from mmvit_ext.registry import DATA_SAMPLERS, MODELS, TRANSFORMS

DEIT3 = 'configs/deit3/deit3-s-p16_8xb256_in1k.py'


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvit_ext')


def config(repo_root, path):
    return Config.fromfile(f'{repo_root}/{path}')


def pipeline_entry(cfg, type_name):
    [entry] = [t for t in cfg.train_dataloader.dataset.pipeline
               if t['type'].split('.')[-1] == type_name]
    return entry


# --- 3-Augment ----------------------------------------------------------

# A black image with one coloured square (RGB 200, 40, 90): grey makes the
# channels equal, solarize inverts the red only (200 -> 55), blur spreads it.
SQUARE_RGB = (200, 40, 90)


def square_rgb():
    img = np.zeros((24, 24, 3), np.uint8)
    img[10:15, 10:15] = SQUARE_RGB
    return img


def classify(out_rgb, img_rgb):
    if (out_rgb[..., 0] == out_rgb[..., 1]).all() and \
            (out_rgb[..., 1] == out_rgb[..., 2]).all():
        return 'grey'
    if np.array_equal(out_rgb, np.where(img_rgb < 128, img_rgb,
                                        255 - img_rgb)):
        return 'solarize'
    return 'blur'


def blur_radius_estimate(out_rgb):
    """The blur's spread: the red square's variance along x minus the
    unblurred square's (2.0 for 5 pixels) gives about radius^2."""
    red = out_rgb[..., 0].astype(np.float64)
    w = red.sum(0)
    x = np.arange(len(w))
    mean = (w * x).sum() / w.sum()
    var = (w * (x - mean)**2).sum() / w.sum()
    return np.sqrt(max(var - 2.0, 0.))


def draws_ours(n, seed=0):
    cfg = config_root()
    aug = TRANSFORMS.build(pipeline_entry(cfg, 'ThreeAugment'))
    np.random.seed(seed)
    random.seed(seed)
    img = square_rgb()
    outs = []
    for _ in range(n):
        out_bgr = aug(dict(img=img[..., ::-1].copy()))['img']
        outs.append(out_bgr[..., ::-1])
    return outs


def draws_timm(n, seed=0):
    aug = auto_augment_transform('3a', dict(img_mean=(124, 116, 104)))
    random.seed(seed)
    np.random.seed(seed)
    img = Image.fromarray(square_rgb())
    return [np.asarray(aug(img)) for _ in range(n)]


_ROOT = {}


def config_root():
    return _ROOT['cfg']


@pytest.fixture(scope='module', autouse=True)
def deit3_cfg(repo_root):
    _ROOT['cfg'] = config(repo_root, DEIT3)


def test_three_augment_is_in_the_deit3_pipeline_as_the_paper_orders_it():
    types = [t['type'].split('.')[-1]
             for t in config_root().train_dataloader.dataset.pipeline]
    assert types == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip',
                     'ThreeAugment', 'ColorJitter', 'PackInputs']
    assert 'RandAugment' not in types and 'RandomErasing' not in types


@pytest.mark.parametrize('seed', [0, 1])
def test_three_augment_chooses_each_op_as_often_as_timm(seed):
    n = 900
    img = square_rgb()
    for name, outs in (('ours', draws_ours(n, seed)),
                       ('timm', draws_timm(n, seed))):
        kinds = [classify(o, img) for o in outs]
        for kind in ('grey', 'solarize', 'blur'):
            share = kinds.count(kind) / n
            # 3 sigma of a binomial share of 1/3 over 900 draws is 0.047.
            assert abs(share - 1 / 3) < 0.05, (name, kind, share)


def test_three_augment_grey_and_solarize_are_timms_and_pils():
    img = square_rgb()
    ours = {classify(o, img): o for o in draws_ours(60)}
    theirs = {classify(o, img): o for o in draws_timm(60)}
    # PIL's ITU-R 601-2 luma, rounded: torchvision's Grayscale(3) in DeiT III.
    grey = np.asarray(Image.fromarray(img).convert('L'))
    assert grey[12, 12] == round(0.299 * 200 + 0.587 * 40 + 0.114 * 90)
    np.testing.assert_array_equal(ours['grey'], np.stack([grey] * 3, -1))
    np.testing.assert_array_equal(ours['grey'], theirs['grey'])
    solar = np.asarray(ImageOps.solarize(Image.fromarray(img), 128))
    np.testing.assert_array_equal(ours['solarize'], solar)
    np.testing.assert_array_equal(ours['solarize'], theirs['solarize'])


def test_three_augment_blur_radius_range_is_timms():
    img = square_rgb()
    bounds = [blur_radius_estimate(np.asarray(Image.fromarray(img).filter(
        __import__('PIL.ImageFilter').ImageFilter.GaussianBlur(r))))
        for r in (0.1, 2.0)]
    radii = {}
    for name, outs in (('ours', draws_ours(900)), ('timm', draws_timm(900))):
        radii[name] = np.array([blur_radius_estimate(o) for o in outs
                                if classify(o, img) == 'blur'])
        assert bounds[0] - 1e-9 <= radii[name].min()
        assert radii[name].max() <= bounds[1] + 1e-9
        # Uniform radii reach both ends of the range.
        assert radii[name].min() < bounds[0] + 0.1
        assert radii[name].max() > bounds[1] - 0.1
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        a, b = (np.quantile(radii[k], q) for k in ('ours', 'timm'))
        assert abs(a - b) < 0.12, (q, a, b)


def test_three_augment_keeps_a_grey_image_grey():
    """On a one-channel image each op gives its known value: grey leaves it
    as it is, solarize inverts the levels at or above 128, and the blur is
    PIL's at the radius drawn."""
    from PIL import ImageFilter
    aug = TRANSFORMS.build(dict(type='mmvit_ext.ThreeAugment'))
    blur, = aug.transforms[2].transforms  # RandomChoice composes each
    radii = []
    draw = blur.random_magnitude
    blur.random_magnitude = lambda: radii.append(draw()) or radii[-1]
    grey = np.random.RandomState(0).randint(0, 256, (16, 16), np.uint8)
    solarized = np.where(grey < 128, grey, 255 - grey)
    np.random.seed(0)
    kinds = []
    for _ in range(20):
        blurs = len(radii)
        out = aug(dict(img=grey.copy()))['img']
        assert out.shape == grey.shape and out.dtype == np.uint8
        if len(radii) > blurs:
            kinds.append('blur')
            want = np.asarray(Image.fromarray(grey).filter(
                ImageFilter.GaussianBlur(radius=radii[-1])))
        else:
            kinds.append('grey' if np.array_equal(out, grey) else 'solarize')
            want = grey if kinds[-1] == 'grey' else solarized
        np.testing.assert_array_equal(out, want)
    assert set(kinds) == {'grey', 'solarize', 'blur'}, kinds


def test_three_augment_names_a_bad_blur_range():
    with pytest.raises(ValueError, match=r'blur_radius .* got \(2.0, 0.1\)'):
        TRANSFORMS.build(dict(type='mmvit_ext.ThreeAugment',
                              blur_radius=(2.0, 0.1)))


def test_colour_jitter_after_three_augment_is_torchvisions():
    """0.3 brightness, contrast and saturation, no hue. On a flat grey image
    only the brightness acts: the output grey level is 128 x U(0.7, 1.3)."""
    jitter = pipeline_entry(config_root(), 'ColorJitter')
    assert jitter == dict(type='ColorJitter', brightness=0.3, contrast=0.3,
                          saturation=0.3)
    ours = TRANSFORMS.build(jitter)
    theirs = tvt.ColorJitter(0.3, 0.3, 0.3)
    flat = np.full((4, 4, 3), 128, np.uint8)
    np.random.seed(0)
    torch.manual_seed(0)
    a = np.array([ours(dict(img=flat.copy()))['img'][0, 0, 0]
                  for _ in range(600)], np.float64)
    b = np.array([np.asarray(theirs(Image.fromarray(flat)))[0, 0, 0]
                  for _ in range(600)], np.float64)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert abs(np.quantile(a, q) - np.quantile(b, q)) < 4, q
    assert a.min() >= 128 * 0.7 - 1 and a.max() <= 128 * 1.3 + 1


# --- the loss -----------------------------------------------------------


def mixed_batch(seed, num_classes=10, batch=8):
    """Logits and the targets of the config's own Mixup/CutMix."""
    from mmpretrain.models.utils.batch_augments import RandomBatchAugment
    cfg = config_root()
    augments = RandomBatchAugment(cfg.model.train_cfg.augments)
    g = torch.Generator().manual_seed(seed)
    np.random.seed(seed)
    labels = torch.randint(num_classes, (batch, ), generator=g)
    scores = F.one_hot(labels, num_classes).float()
    _, mixed = augments(torch.randn(batch, 3, 8, 8, generator=g), scores)
    return torch.randn(batch, num_classes, generator=g) * 3, labels, mixed


@pytest.mark.parametrize('seed', range(4))
def test_deit3_loss_is_timms_thresholded_bce(seed):
    head = MODELS.build(config_root().model.head)
    ref = BinaryCrossEntropy(smoothing=0., target_threshold=0.)
    logits, labels, mixed = mixed_batch(seed, num_classes=1000)
    assert ((mixed > 0) & (mixed < 1)).any()  # really mixed
    samples = [DataSample().set_gt_score(s) for s in mixed]
    ours = head._get_loss(logits, samples)['loss']
    torch.testing.assert_close(ours, ref(logits, mixed), rtol=1e-6,
                               atol=1e-7)
    # mmpretrain's sigmoid cross-entropy on the soft scores is another loss.
    soft = F.binary_cross_entropy_with_logits(logits, mixed)
    assert not torch.allclose(ours, soft)
    # Hard labels (no batch augmentation) are one-hot targets.
    hard = [DataSample().set_gt_label(int(y)) for y in labels]
    torch.testing.assert_close(
        head._get_loss(logits, hard)['loss'], ref(logits, labels))


def test_thresholded_bce_names_targets_that_do_not_fit():
    loss = MODELS.build(dict(type='ThresholdedBCELoss'))
    with pytest.raises(ValueError, match=r'targets of shape \(2, 3\)'):
        loss(torch.randn(2, 5), torch.rand(2, 3))


# --- repeated augmentation ----------------------------------------------


@pytest.mark.parametrize('length', [1000, 5003])
@pytest.mark.parametrize('world_size', [1, 3, 8])
def test_repeat_aug_sampler_is_deits(monkeypatch, length, world_size):
    """The config's sampler, with the run's seed 0, yields on every rank
    exactly the indices of timm's RepeatAugSampler, the port of DeiT's
    RASampler (selected_round=256), epoch after epoch."""
    import mmpretrain.datasets.samplers.repeat_aug as mmpretrain_ra
    sampler_cfg = config_root().train_dataloader.sampler
    dataset = list(range(length))
    counts = np.zeros(length, int)
    for rank in range(world_size):
        monkeypatch.setattr(mmpretrain_ra, 'get_dist_info',
                            lambda: (rank, world_size))
        ours = DATA_SAMPLERS.build(sampler_cfg,
                                   default_args=dict(dataset=dataset, seed=0))
        ref = TimmRASampler(dataset, num_replicas=world_size, rank=rank,
                            shuffle=True, num_repeats=3, selected_round=256)
        assert len(ours) == len(ref) == \
            length // 256 * 256 // world_size
        for epoch in (0, 1):
            ours.set_epoch(epoch)
            ref.set_epoch(epoch)
            got = list(ours)
            assert got == list(ref)
            if epoch == 0:
                np.add.at(counts, got, 1)
    if world_size == 3:  # the 3 repeats of a sample on 3 different ranks
        assert set(np.unique(counts)) <= {0, 3}


def test_repeat_aug_sampler_refuses_to_select_nothing():
    with pytest.raises(ValueError, match='100 samples, selected_round=256'):
        DATA_SAMPLERS.build(dict(type='mmvit_ext.RepeatAugSampler'),
                            default_args=dict(dataset=list(range(100)),
                                              seed=0))


@pytest.mark.parametrize('path,sampler', [
    ('configs/deit/deit-s-distilled_8xb128_in1k.py', 'RepeatAugSampler'),
    ('configs/pit/pit-s_8xb128_in1k.py', 'RepeatAugSampler'),
    ('configs/ceit/ceit-b_8xb128_in1k.py', 'RepeatAugSampler'),
    (DEIT3, 'RepeatAugSampler'),
    ('configs/deit3/deit3-b-p16-ft_8xb64_in1k.py', 'DefaultSampler'),
    ('configs/deepvit/deepvit-s_16xb32_in1k.py', 'DefaultSampler'),
])
def test_repeated_augmentation_where_the_official_runs_have_it(
        repo_root, path, sampler):
    got = config(repo_root, path).train_dataloader.sampler.type
    assert got.split('.')[-1] == sampler


# --- the teacher --------------------------------------------------------


def test_regnety_teacher_loads_the_official_file_and_gives_timms_logits(
        repo_root, tmp_path):
    """The distilled DeiT config's teacher is timm's regnety_160 (DeiT's
    RegNetY-16GF): a file laid out as the official regnety_160-a5fe301d.pth
    (the weights under "model") loads strictly, and the teacher's logits
    are timm's."""
    torch.manual_seed(0)
    ref = timm.create_model('regnety_160', num_classes=1000,
                            global_pool='avg').eval()
    assert sum(p.numel() for p in ref.parameters()) == 83_590_140
    path = tmp_path / 'regnety_160-a5fe301d.pth'
    torch.save({'model': ref.state_dict()}, path)
    cfg = config(repo_root, 'configs/deit/deit-s-distilled_8xb128_in1k.py')
    cfg.model.teacher.checkpoint = str(path)
    student = get_model(cfg)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(student.teacher_logits(x), ref(x),
                                   rtol=1e-5, atol=1e-5)
    assert not any(p.requires_grad for p in student.teacher.parameters())


def test_timm_teacher_without_timm_says_how_to_install(repo_root,
                                                      monkeypatch, tmp_path):
    import importlib.util

    from mmvit_ext.models.classifiers.distillation import build_teacher
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'timm'
                        else real(name, *a))
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(b'x')
    with pytest.raises(ImportError, match=r"mmvit_ext\[teacher\]"):
        build_teacher(
            f'{repo_root}/configs/_base_/models/teachers/regnety-160_in1k.py',
            str(ckpt), 1000)


def test_deit_decays_its_dist_token_and_pit_does_not(repo_root):
    """DeiT's no_weight_decay() is {pos_embed, cls_token}: the dist token
    decays. PiT keeps its dist token inside cls_token, which does not."""
    from mmengine.optim import build_optim_wrapper
    for path, decayed in (
            ('configs/deit/deit-ti-distilled_8xb128_in1k.py', True),
            ('configs/pit/pit-ti-distilled_8xb128_in1k.py', False)):
        cfg = config(repo_root, path)
        cfg.model.teacher = None
        model = get_model(cfg)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        token = model.backbone.dist_token
        [group] = [g for g in wrapper.optimizer.param_groups
                   if any(p is token for p in g['params'])]
        assert (group['weight_decay'] > 0) == decayed, path
        # Every 1-D parameter (norms, biases, LayerScale) is exempt, as in
        # timm's optimizer factory.
        for g in wrapper.optimizer.param_groups:
            if any(p.ndim == 1 for p in g['params']):
                assert g['weight_decay'] == 0


# --- DeepViT-32B's regulariser --------------------------------------------


def test_attention_cosine_loss_is_the_official_formula():
    g = torch.Generator().manual_seed(0)
    maps = [torch.rand(2, 4, 5, 5, generator=g).softmax(-1)
            for _ in range(14)]
    loss = MODELS.build(dict(type='AttentionCosineLoss', num_pairs=12,
                             loss_weight=0.1))
    # cos over the heads of blocks i and i + 1, summed over 12 pairs,
    # averaged over batch and positions, x 0.1 / 12.
    total = 0
    for i in range(12):
        a, b = maps[i], maps[i + 1]
        total = total + ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)))
    torch.testing.assert_close(loss(maps), 0.1 * total.mean() / 12)
    with pytest.raises(ValueError, match='12 pairs need 13'):
        loss(maps[:12])


def test_deepvit_32b_trains_with_the_regulariser_on_its_first_blocks(
        repo_root):
    cfg = config(repo_root, 'configs/deepvit/deepvit-32b_16xb32_in1k.py')
    assert cfg.model.train_cfg.augments == [dict(type='Mixup', alpha=0.1)]
    cfg.model.backbone.update(
        arch=dict(embed_dims=32, num_layers=14, num_heads=4,
                  feedforward_channels=64), img_size=32, patch_size=8)
    cfg.model.head.update(in_channels=32, num_classes=10)
    cfg.model.data_preprocessor.num_classes = 10
    model = get_model(cfg)
    x = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (1, 2)]
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss', 'loss_attn'}
    # The term equals the loss of the maps the blocks computed.
    maps = []
    hooks = [layer.attn.register_forward_hook(
        lambda m, i, o: maps.append(m.recorded[-1]))
        for layer in model.backbone.layers[:13]]
    torch.manual_seed(0)
    again = model(x, samples, mode='loss')
    for h in hooks:
        h.remove()
    assert len(maps) == 13
    torch.testing.assert_close(again['loss_attn'], model.attn_loss(maps))
    # Its gradient reaches the first blocks only.
    model.zero_grad()
    again['loss_attn'].backward()
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert model.backbone.layers[13].attn.qkv.weight.grad is None
    assert all(layer.attn.recorded is None for layer in model.backbone.layers)


def test_attention_regulariser_needs_a_backbone_that_records(repo_root):
    with pytest.raises(TypeError, match='cannot record its attention'):
        MODELS.build(dict(
            type='AttentionRegClassifier',
            attn_loss=dict(type='AttentionCosineLoss'),
            backbone=dict(type='PiT', arch='tiny', img_size=32),
            head=dict(type='VisionTransformerClsHead', num_classes=2,
                      in_channels=256)))


# --- heads start as the official ones ------------------------------------


@pytest.mark.parametrize('path', [
    DEIT3, 'configs/deit/deit-ti-distilled_8xb128_in1k.py',
    'configs/deepvit/deepvit-16b_16xb32_in1k.py'])
def test_heads_start_truncated_normal(repo_root, path):
    cfg = config(repo_root, path)
    cfg.model.pop('teacher', None)
    cfg.model.type = 'ImageClassifier'
    cfg.model.backbone.update(
        arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                  feedforward_channels=64), img_size=32)
    cfg.model.backbone.pop('layer_cfgs', None)
    cfg.model.head.in_channels = 32
    model = get_model(cfg)
    model.init_weights()
    for fc in [m for m in model.head.modules()
               if isinstance(m, torch.nn.Linear)]:
        std = fc.weight.std().item()
        assert 0.015 < std < 0.025, (path, std)
