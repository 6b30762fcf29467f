#!/usr/bin/env bash
# A SLURM job array that exports a dataset as 16 shards, then merges them once all are done:
#
#   jobid=$(sbatch --parsable docs/slurm_export.sh)
#   sbatch --dependency=afterok:$jobid --wrap "batchscope merge /shared/arrays/train"
#
# Each array task exports shard SLURM_ARRAY_TASK_ID (less SLURM_ARRAY_TASK_MIN, so --array=1-16
# works too) of SLURM_ARRAY_TASK_COUNT: `--shard auto` reads both. The output folder must be on a
# filesystem every node sees. A task that fails can be requeued (`scontrol requeue JOBID_TASK`):
# a re-run shard replaces only its own files, and merge refuses the folder until every shard is there.
#SBATCH --job-name=batchscope-export
#SBATCH --array=0-15
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=01:00:00
#SBATCH --output=batchscope-%A_%a.log
set -euo pipefail

batchscope export /shared/data/flowers --out /shared/arrays/train \
    --image-size 128x128 --dtype float32 \
    --shuffle --seed 1337 --validation-split 0.2 --subset training \
    --shard auto
