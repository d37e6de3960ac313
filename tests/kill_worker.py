"""Imported at start-up by the lost-worker test (through a
``sitecustomize``): in the first attempt of a torchrun group, the worker of
rank $KILL_RANK SIGKILLs itself just before its optimizer update number
$KILL_AT_UPDATE, as a node failure or the OOM killer would."""
import os
import signal

if (os.environ.get('RANK') is not None
        and os.environ.get('RANK') == os.environ.get('KILL_RANK')
        and os.environ.get('TORCHELASTIC_RESTART_COUNT', '0') == '0'):
    from mmengine.optim import OptimWrapper

    _update_params = OptimWrapper.update_params
    _updates = [0]

    def _killing_update_params(self, *args, **kwargs):
        _updates[0] += 1
        if _updates[0] == int(os.environ['KILL_AT_UPDATE']):
            os.kill(os.getpid(), signal.SIGKILL)
        return _update_params(self, *args, **kwargs)

    OptimWrapper.update_params = _killing_update_params
