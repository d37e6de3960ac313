#!/usr/bin/env bash
# Distributed training with torchrun: nccl on GPU, gloo on CPU
# (started by the tool, as mmengine's torch launcher needs CUDA).
# Usage: tools/dist_train.sh CONFIG NPROC [tools/train.py args]
# Several machines: run it on each with NNODES, NODE_RANK (0 .. NNODES-1),
# and the same MASTER_ADDR (the address of node 0) and PORT.
# A lost worker (killed, out of memory, a failed node) makes torchrun stop
# the others and start them all again, up to MAX_RESTARTS times (default 3);
# tools/train.py then resumes from the newest intact checkpoint.
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
PYTHON=${PYTHON:-python}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
MAX_RESTARTS=${MAX_RESTARTS:-3}

"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$NPROC" \
    --max_restarts="$MAX_RESTARTS" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
