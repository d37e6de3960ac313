"""mmengine's Runner with a console that starts with the training log."""
import logging

from mmengine.runner import Runner as _Runner

from mmvit_ext.registry import RUNNERS

#: Start-up messages that go to the log file only, not to the console.
FILE_ONLY = ('\n------------------------------------------------------------'
             '\nSystem environment', 'Config:\n', 'Hooks will be executed',
             'paramwise_options -- ', 'Distributed training is not used',
             '"FileClient" will be deprecated', '"HardDiskBackend" is the alias')


class _FileOnly(logging.Filter):

    def filter(self, record):
        return not str(record.msg).startswith(FILE_ONLY)


@RUNNERS.register_module()
class Runner(_Runner):
    """mmengine's ``Runner``; the environment, the config dump, the hook
    list and the per-parameter optimizer options are written to the log file
    in the work dir but kept off the console, so that the first lines a user
    sees are the training progress."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # console, not file
                handler.addFilter(_FileOnly())
        return logger
