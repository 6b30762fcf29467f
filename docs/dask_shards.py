"""Export a dataset as N shards run as tasks of a Dask cluster, then merge them.

    python3 docs/dask_shards.py DATASET OUT --shards 8 [--scheduler tcp://host:8786] \
        [--batchscope /path/to/batchscope] -- --image-size 128x128 --dtype float32

Each task runs `batchscope export DATASET --out OUT --shard I/N ...` on a worker; OUT must be a folder
every worker sees (a shared filesystem). Without --scheduler a LocalCluster of process workers on
loopback is started (what tests/dask_shards.rs runs). A task that fails is retried by Dask
(`retries=2`): a re-run shard replaces only its own files. When every task is done, `batchscope merge
OUT` writes the files one process would have written.
"""

import argparse
import os
import subprocess
import sys

from dask.distributed import Client, LocalCluster


def export_shard(batchscope, dataset, out, index, count, options):
    """One task: export shard `index` of `count`; returns what the worker saw."""
    command = [batchscope, "export", dataset, "--out", out, "--shard", f"{index}/{count}", *options]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"shard {index}/{count} failed ({done.returncode}): {done.stderr.strip()}")
    return {"shard": index, "pid": os.getpid()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("out")
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--batchscope", default="batchscope")
    argv = sys.argv[1:]
    # Everything after `--` goes to `batchscope export` unchanged.
    options = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    with client:
        futures = [
            client.submit(
                export_shard, args.batchscope, args.dataset, args.out, i, args.shards, options,
                key=f"batchscope-shard-{i}-of-{args.shards}", retries=2, pure=False,
            )
            for i in range(args.shards)
        ]
        results = client.gather(futures)
    for r in results:
        print(f"shard {r['shard']} ran in worker process {r['pid']}", file=sys.stderr)
    subprocess.run([args.batchscope, "merge", args.out], check=True)
    print(" ".join(str(r["pid"]) for r in results))


if __name__ == "__main__":
    main()
