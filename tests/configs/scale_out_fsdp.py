# scale_out.py with FSDP, the way a user switches it on.
_base_ = ['scale_out.py', '../../configs/_base_/strategies/fsdp.py']
