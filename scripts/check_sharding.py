#!/usr/bin/env python3
"""Checks that a relaxcat draw split across processes is bit-identical to one call.

Several worker processes (multiprocessing, spawn) each compute a range of
sample rows through the C ABI's stateless samplers with the same seed
(examples/sharding/shard.py); the joined bytes must equal those of one
call computing all rows, made in this process on a 2-thread context.
Covers f32 and f64, relaxed, log-space and straight-through samples,
a non-zero stream offset, uneven ranges that cut row blocks, and a
per-row temperature. Python standard library only; a few seconds.

    python3 scripts/check_sharding.py [path/to/librelaxcat.so]

The library is the argument, else $RELAXCAT_LIB, else
target/release/librelaxcat.so. Prints "N passed, N failed"; exits non-zero
on any failure.
"""

import hashlib
import math
import multiprocessing
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "sharding"))

import shard  # noqa: E402

WORKERS = 4  # shards of the first split; the second uses 7


def job(kind, sampler, offset, per_row_temperature):
    b, k = 3, 37
    # Deterministic logits without NumPy; one masked category in row 2.
    logits = [math.sin(1.7 * i + 0.3) * 2.0 for i in range(b * k)]
    logits[2 * k + 5] = -math.inf
    temperature = [0.1, 0.5, 2.0] if per_row_temperature else [0.5]
    return {
        "k": k,
        "logits": logits,
        "temperature": temperature,
        "seed": 0x5EED_2024,
        "offset": offset,
        "kind": kind,
        "sampler": sampler,
    }


def compute(queue, index, path, j, begin, end):
    queue.put((index, os.getpid(), shard.rows_bytes(path, j, begin, end)))


def in_processes(ctx, path, j, ranges):
    """Each range in a process of its own; returns [(pid, bytes)] in range order."""
    queue = ctx.Queue()
    procs = [ctx.Process(target=compute, args=(queue, i, path, j, a, b)) for i, (a, b) in enumerate(ranges)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]  # read before join: the pipe holds the data
    for p in procs:
        p.join(timeout=60)
        if p.exitcode != 0:
            raise RuntimeError(f"a shard process exited with {p.exitcode}")
    return [(pid, data) for _, pid, data in sorted(results, key=lambda r: r[0])]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else shard.default_library()
    if not os.path.exists(path):
        print(f"no shared library at {path}; run cargo build --release", file=sys.stderr)
        return 2
    started = time.monotonic()
    rows = 5000  # 5000 x 37 = 185K elements: the single call runs on the pool
    cases = [
        job("f32", "rsample", 0, False),
        job("f32", "log", 0, False),
        job("f32", "hard", 0, False),
        job("f64", "rsample", 0, False),
        job("f32", "rsample", 123_456_789, True),
        job("f64", "hard", 17, True),
    ]
    passed = failed = 0
    processes = 0
    ctx = multiprocessing.get_context("spawn")
    for j in cases:
        whole = shard.rows_bytes(path, j, 0, rows, threads=2)
        for parts in (WORKERS, 7):
            ranges = shard.split(rows, parts)
            results = in_processes(ctx, path, j, ranges)
            pids = {pid for pid, _ in results}
            processes += len(pids)
            joined = shard.join(j, [data for _, data in results])
            ok = joined == whole and len(pids) == len(ranges) and os.getpid() not in pids
            what = f"{j['kind']} {j['sampler']} offset {j['offset']}: {len(ranges)} ranges in {len(pids)} processes"
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL: {what}: joined shards differ from one call", file=sys.stderr)
            digest = hashlib.sha256(whole).hexdigest()[:16]
            print(f"  {'ok' if ok else 'FAIL'}: {what} == one call ({len(whole)} bytes, sha256 {digest})")
    print(f"sharding: {processes} shard processes, {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
