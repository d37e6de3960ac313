"""What the runners print on the console and keep for the log file."""
import logging

#: Start-up messages that go to the log file only, not to the console.
FILE_ONLY = ('\n------------------------------------------------------------'
             '\nSystem environment', 'Config:\n', 'Hooks will be executed',
             'paramwise_options -- ', 'Distributed training is not used',
             '"FileClient" will be deprecated', '"HardDiskBackend" is the alias')


class FileOnly(logging.Filter):
    """Keep the start-up dump (environment, config, hooks) off the
    console; the log file still has it."""

    def filter(self, record):
        return not str(record.msg).startswith(FILE_ONLY)


def quiet_console(logger):
    """Add :class:`FileOnly` to ``logger``'s console handlers (not its
    file handler); returns the logger."""
    for handler in logger.handlers:
        if type(handler) is logging.StreamHandler:  # console, not file
            handler.addFilter(FileOnly())
    return logger
