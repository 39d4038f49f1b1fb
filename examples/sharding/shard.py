"""One shard of a relaxcat draw, as raw bytes (Python standard library only).

A sample row of relaxcat is a pure function of (seed, stream index): rows
[begin, end) of the stream (seed, offset) come out bit for bit the same
whether one call computes all rows or many processes each compute a range
(docs/C_ABI.md, "Randomness"). `rows_bytes` computes one range through the
C ABI's stateless samplers (`relaxcat_dist_T_rsample_rows`, `_log_rows`,
`_hard_rows`) and returns the output buffer's bytes, so shards can be
compared and joined without any conversion.

Used by examples/sharding/dask_sharding.py (Dask workers) and
scripts/check_sharding.py (plain processes, in CI).
"""

import ctypes as C
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

import relaxcat_ctypes as rc  # noqa: E402

_LIBS = {}


def library(path):
    """The library at `path`, loaded once per process."""
    if path not in _LIBS:
        _LIBS[path] = rc.Relaxcat(path)
    return _LIBS[path]


def default_library():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.environ.get("RELAXCAT_LIB") or os.path.join(target, "release", "librelaxcat.so")


def rows_bytes(path, job, begin, end, threads=1):
    """Rows [begin, end) of the draw described by `job`, as bytes.

    job: dict with k, logits (B*K list), temperature (list), seed, offset,
    kind ("f32" or "f64") and sampler ("rsample", "log" or "hard"; "hard"
    returns the one-hot rows followed by the soft rows). `threads` > 1 runs
    the call on a relaxcat context with that many threads (the result does
    not depend on it).
    """
    lib = library(path)
    t, k = job["kind"], job["k"]
    ctx = C.c_void_p()
    if threads > 1:
        lib.call("relaxcat_context_new", threads, None, C.byref(ctx))
    try:
        d = lib.dist(k, job["temperature"], logits=job["logits"], t=t, ctx=ctx if threads > 1 else None)
        n = (end - begin) * k
        ctype = C.c_float if t == "f32" else C.c_double
        out = (ctype * max(n, 1))()
        args = (d.handle, job["seed"], job["offset"], begin, end)
        if job["sampler"] == "rsample":
            lib.call(f"relaxcat_dist_{t}_rsample_rows", *args, out, k)
        elif job["sampler"] == "log":
            lib.call(f"relaxcat_dist_{t}_rsample_log_rows", *args, out, k)
        elif job["sampler"] == "hard":
            soft = (ctype * max(n, 1))()
            lib.call(f"relaxcat_dist_{t}_rsample_hard_rows", *args, out, k, soft, k)
            size = C.sizeof(ctype) * n
            return bytes(out)[:size] + bytes(soft)[:size]
        else:
            raise ValueError(f"unknown sampler {job['sampler']!r}")
        return bytes(out)[: C.sizeof(ctype) * n]
    finally:
        if threads > 1:
            lib.lib.relaxcat_context_free(ctx)


def join(job, shards):
    """Joins shards of rows_bytes in row order (hard: one-hot rows, then soft rows)."""
    if job["sampler"] != "hard":
        return b"".join(shards)
    halves = [(s[: len(s) // 2], s[len(s) // 2 :]) for s in shards]
    return b"".join(h for h, _ in halves) + b"".join(s for _, s in halves)


def split(rows, parts):
    """[begin, end) ranges of uneven sizes covering [0, rows)."""
    cuts = sorted({0, rows} | {(rows * i) // parts + (i % 3) for i in range(1, parts)})
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if a < b]
