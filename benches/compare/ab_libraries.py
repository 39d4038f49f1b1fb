#!/usr/bin/env python3
"""Two builds of librelaxcat.so against each other, interleaved in one
process: for a change that should not cost speed (a profile setting, a
refactor), on a machine too noisy for two separate benchmark runs.

    benches/compare/.venv/bin/python benches/compare/ab_libraries.py LIB_A LIB_B [ROUNDS]

Both libraries are loaded side by side (ctypes loads each with its own
symbols). For each of run.sh's five shapes, rsample (a distribution's
`rsample_rows`) and log_prob are timed in rounds of 5 calls, A then B,
then B then A, ...; the medians over ROUNDS (default 21) are printed in ns
per element, with B / A. Run it twice with A and B swapped: a difference
that is real keeps its sign.

How it was used (Cargo.toml, [profile.release]): codegen-units = 16
against 1, 2026-12-03, Zen 3.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relaxcat_np as rn  # noqa: E402
from interleave import interleaved  # noqa: E402

SHAPES = [(65536, 8), (8192, 64), (1024, 1000), (64, 32000), (16, 262144)]


def operations(lib, logits):
    """rsample and log_prob on a distribution of `logits`, 2 threads."""
    b, k = logits.shape
    dist = lib.dist(logits, 0.5, ctx=lib.context(2))
    y = np.empty_like(logits)
    lp = np.empty(b, np.float32)
    dist.rsample_rows(7, 0, 0, b, y)
    value = y.copy()
    return {
        "rsample": lambda: dist.rsample_rows(7, 0, 0, b, y),
        "log_prob": lambda: dist.log_prob(value, lp),
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    libs = [rn.Lib(sys.argv[1]), rn.Lib(sys.argv[2])]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 21
    rng = np.random.default_rng(1)
    print(f"A = {sys.argv[1]}\nB = {sys.argv[2]}\n2 threads, f32, t = 0.5, {rounds} rounds")
    for b, k in SHAPES:
        logits = rng.standard_normal((b, k)).astype(np.float32)
        ops = [operations(lib, logits) for lib in libs]
        for name in ops[0]:
            ma, mb = interleaved(ops[0][name], ops[1][name], rounds, b * k)
            print(f"{name:9s} {b:>6d}x{k:<7d} A {ma:6.3f}  B {mb:6.3f} ns/element  B / A {mb / ma:5.3f}", flush=True)


if __name__ == "__main__":
    main()
