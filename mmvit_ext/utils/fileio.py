"""Files that are either complete or absent, whatever the moment of a kill."""
import contextlib
import os
import tempfile


def _fsync_dir(folder):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, mode='wb'):
    """Open a temporary file beside ``path``; on success, fsync it and move
    it onto ``path`` with ``os.replace``.

    The temporary file is hidden (``.<name>.<random>.part``), so no glob for
    ``*.pth`` ever sees a partial file; it is removed if the block raises.

    Example:
        >>> with atomic_write('work_dir/epoch_1.pth') as f:
        ...     torch.save(checkpoint, f)
    """
    path = os.path.abspath(os.path.expanduser(path))
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(path)}.', suffix='.part')
    os.fchmod(fd, 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(folder)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
