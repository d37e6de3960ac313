"""Checkpoints in and out: safe loading, downloads and the strict fit
(``loading``), the converters' command line (``convert``) and the export to
timm's and the official layouts (``weights_out``)."""
from .convert import converter_main
from .loading import (SAFE_GLOBALS, CheckpointMismatchError,
                      CorruptCheckpointError, StrictPretrainedInit,
                      UnsafeCheckpointError, _listed, cached_checkpoint_path,
                      check_fits, checkpoint_cache_dir, download_checkpoint,
                      load_checkpoint_any, load_checkpoint_file,
                      load_pretrained, setup_safe_checkpoint_loading)
from .weights_out import export_checkpoint, timm_config

__all__ = [
    'CheckpointMismatchError', 'CorruptCheckpointError',
    'StrictPretrainedInit', 'UnsafeCheckpointError', 'check_fits',
    'converter_main',
    'download_checkpoint', 'export_checkpoint', 'load_checkpoint_any',
    'load_checkpoint_file', 'load_pretrained',
    'setup_safe_checkpoint_loading', 'timm_config'
]
