"""The Fashion-MNIST scene configs the way a user runs them: our tools and
mmdet's and mmseg's own, the ecosystem's metrics, and the checks a new user
needs (class counts, a quiet console, the logged lr)."""
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from dense_utils import require_dense
from PIL import Image
from scene_utils import ROOT, decode, generate, write_fashion_lookalike

import user_utils

require_dense()
pytestmark = pytest.mark.dense

import mmdet  # noqa: E402
import mmseg  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

DET = 'configs/mmdet/mask-rcnn_deit3-tiny-p7_simplefpn_fashion-scenes.py'
SEG = 'configs/mmseg/upernet_deit3-tiny-p7_mln_fashion-scenes.py'
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


@pytest.fixture(scope='module')
def scene_root(tmp_path_factory):
    """A tiny scene set at the configs' 128x128."""
    fashion = write_fashion_lookalike(tmp_path_factory.mktemp('fashion'))
    out = tmp_path_factory.mktemp('scenes') / 'set'
    proc = generate(out, fashion, num_train=16, num_val=4, size=(128, 128))
    assert proc.returncode == 0, proc.stderr
    return out


def data_options(root):
    """--cfg-options that point a scene config at ``root``."""
    return [f'train_dataloader.dataset.data_root={root}/',
            f'val_dataloader.dataset.data_root={root}/',
            f'test_dataloader.dataset.data_root={root}/',
            f'val_evaluator.ann_file={root}/annotations/instances_val.json',
            f'test_evaluator.ann_file={root}/annotations/instances_val.json']


def short_run(max_iters):
    """--cfg-options for a short run from random weights."""
    return [f'train_cfg.max_iters={max_iters}',
            f'train_cfg.val_interval={max_iters}',
            'param_scheduler.0.end=5', 'param_scheduler.1.begin=5',
            'model.backbone.init_cfg=None',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']


# An untrained detector scores its boxes below the shipped threshold (0.05),
# and CocoMetric reports nothing for an empty result: keep every box.
KEEP_BOXES = ['model.test_cfg.rcnn.score_thr=0.0']


def extra_for(config):
    return KEEP_BOXES if 'mask-rcnn' in str(config) else []


def run(args, ok=True, fresh=False):
    """A tool in the repository root, forked from the dense tool server
    (``user_utils.run``), or from a fresh interpreter."""
    return user_utils.run(ROOT, *args, ok=ok, dense=True, fresh=fresh)


def scalars(work_dir):
    return [json.loads(line)
            for path in sorted(work_dir.glob('*/vis_data/scalars.json'))
            for line in path.read_text().splitlines()]


def test_ground_truth_as_predictions_scores_100(scene_root):
    """The configs' own evaluators (mmdet's CocoMetric, mmseg's IoUMetric)
    give AP 100 and mIoU 100 to the ground truth fed back as predictions."""
    from mmdet.registry import METRICS as DET_METRICS
    from mmseg.registry import METRICS as SEG_METRICS

    det, seg = (Config.fromfile(os.path.join(ROOT, c)) for c in (DET, SEG))
    ann_file = scene_root / 'annotations/instances_val.json'
    coco = json.loads(ann_file.read_text())
    metric = DET_METRICS.build(dict(det.val_evaluator, _scope_='mmdet',
                                    ann_file=str(ann_file)))
    metric.dataset_meta = dict(classes=det.classes)
    samples = []
    for info in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == info['id']]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in
                 (a['bbox'] for a in anns)]
        samples.append(dict(
            img_id=info['id'], ori_shape=(info['height'], info['width']),
            pred_instances=dict(
                bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.ones(len(anns)),
                labels=torch.tensor([a['category_id'] - 1 for a in anns]),
                masks=torch.from_numpy(np.stack(
                    [decode(a['segmentation']) for a in anns])))))
    metric.process({}, samples)
    results = metric.compute_metrics(metric.results)
    assert results['bbox_mAP'] == pytest.approx(1.0)
    assert results['segm_mAP'] == pytest.approx(1.0)

    metric = SEG_METRICS.build(dict(seg.val_evaluator, _scope_='mmseg'))
    metric.dataset_meta = dict(classes=seg.classes)
    samples = []
    for path in sorted((scene_root / 'semantic/val').glob('*.png')):
        label = torch.from_numpy(np.asarray(Image.open(path))).long()[None]
        samples.append(dict(pred_sem_seg=dict(data=label),
                            gt_sem_seg=dict(data=label)))
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results)['mIoU'] == 100.0


@pytest.mark.slow
@pytest.mark.parametrize('config', [DET, SEG], ids=['detector', 'segmentor'])
def test_tools_train_learns_scenes_quietly_with_the_base_lr(
        config, scene_root, tmp_path):
    """tools/train.py on a shipped scene config: the loss falls in 30
    iterations, the console starts with the training log (no environment,
    config or pkg_resources warnings), the logged lr is the base one under
    layer-wise decay, and the final validation reports the metric."""
    work_dir = tmp_path / 'work'
    output = run(['tools/train.py', config, '--work-dir', str(work_dir),
                  '--cfg-options', *data_options(scene_root),
                  *short_run(30), *extra_for(config),
                  'default_hooks.logger.interval=1'])
    assert 'pkg_resources' not in output
    assert 'System environment' not in output and 'Config:' not in output
    lines = output.splitlines()
    before = lines[:lines.index(next(l for l in lines if 'Iter(train)' in l))]
    # pycocotools prints 4 lines for each COCO file it indexes (the
    # training set, the validation set and the metric's ground truth).
    coco = ('loading annotations', 'Done (t=', 'creating index',
            'index created')
    assert len([line for line in before if not line.startswith(coco)]) < 5, \
        '\n'.join(before)

    logged = [s for s in scalars(work_dir) if 'loss' in s]
    assert len(logged) == 30
    losses = [s['loss'] for s in logged]
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5]), losses
    # The largest group's lr (the neck and heads learn at the base lr), not
    # the stem's: warm-up from 1e-3 of it to all of it in 5 iterations.
    base = Config.fromfile(os.path.join(ROOT, config)).optim_wrapper.optimizer.lr
    assert logged[0]['lr'] == pytest.approx(base * 1e-3)
    assert logged[10]['lr'] == pytest.approx(base, rel=1e-3)
    metric = 'coco/bbox_mAP' if config == DET else 'mIoU'
    assert any(metric in s for s in scalars(work_dir))


@pytest.mark.parametrize('config,option,key', [
    (DET, 'model.roi_head.bbox_head.num_classes=2',
     'model.roi_head.bbox_head.num_classes=2'),
    (SEG, 'model.decode_head.num_classes=12',
     'model.decode_head.num_classes=12'),
], ids=['detector', 'segmentor'])
def test_a_wrong_class_count_stops_before_training(config, option, key,
                                                   scene_root, tmp_path):
    output = run(['tools/train.py', config, '--work-dir', str(tmp_path),
                  '--cfg-options', *data_options(scene_root),
                  *short_run(5), option], ok=False)
    classes = 10 if config == DET else 11
    assert f'has {classes} classes, but the model has {key}' in output
    assert 'Iter(train)' not in output


def mim_tool(package, name):
    return os.path.join(os.path.dirname(package.__file__), '.mim', 'tools',
                        name)


@pytest.mark.slow
@pytest.mark.parametrize('package,config', [(mmdet, DET), (mmseg, SEG)],
                         ids=['mmdet', 'mmseg'])
def test_the_packages_own_tools_run_mmvit_ext_configs(package, config,
                                                      scene_root, tmp_path):
    """mmdet's and mmseg's own tools/train.py and tools/test.py, on a user
    config that inherits ours by its ``mmvit_ext::`` name: mmengine resolves
    it before anything imports mmvit_ext (mmvit_ext-scope.pth)."""
    user_config = tmp_path / 'my_config.py'
    user_config.write_text(
        f"_base_ = 'mmvit_ext::{config[len('configs/'):]}'\n")
    work_dir = tmp_path / 'work'
    run([mim_tool(package, 'train.py'), str(user_config), '--work-dir',
         str(work_dir), '--cfg-options', *data_options(scene_root),
         *short_run(4), *extra_for(config)], fresh=True)
    checkpoint = work_dir / 'iter_4.pth'
    assert checkpoint.exists()
    output = run([mim_tool(package, 'test.py'), str(user_config),
                  str(checkpoint), '--work-dir', str(tmp_path / 'test'),
                  '--cfg-options', *data_options(scene_root),
                  *short_run(4), *extra_for(config)])
    assert ('coco/bbox_mAP' if package is mmdet else 'mIoU') in output


def own_config(src, tmp_path, **keys):
    """Copy an own-data config and set the keys at its top, as a user
    edits them."""
    text = (ROOT_PATH / src).read_text()
    for key, value in keys.items():
        text, count = re.subn(rf'^{key} = .*$', f'{key} = {value!r}', text,
                              count=1, flags=re.M)
        assert count == 1, key
    folder = os.path.dirname(os.path.join(ROOT, src))
    text = text.replace("_base_ = ['../", f"_base_ = ['{folder}/../")
    path = tmp_path / os.path.basename(src)
    path.write_text(text)
    return path


ROOT_PATH = Path(ROOT)


@pytest.mark.slow
def test_own_coco_and_label_png_sets_train_by_the_top_keys(scene_root,
                                                           tmp_path):
    """The own-data configs on a 3-class COCO set and a 3-class label-PNG
    set: only data_root, classes and pretrained are edited; a run trains
    and evaluates with the data's classes."""
    sys.path.insert(0, os.path.join(ROOT, 'tests'))
    from dense_utils import write_synthetic_coco, write_synthetic_seg

    coco_root = tmp_path / 'my_coco'
    for split, seed in (('train', 0), ('val', 1)):
        write_synthetic_coco(str(tmp_path / split), num_images=8, seed=seed)
        shutil.copytree(tmp_path / split / 'img',
                        coco_root / 'images' / split)
        (coco_root / 'annotations').mkdir(exist_ok=True)
        shutil.copy(tmp_path / split / 'annotations.json',
                    coco_root / f'annotations/instances_{split}.json')
    config = own_config(
        'configs/mmdet/custom/mask-rcnn_deit3-tiny-p7_simplefpn_coco-format.py',
        tmp_path, data_root=f'{coco_root}/', classes=('square', 'disc'),
        pretrained=None)
    output = run(['tools/train.py', str(config), '--work-dir',
                  str(tmp_path / 'det'), '--cfg-options', *short_run(6),
                  *KEEP_BOXES])
    assert 'coco/bbox_mAP' in output and 'coco/segm_mAP' in output

    seg_root = tmp_path / 'my_seg'
    for split, seed in (('train', 0), ('val', 1)):
        write_synthetic_seg(str(tmp_path / f'seg_{split}'), num_images=8,
                            seed=seed)
        shutil.copytree(tmp_path / f'seg_{split}' / 'img',
                        seg_root / 'images' / split)
        shutil.copytree(tmp_path / f'seg_{split}' / 'ann',
                        seg_root / 'labels' / split)
    config = own_config(
        'configs/mmseg/custom/upernet_deit3-tiny-p7_mln_seg-folder.py', tmp_path,
        data_root=f'{seg_root}/', classes=('background', 'square', 'disc'),
        pretrained=None)
    output = run(['tools/train.py', str(config), '--work-dir',
                  str(tmp_path / 'seg'), '--cfg-options', *short_run(6)])
    assert re.search(r'\| +disc +\|', output), output[-3000:]


def test_get_flops_counts_a_scene_detector(tmp_path):
    """get_flops.py on a detector: backbone and neck FLOPs at the canvas
    size, parameters whole and of the backbone."""
    from mmdet.registry import MODELS

    output = run(['tools/analysis_tools/get_flops.py', DET])
    flops = float(re.search(r'^FLOPs: ([0-9.]+)G \(backbone and neck\)$',
                            output, re.M).group(1))
    cfg = Config.fromfile(os.path.join(ROOT, DET))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    backbone = sum(p.numel() for p in model.backbone.parameters())
    assert f'Backbone params: {backbone / 1e6:.3f}M' in output
    # The 4 blocks of a 64-wide DeiT III on a 19x19 grid (+ class token)
    # are most of it: 4 * (12 * 64^2 * N + 2 * N^2 * 64) multiply-adds.
    n = 19 * 19 + 1
    blocks = 4 * (12 * 64**2 * n + 2 * n**2 * 64) / 1e9
    assert blocks < flops < 3 * blocks


def build_detector(cfg):
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return model


def test_a_grey_classifier_initialises_the_scene_detector(tmp_path,
                                                         monkeypatch):
    """The scene config's own init_cfg, given a grey Fashion-MNIST
    classifier as tools/train.py saves it: the stem is adapted to RGB (one
    info line) and the position embedding resized; nothing else changes."""
    from mmengine.logging import MMLogger
    from mmengine.runner import save_checkpoint
    from mmpretrain.apis import get_model

    classifier = get_model(os.path.join(
        ROOT, 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'))
    path = tmp_path / 'epoch_8.pth'
    save_checkpoint({'state_dict': classifier.state_dict()}, str(path))
    cfg = Config.fromfile(os.path.join(ROOT, DET))
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    lines = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'info',
                        lines.append)
    backbone = build_detector(cfg).backbone
    ours, theirs = backbone.state_dict(), classifier.backbone.state_dict()
    torch.testing.assert_close(
        ours['patch_embed.projection.weight'],
        theirs['patch_embed.projection.weight'].repeat(1, 3, 1, 1) / 3)
    assert ours['pos_embed'].shape[1] == 19 * 19
    assert theirs['pos_embed'].shape[1] == 4 * 4
    for key, value in theirs.items():
        if key not in ('patch_embed.projection.weight', 'pos_embed'):
            torch.testing.assert_close(ours[key], value, msg=key)
    adapted = [line for line in lines if 'input channels' in line]
    assert len(adapted) == 1 and 'from 1 to 3 input channels' in adapted[0]


def test_user_edits_of_a_scene_config_need_no_delete(tmp_path):
    """A user config that inherits a scene config changes the backbone's
    arch keys and its init_cfg by plain merging."""
    config = tmp_path / 'mine.py'
    config.write_text(
        f"_base_ = ['{os.path.join(ROOT, DET)}']\n"
        'model = dict(backbone=dict(arch=dict(num_layers=2), init_cfg=None))\n')
    cfg = Config.fromfile(str(config))
    backbone = build_detector(cfg).backbone
    assert len(backbone.layers) == 2 and backbone.embed_dims == 64


@pytest.mark.slow
def test_the_coco_and_ade20k_configs_name_weights_they_can_load():
    """DeiT III-S and PiT-S: the official (timm) ImageNet URL of their
    metafile, which the loader downloads and converts. CeiT-S: its official
    weights have no direct URL, so a path, and a missing file says how."""
    from dense_utils import dense_configs
    from mmengine.fileio import load

    weights = {m['Weights'] for algo in ('deit3', 'pit', 'ceit') for m in
               load(os.path.join(ROOT, f'configs/{algo}/metafile.yml'))
               ['Models'] if 'Weights' in m}
    for config in dense_configs('mmdet') + dense_configs('mmseg'):
        checkpoint = Config.fromfile(os.path.join(
            ROOT, config)).model.backbone.init_cfg.checkpoint
        if 'ceit' in config:
            assert checkpoint == 'pretrain/ceit-s_in1k.pth'
        else:
            assert checkpoint in weights, (config, checkpoint)
    from mmvit_ext.registry import MODELS
    backbone = MODELS.build(dict(
        type='CeiT', arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                               mlp_ratio=2), stem_cfg=dict(stem_channels=8),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/missing.pth')))
    with pytest.raises(FileNotFoundError, match='configs/_base_/backbones'):
        backbone.init_weights()


SCENE_CONFIGS = sorted(
    os.path.relpath(p, ROOT) for kind in ('mmdet', 'mmseg')
    for p in ROOT_PATH.glob(f'configs/{kind}/**/*.py')
    if '/_base_/' not in str(p) and
    ('fashion-scenes' in p.name or '/custom/' in str(p)))


@pytest.mark.parametrize('config', SCENE_CONFIGS)
def test_scene_configs_run_in_their_package_scope(config):
    """A base shared by an mmdet and an mmseg config must not pull the
    other package's scope in (a base loaded as ``mmdet::...`` sets it)."""
    cfg = Config.fromfile(os.path.join(ROOT, config))
    assert cfg.default_scope == config.split('/')[1]
    assert cfg.runner_type == 'mmvit_ext.Runner'


MASK_RCNN_SCENE_CONFIGS = [c for c in SCENE_CONFIGS
                           if os.path.basename(c).startswith('mask-rcnn')]


@pytest.mark.parametrize('config', MASK_RCNN_SCENE_CONFIGS)
def test_roi_features_are_the_feature_maps_values(config):
    """The Mask R-CNN heads see what the pyramid holds: the configs' own
    RoI extractor (mmcv's RoIAlign) gives what torchvision's RoIAlign reads
    from the finest level. mmcv's kernel reads its input's memory as NCHW
    whatever its strides, so a channels-last view from a backbone (as
    PiT's stages were) gave every RoI scrambled features: the box and mask
    heads learned nothing while the RPN, a dense head, did."""
    from torchvision.ops import roi_align

    cfg = Config.fromfile(os.path.join(ROOT, config))
    cfg.model.backbone.init_cfg = None
    model = build_detector(cfg).eval()
    g = torch.Generator().manual_seed(0)
    # RoIs of side < 2 * finest_scale all go to the finest level
    rois = torch.tensor([[0, 10.0, 14.0, 40.0, 38.0],
                         [0, 70.0, 20.0, 95.0, 52.0],
                         [1, 33.5, 60.0, 60.0, 99.0],
                         [1, 80.0, 81.0, 121.0, 113.0]])
    extractor = model.roi_head.bbox_roi_extractor
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(2, 3, 128, 128, generator=g))
        ours = extractor(feats[:extractor.num_inputs], rois)
        layer = extractor.roi_layers[0]
        theirs = roi_align(feats[0], rois, layer.output_size,
                           layer.spatial_scale, layer.sampling_ratio,
                           layer.aligned)
    assert ours.abs().amax() > 0
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
