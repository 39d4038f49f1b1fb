#!/usr/bin/env python3
"""One relaxcat draw sharded across the worker processes of a Dask local cluster.

Every sample row is a pure function of (seed, stream index), so each
worker computes its own range of rows [begin, end) with the C ABI's
stateless sampler (`relaxcat_dist_f32_rsample_rows`, through shard.py),
with the same seed and no communication; the gathered rows are
bit-identical to one call computing all of them, here checked byte for
byte (and against a generator-based draw, which equals stream offset 0).

    examples/sharding/run.sh [--workers N] [--samples N] [--shards N]

run.sh builds the library and installs the pinned Dask into
examples/sharding/.venv. examples/sharding/output.txt is a recorded run.
"""

import argparse
import ctypes as C
import hashlib
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The workers are separate processes: they find shard.py (and through it
# examples/python/relaxcat_ctypes.py) on PYTHONPATH, set before they start.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")]))

import shard  # noqa: E402


def worker_rows(path, job, begin, end):
    """Runs on a Dask worker: its pid and rows [begin, end) as bytes."""
    import shard as worker_shard

    started = time.perf_counter()
    data = worker_shard.rows_bytes(path, job, begin, end)
    return os.getpid(), begin, end, time.perf_counter() - started, data


def generator_draw(path, job, samples):
    """The same rows from a generator handle at position 0 (one call)."""
    lib = shard.library(path)
    d = lib.dist(job["k"], job["temperature"], logits=job["logits"], t=job["kind"])
    gen = C.c_void_p()
    lib.call("relaxcat_generator_new", job["seed"], C.byref(gen))
    try:
        n = samples * d.rows * d.k
        out = (C.c_float * n)()
        lib.call("relaxcat_dist_f32_rsample", d.handle, gen, samples, out, d.k)
        return bytes(out)
    finally:
        lib.lib.relaxcat_generator_free(gen)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=4, help="Dask worker processes")
    p.add_argument("--samples", type=int, default=25_000, help="samples of the 4 parameter rows")
    p.add_argument("--shards", type=int, default=16, help="row ranges, spread over the workers")
    p.add_argument("--lib", default=shard.default_library())
    args = p.parse_args()

    from dask.distributed import Client, LocalCluster
    import dask
    import distributed

    b, k = 4, 50
    logits = [math.cos(0.37 * i) * 3.0 for i in range(b * k)]
    job = {
        "k": k,
        "logits": logits,
        "temperature": [0.5],
        "seed": 20240611,
        "offset": 0,
        "kind": "f32",
        "sampler": "rsample",
    }
    rows = args.samples * b
    bounds = [rows * i // args.shards for i in range(args.shards + 1)]
    ranges = list(zip(bounds, bounds[1:]))
    print(f"dask {dask.__version__}, distributed {distributed.__version__}; {args.workers} worker processes")
    print(f"draw: {rows} rows x K={k} (f32), seed {job['seed']}, in {len(ranges)} ranges of ~{rows // args.shards} rows")

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            started = time.perf_counter()
            futures = [client.submit(worker_rows, args.lib, job, a, e, pure=False) for a, e in ranges]
            results = client.gather(futures)
            elapsed = time.perf_counter() - started

    results.sort(key=lambda r: r[1])
    by_pid = {}
    for pid, a, e, seconds, _ in results:
        by_pid.setdefault(pid, []).append((a, e))
    for pid, spans in sorted(by_pid.items()):
        print(f"  worker pid {pid}: {len(spans)} ranges, {sum(e - a for a, e in spans)} rows")
    sharded = b"".join(r[4] for r in results)
    single = shard.rows_bytes(args.lib, job, 0, rows, threads=2)
    from_generator = generator_draw(args.lib, job, args.samples)
    digest = hashlib.sha256
    print(f"sharded  ({len(by_pid)} processes): sha256 {digest(sharded).hexdigest()}  ({elapsed:.2f} s incl. scheduling)")
    print(f"one call (this process):  sha256 {digest(single).hexdigest()}")
    print(f"generator at position 0:  sha256 {digest(from_generator).hexdigest()}")
    same = sharded == single == from_generator
    print(f"bit-identical: {same} ({len(sharded)} bytes)")
    return 0 if same and len(by_pid) > 1 else 1


if __name__ == "__main__":
    sys.exit(main())
