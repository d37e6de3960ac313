"""Imported at start-up by training runs of tests/test_reliability.py
(through a ``sitecustomize``): SIGKILL the process just before the Nth ``os.replace``
onto a file named $CRASH_AT_NAME, i.e. with that file's temporary copy
written but not yet in place."""
import os
import signal

_TARGET = os.environ.get('CRASH_AT_NAME')
_COUNT = int(os.environ.get('CRASH_AT_COUNT', '1'))
_replace = os.replace
_seen = [0]


def _crashing_replace(src, dst, *args, **kwargs):
    if _TARGET and os.path.basename(str(dst)) == _TARGET:
        _seen[0] += 1
        if _seen[0] == _COUNT:
            os.kill(os.getpid(), signal.SIGKILL)
    return _replace(src, dst, *args, **kwargs)


os.replace = _crashing_replace
