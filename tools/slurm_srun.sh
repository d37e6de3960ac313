#!/usr/bin/env bash
# What tools/slurm_train.sh and tools/slurm_test.sh share: run
#   srun -p PARTITION --job-name=JOB_NAME ... COMMAND...
# with GPUS tasks, GPUS_PER_NODE per node, one GPU each (GPUS_PER_NODE=0:
# no GPU, TASKS_PER_NODE tasks per node, default all on one), CPUS_PER_TASK
# CPUs each and SRUN_ARGS added.
# Usage: tools/slurm_srun.sh PARTITION JOB_NAME COMMAND...
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
shift 2
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    PER_NODE=(--gres="gpu:$GPUS_PER_NODE" --ntasks-per-node="$GPUS_PER_NODE")
else
    PER_NODE=(--ntasks-per-node="${TASKS_PER_NODE:-$GPUS}")
fi

# SRUN_ARGS is split into words on purpose, as in mmpretrain's scripts.
# shellcheck disable=SC2086
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --ntasks="$GPUS" \
    "${PER_NODE[@]}" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$@"
