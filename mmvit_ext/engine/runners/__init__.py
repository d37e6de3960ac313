"""The runners, the FSDP strategy and the distributed set-up."""
from .dist import init_distributed
from .flexible_runner import FlexibleRunner
from .fsdp_strategy import (FSDPStrategy, is_transformer_block,
                            transformer_block_policy)
from .runner import Runner

__all__ = [
    'FSDPStrategy', 'FlexibleRunner', 'Runner', 'init_distributed',
    'is_transformer_block', 'transformer_block_policy'
]
