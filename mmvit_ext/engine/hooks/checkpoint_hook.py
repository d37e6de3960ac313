"""Crash-safe checkpoints and reproducible resume: :class:`SafeCheckpointHook`
(on in ``configs/_base_/default_runtime.py``) is mmengine's
``CheckpointHook`` with every write atomic and ordered, so that a SIGKILL at
any moment leaves a work dir that resumes; ``--resume`` picks the newest
checkpoint that is intact; checkpoints carry the RNG states; and
``load_from`` / ``tools/test.py`` refuse a checkpoint that does not fit the
model.
"""
import glob
import os
import os.path as osp
import re
import zipfile

from mmengine.dist import get_world_size, is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from torch.distributed.fsdp import FullyShardedDataParallel

from mmvit_ext.converters.utils import unwrap_state_dict
from mmvit_ext.registry import HOOKS
from mmvit_ext.utils import atomic_write
from mmvit_ext.utils.rng import get_rng_states, set_rng_states
from ..checkpoint.loading import check_fits
from ..utils import bare_model


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, with ``put`` through a temporary file,
    fsync and ``os.replace``: a file is either complete or not there."""

    def put(self, obj, filepath):
        with atomic_write(filepath) as f:
            f.write(obj)

    def put_text(self, obj, filepath, encoding='utf-8'):
        self.put(obj.encode(encoding), filepath)


register_backend('mmvit_ext_atomic', AtomicLocalBackend, force=True)


def is_intact(path):
    """Whether a checkpoint file is a complete, uncorrupted torch zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that no kill can leave half-written.

    The differences from mmengine's ``CheckpointHook``:

    1. Every file (``epoch_N.pth``, ``iter_N.pth``, ``best_*.pth``,
       ``last_checkpoint``) is written to a hidden temporary file, fsynced
       and moved into place with ``os.replace``.
    2. ``last_checkpoint`` is updated only after its checkpoint is complete;
       the checkpoint that falls out of ``max_keep_ckpts`` and the previous
       best are removed only after the new ones are in place.
    3. Auto-resume (``--resume`` without a path) takes the newest
       ``epoch_N``/``iter_N`` checkpoint that is intact, skipping damaged
       ones with a warning that names them.
    4. Each checkpoint stores the python, numpy and torch RNG states, which
       resume restores, and validation does not consume the training RNG
       streams. A killed and resumed epoch-based run thus ends with the
       same weights as the uninterrupted one (single process; see the
       docs for DDP: docs/user_guides/reliability.md).
    5. A checkpoint loaded with ``load_from`` (``tools/test.py`` too) must
       fit the model: missing, unexpected or mis-shaped keys are an error
       that names them.

    Args:
        **kwargs: As for mmengine's ``CheckpointHook``. Without
            ``backend_args``, local files are written atomically.
    """

    def __init__(self, *args, backend_args=None, **kwargs):
        out_dir = kwargs.get('out_dir')
        if backend_args is None and not kwargs.get('file_client_args') and (
                out_dir is None or '://' not in str(out_dir)):
            backend_args = dict(backend='mmvit_ext_atomic')
        super().__init__(*args, backend_args=backend_args, **kwargs)
        self._resumed_rng = None
        self._train_rng = None

    # ------------------------------------------------------------ resume
    def before_run(self, runner):
        super().before_run(runner)
        _remove_partial_files(runner.work_dir)
        # ``--resume`` without a path (mmengine keeps it private).
        if getattr(runner, '_resume', False) and \
                getattr(runner, '_load_from', None) is None:
            self.point_at_newest_intact(runner)

    def point_at_newest_intact(self, runner):
        """Point ``last_checkpoint`` at the newest intact checkpoint of the
        work dir (auto-resume's choice), naming the damaged ones skipped."""
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        current = None
        if osp.isfile(pointer):
            with open(pointer) as f:
                current = f.read().strip() or None
        folders = {runner.work_dir}
        if current:
            folders.add(osp.dirname(current))
        candidates = sorted(
            (path for folder in folders
             for path in glob.glob(osp.join(folder, '*.pth'))
             if _step_of(path) is not None),
            key=_step_of, reverse=True)
        damaged = []
        for path in candidates:
            if is_intact(path):
                break
            damaged.append(path)
        else:
            path = None
        if damaged:
            runner.logger.warning(
                f'Skipping damaged checkpoint(s) {damaged} when resuming.')
        if path is None:
            if current:
                runner.logger.warning(
                    f'No intact checkpoint in {sorted(folders)}: training '
                    'starts from scratch.')
                os.remove(pointer)
        elif path != current:
            runner.logger.warning(f'Resuming from {path} instead of '
                                  f'{current}, the newest intact checkpoint.')
            with atomic_write(pointer, 'w') as f:
                f.write(path)

    def after_load_checkpoint(self, runner, checkpoint):
        # An FSDP model holds shards; its strategy loads strictly instead.
        if not isinstance(runner.model, FullyShardedDataParallel):
            model = bare_model(runner)
            state_dict = {re.sub(r'^module\.', '', k): v
                          for k, v in unwrap_state_dict(checkpoint).items()}
            check_fits(model, state_dict, 'the checkpoint given to the runner')
        self._resumed_rng = checkpoint.get('meta', {}).get('rng_states')

    def before_train(self, runner):
        super().before_train(runner)
        if runner.iter > 0 and self._resumed_rng is not None:
            # Runner keeps the randomness config, FlexibleRunner its strategy.
            randomness = getattr(runner, '_randomness_cfg', None) or \
                getattr(getattr(runner, 'strategy', None), 'randomness', {})
            if get_world_size() > 1 and randomness.get('diff_rank_seed',
                                                       False):
                runner.logger.warning(
                    'RNG states are not restored on resume: with '
                    'diff_rank_seed=True only rank 0\'s were saved.')
            else:
                set_rng_states(self._resumed_rng)
        self._resumed_rng = None

    # ------------------------------------------------ RNG around validation
    def before_val_epoch(self, runner):
        self._train_rng = get_rng_states()

    def after_val_epoch(self, runner, metrics=None):
        # Validation creates a data loader iterator, which draws from the
        # torch RNG; put the training streams back as they were, so that
        # they do not depend on whether a run was resumed after this epoch.
        if self._train_rng is not None:
            set_rng_states(self._train_rng)
            self._train_rng = None
        super().after_val_epoch(runner, metrics)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['meta']['rng_states'] = get_rng_states()

    # -------------------------------------------------------------- saving
    def _save_checkpoint_with_step(self, runner, step, meta):
        """mmengine's, reordered: save, point ``last_checkpoint`` at it, and
        only then delete the checkpoint that fell out of ``max_keep_ckpts``.
        """
        expired = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        with atomic_write(osp.join(runner.work_dir, 'last_checkpoint'),
                          'w') as f:
            f.write(self.last_ckpt)
        if expired is not None:
            self._remove(
                self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(expired)))

    def _save_best_checkpoint(self, runner, metrics):
        """mmengine's, except that the previous best is removed after the
        new best (and the re-saved step checkpoint) are in place."""
        if not self.save_best:  # mmdet's and mmseg's runtimes keep no best
            return
        if len(self.key_indicators) == 1:
            previous = {None: self.best_ckpt_path}
            self.best_ckpt_path = None  # mmengine would remove it first
        else:
            previous = dict(self.best_ckpt_path_dict)
            self.best_ckpt_path_dict = dict.fromkeys(previous)
        super()._save_best_checkpoint(runner, metrics)
        for key, old in previous.items():
            new = self.best_ckpt_path if key is None else \
                self.best_ckpt_path_dict[key]
            if new is None:  # not improved: keep the old best
                if key is None:
                    self.best_ckpt_path = old
                else:
                    self.best_ckpt_path_dict[key] = old
            elif old and old != new and is_main_process():
                self._remove(old)
                runner.logger.info(f'The previous best checkpoint {old} is '
                                   'removed')

    def _remove(self, path):
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed saves folders
            self.file_backend.rmtree(path)


def _step_of(path):
    """The N of ``epoch_N.pth``/``iter_N.pth``, else None."""
    match = re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', osp.basename(path))
    return int(match[1]) if match else None


def _remove_partial_files(folder):
    """Temporary files of writes that a kill interrupted."""
    for path in glob.glob(osp.join(folder, '.*.part')):
        os.remove(path)
