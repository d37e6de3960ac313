"""mmpretrain's own tools on our configs and checkpoints, as a user of
mmpretrain runs them: its train.py, test.py, analyze_logs.py plot_curve and
confusion_matrix.py, plus our publish_model.py for the one that cannot read
mmengine checkpoints."""
import glob
import os
import re

import mmpretrain
import numpy as np
import pytest
import torch

from mmvit_ext.engine import load_checkpoint_file
from user_utils import run

TOOLS = os.path.join(os.path.dirname(mmpretrain.__file__), '.mim', 'tools')
# tests/configs/demo_subset.py as a user writes it in a project of their
# own: our config by its ``mmvit_ext::`` name (which mmpretrain's train.py
# resolves through mmvit_ext-scope.pth, since it reads the config before
# any import), with the data by its full path.
USER_CONFIG = """
_base_ = ['mmvit_ext::deit3/deit3-tiny-p7_1xb128_fashion-mnist.py']
data_root = {data!r}
train_dataloader = dict(dataset=dict(dataset=dict(indices=640,
                                                  data_root=data_root)))
val_dataloader = dict(dataset=dict(indices=500, data_root=data_root))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(max_keep_ckpts=-1))
train_cfg = dict(val_interval=1)
"""


def val_top1(log, epoch=None):
    """The top-1 of the last (or the given epoch's) validation line."""
    found = re.findall(r'Epoch\(val\) \[(\d+)\].*?accuracy/top1: ([\d.]+)',
                       log) or re.findall(
                           r'Epoch\(test\).*?accuracy/top1: ([\d.]+)', log)
    if epoch is None:
        last = found[-1]
        return float(last[1] if isinstance(last, tuple) else last)
    return dict((int(e), float(a)) for e, a in found)[epoch]


@pytest.fixture(scope='module')
def config(repo_root, tmp_path_factory):
    path = tmp_path_factory.mktemp('project') / 'demo_subset.py'
    path.write_text(USER_CONFIG.format(
        data=os.path.join(repo_root, 'data', 'fashion-mnist')))
    return str(path)


@pytest.fixture(scope='module')
def trained(config, tmp_path_factory):
    """mmpretrain's train.py from a fresh interpreter in the project's
    folder: nothing has imported mmvit_ext, so the config's
    ``custom_imports`` is what makes our names resolve."""
    work_dir = tmp_path_factory.mktemp('mmpretrain_tools')
    log = run(os.path.dirname(config), os.path.join(TOOLS, 'train.py'),
              config, '--work-dir', str(work_dir), '--cfg-options',
              'train_cfg.max_epochs=2', fresh=True)
    return work_dir, log


@pytest.mark.slow
def test_mmpretrain_train_and_test(repo_root, config, trained):
    work_dir, log = trained
    # 10 iterations, still in warm-up: above chance (10%, +-1.3 points on
    # 500 images), no more.
    assert val_top1(log, 2) > 15
    log = run(repo_root, os.path.join(TOOLS, 'test.py'), config,
              str(work_dir / 'epoch_2.pth'), '--work-dir',
              str(work_dir / 'test'))
    assert val_top1(log) == val_top1(trained[1], 2)


@pytest.mark.slow
def test_mmpretrain_plot_curve(repo_root, trained):
    work_dir, _ = trained
    scalars, = glob.glob(str(work_dir / '*' / 'vis_data' / '2*.json'))
    out = work_dir / 'loss.png'
    run(repo_root, os.path.join(TOOLS, 'analysis_tools', 'analyze_logs.py'),
        'plot_curve', scalars, '--keys', 'loss', '--out', str(out))
    import matplotlib.image
    img = matplotlib.image.imread(str(out))[..., :3]
    # The loss curve, in matplotlib's first colour (C0, #1f77b4), runs
    # across most of the axes; an empty plot has none of it, the legend's
    # sample line a few per cent of the width.
    c0 = np.array([0x1f, 0x77, 0xb4]) / 255
    curve = np.abs(img - c0).max(-1) < 0.15
    columns = np.flatnonzero(curve.any(0))
    assert columns.size and (columns[-1] - columns[0]) > img.shape[1] / 2, \
        columns


@pytest.mark.slow
def test_mmpretrain_confusion_matrix(repo_root, config, trained):
    work_dir, log = trained
    out = work_dir / 'cm.pkl'
    run(repo_root, os.path.join(TOOLS, 'analysis_tools',
                                'confusion_matrix.py'),
        config, str(work_dir / 'epoch_2.pth'), '--out', str(out),
        '--show-path', str(work_dir / 'cm.png'))
    import mmengine
    cm = mmengine.load(str(out))
    assert cm.shape == (10, 10) and int(cm.sum()) == 500  # the 500 images
    assert 100 * cm.trace().item() / 500 == pytest.approx(val_top1(log, 2))
    assert (work_dir / 'cm.png').stat().st_size > 0


@pytest.mark.slow
def test_publish_model_strips_training_state(repo_root, trained):
    work_dir, _ = trained
    source = str(work_dir / 'epoch_2.pth')
    log = run(repo_root, 'tools/misc/publish_model.py', source,
              str(work_dir / 'published.pth'))
    published, = glob.glob(str(work_dir / 'published_*-*.pth'))
    assert f'Published {published}' in log
    sha = published.rsplit('-', 1)[1][:-len('.pth')]
    import hashlib
    with open(published, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == sha
    # Plain torch, no mmvit_ext allow-list: only tensors and plain types.
    ckpt = torch.load(published, weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert 'rng_states' not in ckpt['meta']
    assert len(ckpt['meta']['dataset_meta']['classes']) == 10
    original = load_checkpoint_file(source)['state_dict']
    assert ckpt['state_dict'].keys() == original.keys()
    assert all(torch.equal(ckpt['state_dict'][k], v)
               for k, v in original.items())


def test_mmpretrains_inferencers_take_colour_files_for_a_grey_model(
        repo_root, checkpoints, tmp_path, monkeypatch):
    """The demo config's model is grey (1 channel); mmpretrain's
    ImageClassificationInferencer and inference_model read files in colour.
    The config's GreyClsDataPreprocessor turns them grey (BT.601, as
    OpenCV's grey read), so both give what our inferencer, reading the
    files grey, gives."""
    import cv2
    import numpy as np
    from mmpretrain.apis import ImageClassificationInferencer, inference_model

    from mmvit_ext.apis import ImageClassificationInferencer as Ours
    from mmvit_ext.models import GreyClsDataPreprocessor
    from user_utils import FAMILY_CONFIGS

    config, ckpt = FAMILY_CONFIGS['deit3'], checkpoints['deit3']
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
    colour[..., 0] //= 3  # tinted: the channels differ
    files = [str(tmp_path / 'colour.png'), str(tmp_path / 'grey.png')]
    cv2.imwrite(files[0], colour)
    cv2.imwrite(files[1], rng.integers(0, 256, (28, 28), dtype=np.uint8))

    monkeypatch.chdir(repo_root)
    theirs = ImageClassificationInferencer(config, pretrained=ckpt)(files)
    ours = Ours(config, pretrained=ckpt)(files)
    by_name = inference_model('deit3-tiny-p7_1xb128_fashion-mnist',
                              files[0], pretrained=ckpt)
    for t, o in zip(theirs, ours):
        assert t['pred_label'] == o['pred_label']
        # OpenCV's fixed-point grey may round a pixel the other way
        np.testing.assert_allclose(t['pred_scores'], o['pred_scores'],
                                   atol=2e-3)
    np.testing.assert_allclose(by_name['pred_scores'],
                               theirs[0]['pred_scores'], atol=1e-6)

    preprocessor = GreyClsDataPreprocessor(mean=[72.94], std=[90.02])
    with pytest.raises(ValueError, match='got 4 channels'):
        preprocessor(dict(inputs=torch.zeros(1, 4, 8, 8)))
    with pytest.raises(ValueError, match='one value each'):
        GreyClsDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1])
