#!/usr/bin/env python3
"""What taking the parameters as given costs a training step: the one-shot
entry points (the distribution built inside each call, as a framework's
op does) against the same kernels on a distribution built once, through
ctypes, f32, temperature 0.5, 2 threads, the five shapes of run.sh.

    benches/compare/.venv/bin/python benches/compare/oneshot_overhead.py [LIB] [ROUNDS]

LIB defaults to target/release/librelaxcat.so (or $RELAXCAT_LIB), ROUNDS
to 21. The two forms run interleaved in one process (A B, then B A, ...),
so a machine whose speed drifts between runs, as shared ones do, moves
both alike; each round times 5 calls, and the medians over rounds are
printed in ns per element. The ratio is what issue 12 bounds: "rsample
fwd+bwd from new logits <= 1.15x the kernels-only line".

    rsample fwd+bwd   rsample_with_log_rows + rsample_backward (dL/dlogits, dL/dt)
    log_prob fwd+bwd  log_prob_backward: log_prob, dL/dlogits, dL/dt in one pass
"""

import ctypes as C
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relaxcat_np as rn  # noqa: E402
from interleave import interleaved  # noqa: E402

SHAPES = [(65536, 8), (8192, 64), (1024, 1000), (64, 32000), (16, 262144)]


def main():
    lib = rn.Lib(sys.argv[1] if len(sys.argv) > 1 else None)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 21
    ctx = lib.context(2)
    rng = np.random.default_rng(1)
    print(f"relaxcat {lib.version()}, backend {ctx.backend()}, 2 threads, f32, t = 0.5, {rounds} rounds")
    for b, k in SHAPES:
        logits = rng.standard_normal((b, k)).astype(np.float32)
        y, x = np.empty_like(logits), np.empty_like(logits)
        grad_y = rng.standard_normal((b, k)).astype(np.float32)
        grad_logits, grad_t = np.empty_like(logits), np.empty(1, np.float32)
        grad_lp = rng.standard_normal(b).astype(np.float32)
        lp = np.empty(b, np.float32)
        dist = lib.dist(logits, 0.5, ctx=ctx)
        oneshot = rn.OneShot(lib, logits, 0.5, ctx=ctx)
        oneshot.rsample_with_log_rows(7, 0, 0, b, y, x)
        value = y.copy()

        def rsample_dist():
            lib.call(
                "relaxcat_dist_f32_rsample_with_log_rows",
                dist.handle, C.c_uint64(7), C.c_uint64(0), C.c_size_t(0), C.c_size_t(b),
                rn.ptr(y), C.c_size_t(k), rn.ptr(x), C.c_size_t(k),
            )
            dist.rsample_backward(y, x, grad_y, grad_logits=grad_logits, grad_temperature=grad_t)

        def rsample_oneshot():
            oneshot.rsample_with_log_rows(7, 0, 0, b, y, x)
            oneshot.rsample_backward(y, x, grad_y, grad_logits=grad_logits, grad_temperature=grad_t)

        def log_prob_dist():
            dist.log_prob_backward(value, grad_lp, grad_logits=grad_logits, grad_temperature=grad_t, log_prob=lp)

        def log_prob_oneshot():
            oneshot.log_prob_backward(value, grad_lp, grad_logits=grad_logits, grad_temperature=grad_t, log_prob=lp)

        for name, fa, fb in (
            ("rsample fwd+bwd", rsample_dist, rsample_oneshot),
            ("log_prob fwd+bwd", log_prob_dist, log_prob_oneshot),
        ):
            once, each = interleaved(fa, fb, rounds, b * k)
            print(
                f"{name:17s} {b:>6d}x{k:<7d} dist built once {once:6.3f}  one-shot {each:6.3f} ns/element"
                f"  one-shot / built once {each / once:5.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
