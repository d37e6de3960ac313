#!/usr/bin/env bash
# Evaluation under Slurm, with mmpretrain's interface:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py args]
# As tools/slurm_train.sh: GPUS_PER_NODE=0 runs GPUS processes without GPUs.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py args]" >&2
    exit 2
fi
TOOLS=$(dirname "$0")
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
exec bash "$TOOLS/slurm_srun.sh" "$PARTITION" "$JOB_NAME" \
    "${PYTHON:-python}" -u "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher=slurm "$@"
