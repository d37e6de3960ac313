"""Checkpoints load with weights_only=True on every path, and a malicious
pickle is refused everywhere before it can run."""
import os
import pickle
import pickletools
import subprocess
import sys
import zipfile

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint
from mmpretrain.apis import get_model

from mmvit_ext.engine import UnsafeCheckpointError, load_checkpoint_file
from mmvit_ext.registry import MODELS

DEMO = 'configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py'
TINY = dict(
    type='DeiT3',
    arch=dict(embed_dims=16, num_layers=1, num_heads=2,
              feedforward_channels=32),
    img_size=16,
    patch_size=8)


class _CreatesFile:
    """Unpickling this calls ``open(path, 'w')``: it creates a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


class _GetattrGadget:
    """Unpickling this calls ``getattr(HistoryBuffer, 'update')``: an
    allow-listed class with a method that is not a statistics method."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, 'update')


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    model = MODELS.build(TINY)
    torch.save({'state_dict': model.state_dict(), 'meta': {
        'payload': _CreatesFile(str(marker))}}, path)
    yield str(path)
    assert not marker.exists(), 'the malicious pickle ran'


def test_direct_load_is_refused(evil):
    with pytest.raises(UnsafeCheckpointError, match='Refused to load'):
        load_checkpoint_file(evil)


def test_mmengine_load_checkpoint_is_refused(evil):
    """``load_from`` and ``tools/test.py`` go through this function."""
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint(MODELS.build(TINY), evil)


def test_init_cfg_pretrained_is_refused(evil):
    model = MODELS.build(
        dict(TINY, init_cfg=dict(type='Pretrained', checkpoint=evil)))
    with pytest.raises(UnsafeCheckpointError):
        model.init_weights()


def test_get_model_pretrained_is_refused(evil, repo_root):
    with pytest.raises(UnsafeCheckpointError):
        get_model(f'{repo_root}/{DEMO}', pretrained=evil)


def test_getattr_is_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'gadget.pth'
    torch.save({'x': _GetattrGadget()}, path)
    with pytest.raises(UnsafeCheckpointError, match="'update'"):
        load_checkpoint_file(str(path))


def _run(repo_root, *args):
    return subprocess.run([sys.executable, *args], cwd=repo_root,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_tools_test_is_refused(evil, repo_root, tmp_path):
    proc = _run(repo_root, 'tools/test.py', DEMO, evil, '--work-dir',
                str(tmp_path / 'wd'))
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr


@pytest.mark.slow
def test_tools_train_resume_is_refused(evil, repo_root, tmp_path):
    proc = _run(repo_root, 'tools/train.py', DEMO, '--resume', evil,
                '--work-dir', str(tmp_path / 'wd'))
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr


@pytest.mark.slow
def test_tools_train_load_from_is_refused(evil, repo_root, tmp_path):
    proc = _run(repo_root, 'tools/train.py', DEMO, '--work-dir',
                str(tmp_path / 'wd'), '--cfg-options', f'load_from={evil}')
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr


@pytest.mark.slow
def test_converter_is_refused_and_writes_nothing(evil, repo_root, tmp_path):
    dst = tmp_path / 'out' / 'converted.pth'
    proc = _run(repo_root, 'tools/model_converters/deit3_to_mmvit.py', evil,
                str(dst))
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr
    assert not dst.exists()


def _pickle_globals(path):
    """The ``module name`` pairs that a torch checkpoint's pickle imports."""
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith('data.pkl')))
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name == 'GLOBAL':
            found.add(arg)
        elif op.name == 'STACK_GLOBAL':
            found.add(' '.join(strings[-2:]))
        if isinstance(arg, str):
            strings.append(arg)
    return found


def test_history_buffer_is_saved_without_getattr(tmp_path):
    buf = HistoryBuffer()
    buf.update(1.5)
    path = tmp_path / 'hub.pth'
    torch.save({'buf': buf}, path)
    assert not any('getattr' in g for g in _pickle_globals(path))
    loaded = load_checkpoint_file(str(path))['buf']
    assert loaded.mean() == 1.5 and loaded.max() == 1.5


def test_old_mmengine_history_buffer_still_loads(tmp_path, monkeypatch):
    """Checkpoints written without mmvit_ext pickle the statistics methods
    through getattr; that narrow use is still accepted."""

    def mmengine_getstate(self):  # what mmengine 0.10.7 pickles
        return dict(self.__dict__, statistics_methods=self._statistics_methods)

    monkeypatch.setattr(HistoryBuffer, '__getstate__', mmengine_getstate)
    buf = HistoryBuffer()
    buf.update(2.0)
    path = tmp_path / 'old.pth'
    torch.save({'buf': buf}, path)
    assert any('getattr' in g for g in _pickle_globals(path))
    assert load_checkpoint_file(str(path))['buf'].current() == 2.0


def test_refusal_is_an_unpickling_error():
    assert issubclass(UnsafeCheckpointError, pickle.UnpicklingError)
    assert os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') is None
