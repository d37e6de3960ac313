"""Our backbones in mmdet and mmseg: every shipped config builds, trains a
step and infers; pretrained classifier weights land in a detector."""
import math
import os
import warnings

import pytest
import torch
import torch.nn.functional as F
from dense_utils import ROOT, dense_configs, require_dense, seg_batch, shrink

require_dense()
pytestmark = pytest.mark.dense

from mmengine.config import Config  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

DET_CONFIGS = dense_configs('mmdet')
SEG_CONFIGS = dense_configs('mmseg')
DET_SHAPE = (96, 128)
SEG_SHAPE = (64, 64)


def test_the_shipped_dense_configs_are_found():
    names = [os.path.basename(c) for c in DET_CONFIGS + SEG_CONFIGS]
    for model in ('retinanet', 'mask-rcnn'):
        for backbone in ('pit-s', 'deit3-s-p16'):
            assert any(n.startswith(f'{model}_{backbone}_') for n in names)
    for backbone in ('deit3-s-p16', 'pit-s', 'ceit-s'):
        assert any(n.startswith(f'upernet_{backbone}_') for n in names)


def load(config):
    cfg = Config.fromfile(os.path.join(ROOT, config))
    assert cfg.custom_imports.imports == ['mmvit_ext']
    assert cfg.model.backbone.type.startswith('mmvit_ext.')
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    assert cfg.optim_wrapper.constructor == \
        'mmvit_ext.LearningRateDecayOptimWrapperConstructor'
    return cfg


def build(cfg):
    """Build and initialise ``cfg.model`` as mmdet's or mmseg's Runner does,
    leaving the default scope of the other tests as it was."""
    if cfg.default_scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return model


def train_one_step(model, cfg, data):
    """One optimizer step; returns the log vars and what changed."""
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.train()
    log_vars = model.train_step(data, optim_wrapper)
    changed = {n for n, p in model.named_parameters()
               if not torch.equal(before[n], p)}
    return log_vars, changed, optim_wrapper


def check_training_step(model, cfg, data):
    log_vars, changed, optim_wrapper = train_one_step(model, cfg, data)
    assert math.isfinite(log_vars['loss'].item()), log_vars
    # Every backbone parameter learns, the stem included, and so do the
    # neck and heads.
    frozen = [n for n, p in model.backbone.named_parameters()
              if f'backbone.{n}' not in changed]
    assert not frozen, f'backbone parameters that did not learn: {frozen}'
    assert any(not n.startswith('backbone.') for n in changed)
    # Layer-wise lr decay: the stem learns slower than everything after it.
    lrs = {g['param_name']: g['lr']
           for g in optim_wrapper.optimizer.param_groups}
    base_lr = cfg.optim_wrapper.optimizer.lr
    decay = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    depth, max_depth = model.backbone.get_layer_depth('backbone.pos_embed',
                                                      'backbone.')
    assert lrs['backbone.pos_embed'] == pytest.approx(
        base_lr * decay**(max_depth - depth - 1))
    assert max(lr for n, lr in lrs.items()
               if not n.startswith('backbone.')) == pytest.approx(base_lr)


@pytest.mark.slow
@pytest.mark.parametrize('config', DET_CONFIGS)
def test_detector_trains_a_step_and_infers(config):
    from mmdet.testing import demo_mm_inputs

    torch.manual_seed(0)
    cfg = load(config)
    shrink(cfg, DET_SHAPE)
    # An untrained head scores below the shipped threshold (0.05); keep every
    # box so that the whole post-processing (NMS, masks) runs.
    test_cfg = cfg.model.test_cfg.get('rcnn', cfg.model.test_cfg)
    test_cfg.score_thr = 0.0
    model = build(cfg)
    with_mask = 'mask_head' in cfg.model.get('roi_head', {})
    num_classes = 80
    data = demo_mm_inputs(2, (3, *DET_SHAPE), num_items=[3, 2],
                          num_classes=num_classes, with_mask=with_mask)
    check_training_step(model, cfg, data)

    model.eval()
    with torch.no_grad():
        results = model.test_step(data)
    assert len(results) == 2
    for result in results:
        pred = result.pred_instances
        assert len(pred) > 0
        assert pred.bboxes.shape == (len(pred), 4)
        assert ((pred.scores >= 0) & (pred.scores <= 1)).all()
        assert ((pred.labels >= 0) & (pred.labels < num_classes)).all()
        if with_mask:
            assert pred.masks.shape == (len(pred), *result.ori_shape)
            assert pred.masks.dtype == torch.bool


@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_segmentor_trains_a_step_and_infers(config):
    torch.manual_seed(0)
    cfg = load(config)
    cfg.model.data_preprocessor.size = SEG_SHAPE
    shrink(cfg, SEG_SHAPE)
    model = build(cfg)
    num_classes = cfg.model.decode_head.num_classes
    assert num_classes == 150  # ADE20K
    data = seg_batch(num_classes, SEG_SHAPE)
    check_training_step(model, cfg, data)

    model.eval()
    with torch.no_grad():
        results = model.test_step(data)
    for result in results:
        assert result.seg_logits.data.shape == (num_classes, *SEG_SHAPE)
        torch.testing.assert_close(
            result.pred_sem_seg.data[0],
            result.seg_logits.data.argmax(dim=0))


def classifier_checkpoint(backbone_cfg, path):
    """A classifier trained at 224 px, saved as mmengine saves it."""
    from mmengine.runner import save_checkpoint
    from mmvit_ext.registry import MODELS

    torch.manual_seed(1)
    cfg = dict(backbone_cfg, img_size=224, out_type='cls_token',
               out_indices=-1)
    classifier = MODELS.build(
        dict(type='ImageClassifier', _scope_='mmvit_ext', backbone=cfg,
             head=dict(type='LinearClsHead', num_classes=10,
                       in_channels=8)))
    for p in classifier.parameters():  # no init value may hide a miss
        torch.nn.init.normal_(p, std=0.5)
    save_checkpoint(classifier.state_dict(), path)
    return classifier.backbone.state_dict()


@pytest.mark.parametrize('config', [
    'configs/mmdet/mask-rcnn_deit3-s-p16_simplefpn_1x_coco.py',
    'configs/mmdet/retinanet_pit-s_fpn_1x_coco.py',
    'configs/mmseg/upernet_ceit-s_mln_8xb2-160k_ade20k-512x512.py',
])
def test_pretrained_224_classifier_initialises_a_dense_model(config, tmp_path):
    cfg = load(config)
    input_shape = (96, 128)
    shrink(cfg, input_shape)
    backbone_cfg = cfg.model.backbone.to_dict()
    ckpt = classifier_checkpoint(backbone_cfg, str(tmp_path / 'cls.pth'))
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', prefix='backbone.', checkpoint=str(tmp_path /
                                                              'cls.pth'))
    model = build(cfg)
    state = model.backbone.state_dict()

    assert state['pos_embed'].shape != ckpt['pos_embed'].shape
    for name, value in ckpt.items():
        if name == 'pos_embed' or 'num_batches_tracked' in name:
            continue
        assert name in state, name
        torch.testing.assert_close(state[name], value, msg=name)

    # The pos-embed is the checkpoint's, resized (bicubic) to the new grid.
    old, new = ckpt['pos_embed'], state['pos_embed']
    if old.dim() == 4:  # PiT: (1, C, H, W)
        expected = F.interpolate(old, size=new.shape[-2:], mode='bicubic',
                                 align_corners=False)
    else:  # (1, extra + H*W, C)
        extra = model.backbone.num_extra_tokens \
            if model.backbone.pos_embed_with_extra_tokens else 0
        side = math.isqrt(old.shape[1] - extra)
        h, w = model.backbone.patch_resolution
        grid = old[:, extra:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode='bicubic',
                             align_corners=False)
        expected = torch.cat(
            [old[:, :extra], grid.flatten(2).transpose(1, 2)], dim=1)
    torch.testing.assert_close(new, expected)


def test_classifier_initialises_the_vitdet_config_in_one_info_line(
        tmp_path, monkeypatch):
    """A DeiT III classification checkpoint (class token, no tables) loads
    into the ViTDet Mask R-CNN: one info line names the dropped token and
    the new tables, and nothing is warned."""
    from mmengine.logging import MMLogger

    cfg = load('configs/mmdet/'
               'mask-rcnn_deit3-s-p16-vitdet_simplefpn_lsj-100e_coco.py')
    shrink(cfg, (96, 128))
    vitdet = ('window_size', 'global_attn_indexes', 'use_rel_pos')
    ckpt = classifier_checkpoint(
        {k: v for k, v in cfg.model.backbone.items() if k not in vitdet},
        str(tmp_path / 'cls.pth'))
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', prefix='backbone.',
        checkpoint=str(tmp_path / 'cls.pth'))
    logger = MMLogger.get_current_instance()
    lines, logged_warnings = [], []
    monkeypatch.setattr(logger, 'info', lines.append)
    monkeypatch.setattr(logger, 'warning', logged_warnings.append)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = build(cfg)
    [line] = [line for line in lines if 'relative-position' in line]
    assert 'drop its cls_token' in line
    assert 'initialise the 24 relative-position tables' in line
    assert not logged_warnings
    # Nothing about the checkpoint is warned (other libraries' deprecation
    # notices are not ours to judge here).
    assert not [str(w.message) for w in caught if any(
        word in str(w.message).lower()
        for word in ('rel_pos', 'missing', 'unexpected', 'token', 'key'))]
    state = model.backbone.state_dict()
    assert model.backbone.window_sizes == [14, 14, 0] * 4
    torch.testing.assert_close(state['layers.11.ffn.layers.1.weight'],
                               ckpt['layers.11.ffn.layers.1.weight'])
