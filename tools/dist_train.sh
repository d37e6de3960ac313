#!/usr/bin/env bash
# Distributed training with torchrun: nccl on GPU, gloo on CPU
# (started by the tool, as mmengine's torch launcher needs CUDA).
# Usage: tools/dist_train.sh CONFIG NPROC [tools/train.py args]
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
PYTHON=${PYTHON:-python}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}

"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
