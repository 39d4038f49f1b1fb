#!/usr/bin/env python3
"""What the Python package adds per call, at 1x8 (where the kernels cost
almost nothing): medians of many calls, in microseconds, one thread.

    python benches/compare/python_overhead.py [path/to/librelaxcat.so]

Lines: the bare C one-shot call through ctypes (the floor), the NumPy
function, the torch entry point (``relaxcat.torch``'s eager path), the
distribution built and sampled, the same with torch's class, and a whole
fwd+bwd step with each class. The layer's cost is each line minus the
first. Run with the package importable (installed, or python/src on the
path with RELAXCAT_LIB set, which this script does for a build tree).
"""

import ctypes as C
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if len(sys.argv) > 1:
    os.environ["RELAXCAT_LIB"] = sys.argv[1]
    sys.path.insert(0, os.path.join(ROOT, "python", "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import relaxcat  # noqa: E402
import relaxcat.torch as rt  # noqa: E402
from relaxcat._arrays import ParamRows  # noqa: E402
from relaxcat._library import lib  # noqa: E402
from relaxcat.torch import _ops  # noqa: E402


def median_us(fn, calls=5000, warmup=200):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e6 * statistics.median(times)


def main():
    torch.set_num_threads(1)
    relaxcat.set_num_threads(1)
    b, k = 1, 8
    logits_np = np.random.default_rng(0).standard_normal((b, k), dtype=np.float32)
    out = np.empty_like(logits_np)
    params = ParamRows(0.5, None, logits_np, True)
    ctx = relaxcat._context.default_context().address
    out_addr = out.ctypes.data
    fn = lib.f32.rsample_rows
    struct = C.byref(params.struct)

    L = torch.from_numpy(logits_np)
    t = torch.tensor(0.5)
    t1 = torch.tensor([0.5])
    Lg = L.clone().requires_grad_(True)
    tg = torch.tensor(0.5, requires_grad=True)
    g = torch.randn(b, k)

    def step(cls):
        d = cls(tg, logits=Lg, validate_args=False)
        return torch.autograd.grad(d.rsample(), (Lg, tg), g)

    rows = [
        ("C one-shot relaxcat_rsample_rows_f32 (ctypes, prepared arguments)", lambda: fn(ctx, struct, 1, 0, 0, 1, out_addr, k)),
        ("relaxcat.rsample (NumPy, seed given, new output)", lambda: relaxcat.rsample(0.5, logits=logits_np, seed=1)),
        ("relaxcat.rsample (NumPy, out=)", lambda: relaxcat.rsample(0.5, logits=logits_np, seed=1, out=out)),
        ("relaxcat.torch sampler (eager: seed drawn from torch, new tensor)", lambda: _ops.sample(L, False, t1, b)),
        ("torch.ops.relaxcat.rsample (the dispatcher's custom-op path)", lambda: torch.ops.relaxcat.rsample(L, False, t1, torch.tensor(1), b, False)),
        ("relaxcat.torch class: build + rsample()", lambda: rt.RelaxedOneHotCategorical(t, logits=L, validate_args=False).rsample()),
        ("torch class: build + rsample()", lambda: torch.distributions.RelaxedOneHotCategorical(t, logits=L, validate_args=False).rsample()),
        ("relaxcat.torch class: fwd+bwd step", lambda: step(rt.RelaxedOneHotCategorical)),
        ("torch class: fwd+bwd step", lambda: step(torch.distributions.RelaxedOneHotCategorical)),
    ]
    floor = None
    print(f"1x{k}, f32, 1 thread; median of 5000 calls; load {os.getloadavg()[0]:.2f}")
    print(f"| call | us | minus the C call |")
    print("|---|---|---|")
    for name, f in rows:
        us = median_us(f)
        if floor is None:
            floor = us
        print(f"| {name} | {us:.2f} | {us - floor:+.2f} |")


if __name__ == "__main__":
    main()
