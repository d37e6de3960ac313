#!/usr/bin/env bash
# Distributed evaluation with torchrun: nccl on GPU, gloo on CPU
# (started by the tool, as mmengine's torch launcher needs CUDA).
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py args]
# Several machines: NNODES, NODE_RANK, MASTER_ADDR and PORT, as for
# tools/dist_train.sh.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
shift 3
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
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
