# Train with FSDP: add this file to a config's _base_ list
# ('mmvit_ext::_base_/strategies/fsdp.py' from your own configs) and launch
# with tools/dist_train.sh, or pass --fsdp to tools/train.py. The run goes
# to mmengine's FlexibleRunner with mmvit_ext.FSDPStrategy: parameter groups
# from the unwrapped model, clipping by the global gradient norm, one full
# checkpoint written by rank 0. gloo on CPU, nccl on GPU.
strategy = dict(
    type='mmvit_ext.FSDPStrategy',
    # Each transformer block is an FSDP unit; stem, norms, necks and heads
    # form the root unit.
    model_wrapper=dict(
        auto_wrap_policy=dict(type='mmvit_ext.transformer_block_policy')),
    # True: recompute each transformer block in the backward.
    activation_checkpointing=False,
    # 'bf16': bf16 parameters and activations, fp32 gradient reduction and
    # optimizer step.
    mixed_precision=None,
)
