#!/usr/bin/env bash
# Training under Slurm, with mmpretrain's interface:
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args]
# srun starts GPUS tasks, GPUS_PER_NODE per node, one per GPU; each reads
# its rank from Slurm (--launcher slurm). On nodes without GPUs set
# GPUS_PER_NODE=0 and GPUS to the number of processes (TASKS_PER_NODE of
# them per node, default all on one): no GPU is requested and the processes
# train with gloo. MASTER_PORT (default 29500) is the rendezvous port.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args]" >&2
    exit 2
fi
TOOLS=$(dirname "$0")
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
exec bash "$TOOLS/slurm_srun.sh" "$PARTITION" "$JOB_NAME" \
    "${PYTHON:-python}" -u "$TOOLS/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "$@"
