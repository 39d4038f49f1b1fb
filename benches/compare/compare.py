#!/usr/bin/env python3
"""relaxcat against PyTorch and JAX on the shapes of shared/baselines.md.

Run through benches/compare/run.sh (it builds the library and the venv):

    benches/compare/run.sh            # full run: results.csv, results.png, ratios.md
    benches/compare/run.sh --quick    # small shapes, few repeats (or RELAXCAT_COMPARE_QUICK=1)

One run measures every system with the same thread count (--threads,
default 2): relaxcat through a context of that many threads,
torch.set_num_threads, XLA's intra-op thread count for JAX (and the
process pinned to that many CPUs when the machine has more). Each
framework runs in a worker process of its own, one per shape, in turn
(relaxcat, torch, JAX for a shape, then the next shape), so no runtime's
idle thread pool (rayon, OpenMP, Eigen) competes with another's. Each
timing is the median of repeated calls after warm-up calls (torch.compile
and JAX jit compile during warm-up); ns/element divides it by B x K.

relaxcat is called through the C ABI with ctypes on NumPy buffers'
pointers (benches/compare/relaxcat_np.py over examples/python/
relaxcat_ctypes.py): no copies. relaxcat writes into buffers allocated once;
the peers allocate their outputs, as their APIs do.

On the way, relaxcat's log_prob is checked against PyTorch's on the
benchmarked inputs (relaxcat's own samples): relative error
|a - b| / max(|b|, 1) at most 1e-5, else the run fails.

A peer that cannot be imported is skipped with a message; the rest is
still measured.

A second section (--categorical run|skip|only) times categorical sampling,
one token index per row at vocabulary scale (16x128000, 256x32000,
1x262144), against torch's exponential race and multinomial, torch.compile
of the Gumbel-max expression and jax.random.categorical: results_categorical.
{csv,md}.
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FULL_SHAPES = [(65536, 8), (8192, 64), (1024, 1000), (64, 32000), (16, 262144)]
QUICK_SHAPES = [(4096, 8), (512, 64), (64, 1000), (4, 32000), (1, 262144)]
TEMPERATURE = 0.5
TOLERANCE = 1e-5
# The fwd+bwd kernels alone, on a distribution built once outside the
# timing. The "relaxcat" line is the one-shot entry points on new logits
# every step, as a training step must (like the peers); HANDLE_EACH_STEP
# builds and frees a handle (which copies the logits) every step instead.
PREBUILT = "relaxcat, dist built once"
# The Python package's drop-in (python/, relaxcat.torch) inside a torch step:
# the distribution built from new logits every step, autograd through its
# custom operators. Measured in the torch worker, against torch's class and
# torch.compile.
DROP_IN = "relaxcat.torch"
HANDLE_EACH_STEP = "relaxcat, handle built each step"
OPS = ["rsample", "hard rsample", "log_prob", "logsumexp", "rsample fwd+bwd", "log_prob fwd+bwd"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", default=os.environ.get("RELAXCAT_COMPARE_QUICK") == "1")
    p.add_argument("--threads", type=int, default=int(os.environ.get("RELAXCAT_COMPARE_THREADS", "2")))
    p.add_argument("--min-time", type=float, default=None, help="seconds of timed calls per measurement")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (slow to compile)")
    p.add_argument("--out", default=None, help="output prefix (default benches/compare/results, quick: /tmp/...)")
    p.add_argument("--lib", default=None, help="librelaxcat.so (default target/release of this checkout)")
    p.add_argument("--categorical", choices=["run", "skip", "only"], default="run",
                   help="the categorical-sampling section (token indices at vocabulary scale)")
    p.add_argument("--worker", choices=["relaxcat", "torch", "jax"], help=argparse.SUPPRESS)
    p.add_argument("--shape", help=argparse.SUPPRESS)
    p.add_argument("--section", choices=["kernels", "categorical"], default="kernels", help=argparse.SUPPRESS)
    p.add_argument("--rows-out", help=argparse.SUPPRESS)
    return p.parse_args()


def configure_threads(threads):
    """Thread knobs that must be set before torch and jax are imported."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = (
        f"{flags} --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
        f" intra_op_parallelism_threads={threads}"
    ).strip()
    cpus = sorted(os.sched_getaffinity(0))
    if threads < len(cpus):
        os.sched_setaffinity(0, cpus[:threads])


def load1():
    return os.getloadavg()[0]


def measure(fn, sync, min_time, min_reps, max_reps, warmup):
    """Median wall time (ns) of fn() after warm-up, and the number of timed calls."""
    for _ in range(warmup):
        sync(fn())
    times = []
    spent = 0.0
    while len(times) < max_reps and (len(times) < min_reps or spent < min_time):
        t0 = time.perf_counter_ns()
        sync(fn())
        dt = time.perf_counter_ns() - t0
        times.append(dt)
        spent += dt * 1e-9
    return statistics.median(times), len(times)


def no_sync(_):
    pass


# ----------------------------------------------------------------- relaxcat


def relaxcat_systems(np, lib, ctx, logits, value, upstream, lp_upstream):
    """{op: [(system, fn)]} for relaxcat on one shape."""
    rows, k = logits.shape
    dist = lib.dist(logits, TEMPERATURE, ctx)
    gen = lib.generator(7)
    out = np.empty_like(logits)
    hard, soft, log = np.empty_like(logits), np.empty_like(logits), np.empty_like(logits)
    lp = np.empty(rows, np.float32)
    lse = np.empty(rows, np.float32)
    grad_logits = np.empty_like(logits)
    grad_t = np.empty(1, np.float32)

    # The parameters change every training step: the one-shot entry points
    # read them as given each call (validation and the per-row counts are
    # part of the step), as a framework's custom operator would.
    import relaxcat_np

    step = relaxcat_np.OneShot(lib, logits, TEMPERATURE, ctx)
    offset = [0]

    def rsample_fwd_bwd():
        step.rsample_with_log_rows(7, offset[0], 0, rows, soft, log)
        offset[0] += rows
        step.rsample_backward(soft, log, upstream, grad_logits, grad_t)

    def log_prob_fwd_bwd():
        step.log_prob_backward(value, lp_upstream, grad_logits, grad_t, lp)

    def rsample_fwd_bwd_handle():
        # The handle path: a distribution built (and freed) every step.
        d = lib.dist(logits, TEMPERATURE, ctx)
        d.rsample_with_log(gen, 1, soft, log)
        d.rsample_backward(soft, log, upstream, grad_logits, grad_t)
        d.close()

    def log_prob_fwd_bwd_handle():
        d = lib.dist(logits, TEMPERATURE, ctx)
        d.log_prob_backward(value, lp_upstream, grad_logits, grad_t, lp)
        d.close()

    def rsample_fwd_bwd_prebuilt():
        dist.rsample_with_log(gen, 1, soft, log)
        dist.rsample_backward(soft, log, upstream, grad_logits, grad_t)

    def log_prob_fwd_bwd_prebuilt():
        dist.log_prob_backward(value, lp_upstream, grad_logits, grad_t, lp)

    name = "relaxcat"
    return dist, {
        "rsample": [(name, lambda: dist.rsample(gen, 1, out))],
        "hard rsample": [(name, lambda: dist.rsample_hard(gen, 1, hard, soft))],
        "log_prob": [(name, lambda: dist.log_prob(value, lp))],
        "logsumexp": [(name, lambda: lib.logsumexp(ctx, logits, lse))],
        "rsample fwd+bwd": [
            (name, rsample_fwd_bwd),
            (PREBUILT, rsample_fwd_bwd_prebuilt),
            (HANDLE_EACH_STEP, rsample_fwd_bwd_handle),
        ],
        "log_prob fwd+bwd": [
            (name, log_prob_fwd_bwd),
            (PREBUILT, log_prob_fwd_bwd_prebuilt),
            (HANDLE_EACH_STEP, log_prob_fwd_bwd_handle),
        ],
    }


# -------------------------------------------------------------------- torch


def torch_fns(torch):
    F = torch.nn.functional

    def rsample(L, t):
        u = torch.rand_like(L)
        g = -torch.log(-torch.log(u))
        return torch.softmax((L + g) / t, -1)

    def rsample_hard(L, t):
        y = rsample(L, t)
        hard = torch.zeros_like(y).scatter_(-1, y.argmax(-1, keepdim=True), 1.0)
        return hard - y.detach() + y

    def log_prob(L, t, y):
        k = L.shape[-1]
        l = L - torch.logsumexp(L, -1, keepdim=True)
        x = torch.log(y)
        s = l - t * x
        return math.lgamma(k) + (k - 1) * torch.log(t) + (s - x).sum(-1) - k * torch.logsumexp(s, -1)

    def logsumexp(L):
        return torch.logsumexp(L, -1)

    return F, rsample, rsample_hard, log_prob, logsumexp


def torch_systems(torch, logits_np, value_np, upstream_np, lp_upstream_np, use_compile):
    from torch.distributions import RelaxedOneHotCategorical

    F, rsample, rsample_hard, log_prob, logsumexp = torch_fns(torch)
    L = torch.from_numpy(logits_np)
    y = torch.from_numpy(value_np)
    g = torch.from_numpy(upstream_np)
    glp = torch.from_numpy(lp_upstream_np)
    t = torch.tensor(TEMPERATURE)
    dist = RelaxedOneHotCategorical(t, logits=L, validate_args=False)
    Lg = L.clone().requires_grad_(True)
    tg = torch.tensor(TEMPERATURE, requires_grad=True)

    def dist_rsample_fwd_bwd():
        d = RelaxedOneHotCategorical(tg, logits=Lg, validate_args=False)
        return torch.autograd.grad(d.rsample(), (Lg, tg), g)

    def dist_log_prob_fwd_bwd():
        d = RelaxedOneHotCategorical(tg, logits=Lg, validate_args=False)
        return torch.autograd.grad(d.log_prob(y), (Lg, tg), glp)

    name = "torch RelaxedOneHotCategorical"
    systems = {
        "rsample": [
            (name, dist.rsample),
            ("torch F.gumbel_softmax", lambda: F.gumbel_softmax(L, tau=TEMPERATURE)),
        ],
        "hard rsample": [("torch F.gumbel_softmax(hard=True)", lambda: F.gumbel_softmax(L, tau=TEMPERATURE, hard=True))],
        "log_prob": [(name, lambda: dist.log_prob(y))],
        "logsumexp": [("torch.logsumexp", lambda: torch.logsumexp(L, -1))],
        "rsample fwd+bwd": [(name, dist_rsample_fwd_bwd)],
        "log_prob fwd+bwd": [(name, dist_log_prob_fwd_bwd)],
    }
    add_drop_in(torch, systems, L, y, g, glp)
    if use_compile:
        c = "torch.compile (fused)"
        c_rs = torch.compile(rsample, dynamic=False)
        c_hard = torch.compile(rsample_hard, dynamic=False)
        c_lp = torch.compile(log_prob, dynamic=False)
        c_lse = torch.compile(logsumexp, dynamic=False)
        # Separate compiled functions for the autograd versions (their
        # graphs differ from the inference ones).
        c_rs_g = torch.compile(lambda L, t: rsample(L, t), dynamic=False)
        c_lp_g = torch.compile(lambda L, t, y: log_prob(L, t, y), dynamic=False)
        systems["rsample"].append((c, lambda: c_rs(L, t)))
        systems["hard rsample"].append((c, lambda: c_hard(L, t)))
        systems["log_prob"].append((c, lambda: c_lp(L, t, y)))
        systems["logsumexp"].append((c, lambda: c_lse(L)))
        systems["rsample fwd+bwd"].append((c, lambda: torch.autograd.grad(c_rs_g(Lg, tg), (Lg, tg), g)))
        systems["log_prob fwd+bwd"].append((c, lambda: torch.autograd.grad(c_lp_g(Lg, tg, y), (Lg, tg), glp)))
    return dist, systems


def add_drop_in(torch, systems, L, y, g, glp):
    """relaxcat.torch.RelaxedOneHotCategorical, as a torch user calls it
    (validation off, like the torch line), on the library under test."""
    root = os.path.dirname(os.path.dirname(HERE))
    sys.path.insert(0, os.path.join(root, "python", "src"))
    import relaxcat
    import relaxcat.torch as rt

    relaxcat.set_num_threads(torch.get_num_threads())
    t = torch.tensor(TEMPERATURE)
    Lg = L.clone().requires_grad_(True)
    tg = torch.tensor(TEMPERATURE, requires_grad=True)

    def rsample_fwd_bwd():
        d = rt.RelaxedOneHotCategorical(tg, logits=Lg, validate_args=False)
        return torch.autograd.grad(d.rsample(), (Lg, tg), g)

    def log_prob_fwd_bwd():
        d = rt.RelaxedOneHotCategorical(tg, logits=Lg, validate_args=False)
        return torch.autograd.grad(d.log_prob(y), (Lg, tg), glp)

    systems["rsample"].append((DROP_IN, lambda: rt.RelaxedOneHotCategorical(t, logits=L, validate_args=False).rsample()))
    systems["hard rsample"].append((DROP_IN, lambda: rt.gumbel_softmax(L, tau=TEMPERATURE, hard=True)))
    systems["log_prob"].append(
        (DROP_IN, lambda: rt.RelaxedOneHotCategorical(t, logits=L, validate_args=False).log_prob(y))
    )
    systems["rsample fwd+bwd"].append((DROP_IN, rsample_fwd_bwd))
    systems["log_prob fwd+bwd"].append((DROP_IN, log_prob_fwd_bwd))


def torch_inference(torch, fn):
    def run():
        with torch.no_grad():
            return fn()

    return run


# ---------------------------------------------------------------------- JAX


def jax_systems(jax, logits_np, value_np, upstream_np, lp_upstream_np):
    jnp = jax.numpy
    lgamma = jax.scipy.special.gammaln
    lse = jax.nn.logsumexp
    key = jax.random.key(7)
    L = jnp.asarray(logits_np)
    y = jnp.asarray(value_np)
    g = jnp.asarray(upstream_np)
    glp = jnp.asarray(lp_upstream_np)
    t = jnp.float32(TEMPERATURE)

    def rsample(L, t, key):
        return jax.nn.softmax((L + jax.random.gumbel(key, L.shape, L.dtype)) / t, -1)

    def rsample_hard(L, t, key):
        s = rsample(L, t, key)
        hard = jax.nn.one_hot(jnp.argmax(s, -1), L.shape[-1], dtype=L.dtype)
        return hard - jax.lax.stop_gradient(s) + s

    def log_prob(L, t, y):
        k = L.shape[-1]
        l = L - lse(L, -1, keepdims=True)
        x = jnp.log(y)
        s = l - t * x
        return lgamma(jnp.float32(k)) + (k - 1) * jnp.log(t) + jnp.sum(s - x, -1) - k * lse(s, -1)

    def rsample_vjp(L, t, key, g):
        out, pullback = jax.vjp(lambda L, t: rsample(L, t, key), L, t)
        return out, pullback(g)

    def log_prob_vjp(L, t, y, g):
        out, pullback = jax.vjp(lambda L, t: log_prob(L, t, y), L, t)
        return out, pullback(g)

    j_rs, j_hard, j_lp = jax.jit(rsample), jax.jit(rsample_hard), jax.jit(log_prob)
    j_lse = jax.jit(lambda L: lse(L, -1))
    j_rs_vjp, j_lp_vjp = jax.jit(rsample_vjp), jax.jit(log_prob_vjp)
    name = "JAX jit"
    return {
        "rsample": [(name, lambda: j_rs(L, t, key))],
        "hard rsample": [(name, lambda: j_hard(L, t, key))],
        "log_prob": [(name, lambda: j_lp(L, t, y))],
        "logsumexp": [(name, lambda: j_lse(L))],
        "rsample fwd+bwd": [(name, lambda: j_rs_vjp(L, t, key, g))],
        "log_prob fwd+bwd": [(name, lambda: j_lp_vjp(L, t, y, glp))],
    }


def jax_sync(jax):
    return lambda out: jax.block_until_ready(out)


# ------------------------------------------------------------------ checks


def check_log_prob(np, torch, dist_rc, dist_torch, value, shape):
    """relaxcat's f32 log_prob against torch's (f32, and f64 on the same values)."""
    got = np.empty(value.shape[0], np.float32)
    dist_rc.log_prob(value, got)
    got64 = got.astype(np.float64)
    with torch.no_grad():
        want32 = dist_torch.log_prob(torch.from_numpy(value)).numpy().astype(np.float64)
        from torch.distributions import RelaxedOneHotCategorical

        d64 = RelaxedOneHotCategorical(
            torch.tensor(TEMPERATURE, dtype=torch.float64),
            logits=dist_torch.logits.double(),
            validate_args=False,
        )
        want64 = d64.log_prob(torch.from_numpy(value).double()).numpy()
    rel32 = float(np.max(np.abs(got64 - want32) / np.maximum(np.abs(want32), 1.0)))
    rel64 = float(np.max(np.abs(got64 - want64) / np.maximum(np.abs(want64), 1.0)))
    torch_rel64 = float(np.max(np.abs(want32 - want64) / np.maximum(np.abs(want64), 1.0)))
    finite = bool(np.all(np.isfinite(got)) and np.all(np.isfinite(want32)))
    print(
        f"  log_prob check {shape}: relaxcat vs torch f32 {rel32:.2e}, vs torch f64 {rel64:.2e}"
        f" (torch f32 vs f64 {torch_rel64:.2e}); limit {TOLERANCE:g}",
        flush=True,
    )
    if not finite or rel32 > TOLERANCE:
        sys.exit(
            f"FAILED: relaxcat log_prob disagrees with PyTorch on {shape}: worst relative error {rel32:.3e}"
            f" > {TOLERANCE:g} (finite: {finite})"
        )
    return rel32, rel64


def check_log_prob_numpy(np, dist_rc, logits, value, shape):
    """Without torch: against a float64 NumPy closed form on the same values."""
    got = np.empty(value.shape[0], np.float32)
    dist_rc.log_prob(value, got)
    L = logits.astype(np.float64)
    k = L.shape[1]
    m = L.max(1, keepdims=True)
    l = L - (m + np.log(np.exp(L - m).sum(1, keepdims=True)))
    x = np.log(value.astype(np.float64))
    t = TEMPERATURE
    s = l - t * x
    ms = s.max(1, keepdims=True)
    lse_s = (ms + np.log(np.exp(s - ms).sum(1, keepdims=True)))[:, 0]
    want = math.lgamma(k) + (k - 1) * math.log(t) + (s - x).sum(1) - k * lse_s
    rel = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))
    print(f"  log_prob check {shape} (torch missing: NumPy f64 closed form): {rel:.2e}; limit {TOLERANCE:g}")
    if rel > TOLERANCE:
        sys.exit(f"FAILED: relaxcat log_prob disagrees with the f64 closed form on {shape}: {rel:.3e}")
    return rel


# ------------------------------------------------------------------ outputs


def shape_name(shape):
    return f"{shape[0]}x{shape[1]}"


def write_ratios(rows, shapes, threads, path, meta):
    by = {(r["op"], r["shape"], r["system"]): float(r["ns_per_element"]) for r in rows}
    names = [shape_name(s) for s in shapes]
    lines = [
        f"relaxcat time / peer time (below 1: relaxcat is faster); {threads} threads for every system;"
        f" 1-minute load average {meta['load1_start']:.2f} at the start, {meta['load1_end']:.2f} at the end."
        " fwd+bwd: relaxcat builds the distribution in every step (in brackets: built once, kernels only).",
        "",
        "| operation | peer | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for op in OPS:
        peers = []
        for r in rows:
            if r["op"] == op and not r["system"].startswith("relaxcat") and r["system"] not in peers:
                peers.append(r["system"])
        for peer in peers:
            cells = []
            for n in names:
                a, b, pre = by.get((op, n, "relaxcat")), by.get((op, n, peer)), by.get((op, n, PREBUILT))
                cell = f"{a / b:.2f}" if a and b else "–"
                if pre and b:
                    cell += f" ({pre / b:.2f})"
                cells.append(cell)
            lines.append(f"| {op} | {peer} | " + " | ".join(cells) + " |")
    drop_in_peers = ("torch RelaxedOneHotCategorical", "torch F.gumbel_softmax(hard=True)", "torch.compile (fused)")
    if any(r["system"] == DROP_IN for r in rows):
        lines += [
            "",
            f"{DROP_IN} (the Python drop-in class inside a torch step, new logits each step) / peer:",
            "",
            "| operation | peer | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for op in OPS:
            for peer in drop_in_peers:
                if not any((op, n, peer) in by and (op, n, DROP_IN) in by for n in names):
                    continue
                cells = []
                for n in names:
                    a, b = by.get((op, n, DROP_IN)), by.get((op, n, peer))
                    cells.append(f"{a / b:.2f}" if a and b else "–")
                lines.append(f"| {op} | {peer} | " + " | ".join(cells) + " |")
    lines += ["", "relaxcat in ns/element:", "", "| operation | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for op in OPS:
        for system, label in (("relaxcat", op), (PREBUILT, f"{op}, dist built once"), (DROP_IN, f"{op}, {DROP_IN}")):
            if any((op, n, system) in by for n in names):
                cells = [f"{by[(op, n, system)]:.2f}" if (op, n, system) in by else "–" for n in names]
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return "\n".join(lines)


def plot(rows, shapes, threads, path, meta):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [shape_name(s) for s in shapes]
    fig, axes = plt.subplots(2, 3, figsize=(16, 9), sharex=True)
    styles = {}
    markers = "osD^v<>ph*"
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:cyan"]
    colors = {}
    for ax, op in zip(axes.flat, OPS):
        systems = []
        for r in rows:
            if r["op"] == op and r["system"] not in systems:
                systems.append(r["system"])
        for system in systems:
            ys = []
            for n in names:
                v = [float(r["ns_per_element"]) for r in rows if r["op"] == op and r["shape"] == n and r["system"] == system]
                ys.append(v[0] if v else float("nan"))
            if system not in styles:
                styles[system] = markers[len(styles) % len(markers)]
            is_rc = system.startswith("relaxcat")
            if not is_rc and system not in colors:
                colors[system] = palette[len(colors) % len(palette)]
            ax.plot(
                names,
                ys,
                marker=styles[system],
                linewidth=3 if is_rc else 1.3,
                linestyle=":" if system == PREBUILT else "-",
                color="black" if is_rc else colors[system],
                label=system,
                zorder=3 if is_rc else 2,
            )
        ax.set_yscale("log")
        ax.set_title(op)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_ylabel("ns per element (log)")
        ax.legend(fontsize=7, loc="best")
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(
        f"relaxcat vs PyTorch {meta.get('torch', 'n/a')} and JAX {meta.get('jax', 'n/a')}: float32, t = {TEMPERATURE},"
        f" {threads} threads each, median ns per element (lower is better); load avg {meta['load1_start']:.2f}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


# ------------------------------------------------------------------ workers


def inputs(np, lib, shape):
    """The same inputs in every worker: logits, upstream gradients, and the
    values every log_prob scores (relaxcat's samples, stateless rows)."""
    b, k = shape
    rng = np.random.default_rng([2024, b, k])
    logits = rng.standard_normal(shape, dtype=np.float32)
    upstream = rng.standard_normal(shape, dtype=np.float32)
    lp_upstream = rng.standard_normal(b, dtype=np.float32)
    value = np.empty_like(logits)
    lib.dist(logits, TEMPERATURE).rsample_rows(1, 0, 0, b, value)
    return logits, value, upstream, lp_upstream


def worker(args):
    """Measures one framework on one shape; writes its rows and check results as JSON."""
    if args.section == "categorical":
        categorical_worker(args)
        return
    configure_threads(args.threads)
    import numpy as np

    sys.path.insert(0, HERE)
    import relaxcat_np

    b, k = (int(v) for v in args.shape.split("x"))
    shape = (b, k)
    n = shape_name(shape)
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 1.0)
    min_reps, max_reps, warmup = (3, 20, 2) if args.quick else (7, 200, 3)
    lib = relaxcat_np.Lib(args.lib)
    logits, value, upstream, lp_upstream = inputs(np, lib, shape)
    result = {"rows": [], "check": None, "versions": {}}
    syncs = {}
    if args.worker == "relaxcat":
        ctx = lib.context(args.threads)
        result["versions"] = {"relaxcat": lib.version(), "relaxcat_backend": ctx.backend()}
        _, systems = relaxcat_systems(np, lib, ctx, logits, value, upstream, lp_upstream)
    elif args.worker == "torch":
        try:
            import torch
        except Exception as e:  # noqa: BLE001 - any import failure means "skip torch"
            print(f"  torch not available ({e}); skipping the PyTorch systems", file=sys.stderr)
            dist_rc = lib.dist(logits, TEMPERATURE)
            result["check"] = {"against": "NumPy f64", "rel64": check_log_prob_numpy(np, dist_rc, logits, value, n)}
            json.dump(result, open(args.rows_out, "w"))
            return
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        torch._dynamo.config.cache_size_limit = 64
        result["versions"] = {"torch": torch.__version__}
        os.environ["RELAXCAT_LIB"] = lib.path
        dist_torch, systems = torch_systems(torch, logits, value, upstream, lp_upstream, not args.no_compile)
        for op, entries in systems.items():
            systems[op] = [(s, fn if "fwd+bwd" in op else torch_inference(torch, fn)) for s, fn in entries]
        dist_rc = lib.dist(logits, TEMPERATURE)  # the caller's thread only: no pool in this process
        r32, r64 = check_log_prob(np, torch, dist_rc, dist_torch, value, n)
        result["check"] = {"against": "torch", "rel32": r32, "rel64": r64}
    else:
        try:
            import jax

            jax.config.update("jax_platforms", "cpu")
        except Exception as e:  # noqa: BLE001
            print(f"  jax not available ({e}); skipping the JAX systems", file=sys.stderr)
            json.dump(result, open(args.rows_out, "w"))
            return
        result["versions"] = {"jax": jax.__version__}
        systems = jax_systems(jax, logits, value, upstream, lp_upstream)
        syncs = {"JAX jit": jax_sync(jax)}
    for op in OPS:
        for system, fn in systems.get(op, []):
            before = load1()
            try:
                median_ns, reps = measure(fn, syncs.get(system, no_sync), min_time, min_reps, max_reps, warmup)
            except Exception as e:  # noqa: BLE001 - report and go on with the others
                print(f"  {op:17s} {n:>9s} {system:38s} FAILED: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            per = median_ns / (b * k)
            result["rows"].append(
                {
                    "op": op,
                    "shape": n,
                    "rows": b,
                    "k": k,
                    "system": system,
                    "threads": args.threads,
                    "median_ns": f"{median_ns:.0f}",
                    "ns_per_element": f"{per:.4f}",
                    "repeats": reps,
                    "load1_before": f"{before:.2f}",
                    "load1_after": f"{load1():.2f}",
                }
            )
            print(f"  {op:17s} {n:>9s} {system:38s} {per:8.3f} ns/element  ({reps} calls)", flush=True)
    with open(args.rows_out, "w") as f:
        json.dump(result, f)


# -------------------------------------------------------------- categorical
#
# Token sampling at vocabulary scale: one index per row from softmax(l / T),
# the logits new every call (so every peer's softmax is part of its time).
# relaxcat_categorical_sample_f32 through ctypes, against torch's
# exponential race and multinomial, torch.compile of the Gumbel-max
# expression, and jax.random.categorical under jit. Rows in
# benches/compare/results_categorical.{csv,md} (or the --out prefix).

CATEGORICAL_FULL_SHAPES = [(16, 128000), (256, 32000), (1, 262144)]
CATEGORICAL_QUICK_SHAPES = [(2, 128000), (16, 32000), (1, 262144)]
CATEGORICAL_T = 1.0
CATEGORICAL_OP = "categorical"
CATEGORICAL_TOP_K_ALL = 2**64 - 1  # RELAXCAT_TOP_K_ALL (SIZE_MAX)


def categorical_function(lib):
    """relaxcat_categorical_sample_f32 with its C signature declared."""
    import ctypes as C

    fn = lib.lib.relaxcat_categorical_sample_f32
    z, flt = C.c_size_t, C.POINTER(C.c_float)
    fn.restype = C.c_int32
    fn.argtypes = [C.c_void_p, z, z, flt, z, flt, z, z, C.c_uint32, C.c_uint64, C.c_uint64, z, z,
                   C.POINTER(C.c_int64), flt]
    return fn


def categorical_relaxcat_systems(np, lib, ctx, logits):
    """[(system, fn)] for relaxcat: every category, with log_prob, top-k 50."""
    import ctypes as C

    fn = categorical_function(lib)
    b, k = logits.shape
    t = np.array([CATEGORICAL_T], np.float32)
    out = np.empty(b, np.int64)
    lp = np.empty(b, np.float32)
    flt = C.POINTER(C.c_float)
    l_ptr, t_ptr, lp_ptr = logits.ctypes.data_as(flt), t.ctypes.data_as(flt), lp.ctypes.data_as(flt)
    out_ptr = out.ctypes.data_as(C.POINTER(C.c_int64))
    step = [0]

    def draw(with_log_prob, top_k):
        def run():
            step[0] += 1  # fresh stream rows every call, as a decoding loop draws
            status = fn(ctx.handle, b, k, l_ptr, k, t_ptr, 1, top_k, 0, 7, step[0] * b, 0, b, out_ptr,
                        lp_ptr if with_log_prob else None)
            if status != 0:
                raise RuntimeError(lib.lib.relaxcat_last_error_message().decode())
            return out

        return run

    return [
        ("relaxcat", draw(False, CATEGORICAL_TOP_K_ALL)),
        ("relaxcat, with log_prob", draw(True, CATEGORICAL_TOP_K_ALL)),
        ("relaxcat, top_k = 50", draw(False, 50)),
    ]


def categorical_torch_systems(torch, logits_np, use_compile):
    """[(system, fn)] for torch, softmax (or the tempering) included."""
    L = torch.from_numpy(logits_np)
    t = CATEGORICAL_T

    def exponential_race():
        probs = torch.softmax(L / t, -1)
        return probs.div_(torch.empty_like(probs).exponential_()).argmax(-1)

    def multinomial():
        return torch.multinomial(torch.softmax(L / t, -1), 1)

    def gumbel_max(L):
        return (L / t - torch.log(-torch.log(torch.rand_like(L)))).argmax(-1)

    systems = [
        ("torch softmax, exponential_, argmax", exponential_race),
        ("torch.multinomial(softmax)", multinomial),
    ]
    if use_compile:
        compiled = torch.compile(gumbel_max)
        systems.append(("torch.compile Gumbel-max", lambda: compiled(L)))
    return [(name, torch_inference(torch, fn)) for name, fn in systems]


def categorical_jax_systems(jax, logits_np):
    """[(system, fn)] for JAX: jax.random.categorical under jit, a new key each call."""
    L = jax.numpy.asarray(logits_np)
    draw = jax.jit(lambda key, L: jax.random.categorical(key, L / CATEGORICAL_T, axis=-1))
    keys = iter(jax.random.split(jax.random.key(7), 100_000))
    return [("JAX jit jax.random.categorical", lambda: draw(next(keys), L))]


def categorical_worker(args):
    """One framework on one categorical shape; rows as JSON (the worker protocol)."""
    configure_threads(args.threads)
    import numpy as np

    sys.path.insert(0, HERE)
    import relaxcat_np

    b, k = (int(v) for v in args.shape.split("x"))
    n = shape_name((b, k))
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 1.0)
    min_reps, max_reps, warmup = (3, 20, 2) if args.quick else (7, 200, 3)
    rng = np.random.default_rng([2026, b, k])
    # Logits shaped like a language model's: a long tail under a few large ones.
    logits = (rng.standard_normal((b, k), dtype=np.float32) * 2.0
              - 1.1 * np.log1p(rng.permuted(np.tile(np.arange(k, dtype=np.float32), (b, 1)), axis=1)))
    logits = np.ascontiguousarray(logits, dtype=np.float32)
    result = {"rows": [], "check": None, "versions": {}}
    sync = no_sync
    systems = []
    if args.worker == "relaxcat":
        lib = relaxcat_np.Lib(args.lib)
        ctx = lib.context(args.threads)
        result["versions"] = {"relaxcat": lib.version(), "relaxcat_backend": ctx.backend()}
        systems = categorical_relaxcat_systems(np, lib, ctx, logits)
    elif args.worker == "torch":
        try:
            import torch
        except Exception as e:  # noqa: BLE001 - any import failure means "skip torch"
            print(f"  torch not available ({e}); skipping", file=sys.stderr)
        else:
            torch.set_num_threads(args.threads)
            result["versions"] = {"torch": torch.__version__}
            systems = categorical_torch_systems(torch, logits, not args.no_compile)
    else:
        try:
            import jax

            jax.config.update("jax_platforms", "cpu")
        except Exception as e:  # noqa: BLE001
            print(f"  jax not available ({e}); skipping", file=sys.stderr)
        else:
            result["versions"] = {"jax": jax.__version__}
            systems = categorical_jax_systems(jax, logits)
            sync = jax_sync(jax)
    for system, fn in systems:
        before = load1()
        try:
            median_ns, reps = measure(fn, sync, min_time, min_reps, max_reps, warmup)
        except Exception as e:  # noqa: BLE001 - report and go on with the others
            print(f"  {CATEGORICAL_OP:17s} {n:>9s} {system:38s} FAILED: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        per = median_ns / (b * k)
        result["rows"].append({
            "op": CATEGORICAL_OP, "shape": n, "rows": b, "k": k, "system": system, "threads": args.threads,
            "median_ns": f"{median_ns:.0f}", "ns_per_element": f"{per:.4f}", "repeats": reps,
            "load1_before": f"{before:.2f}", "load1_after": f"{load1():.2f}",
        })
        print(f"  {CATEGORICAL_OP:17s} {n:>9s} {system:38s} {per:8.3f} ns/element  ({reps} calls)", flush=True)
    with open(args.rows_out, "w") as f:
        json.dump(result, f)


def categorical_run(args, passthrough, tmp):
    """Runs the categorical workers (relaxcat, torch, JAX per shape, in turn); returns their rows."""
    import subprocess

    rows = []
    for shape in CATEGORICAL_QUICK_SHAPES if args.quick else CATEGORICAL_FULL_SHAPES:
        for fw in ("relaxcat", "torch", "jax"):
            out = os.path.join(tmp, f"categorical-{fw}-{shape_name(shape)}.json")
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", fw, "--section", "categorical",
                   "--shape", shape_name(shape), "--rows-out", out] + passthrough
            if subprocess.run(cmd).returncode != 0:
                sys.exit(f"FAILED: the categorical {fw} worker on {shape_name(shape)}")
            with open(out) as f:
                rows += json.load(f)["rows"]
    return rows


def write_categorical(rows, threads, prefix, meta):
    """prefix.csv (the rows) and prefix.md: ns/element per system and shape, and relaxcat / peer."""
    with open(prefix + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    names = []
    for r in rows:
        if r["shape"] not in names:
            names.append(r["shape"])
    systems = []
    for r in rows:
        if r["system"] not in systems:
            systems.append(r["system"])
    by = {(r["shape"], r["system"]): float(r["ns_per_element"]) for r in rows}
    lines = [
        f"Categorical sampling (one index per row, T = {CATEGORICAL_T}, f32, new logits every call),"
        f" ns per category; {threads} threads for every system; 1-minute load average"
        f" {meta['load1_start']:.2f} at the start, {meta['load1_end']:.2f} at the end.",
        "",
        "| system | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for system in systems:
        cells = [f"{by[(n, system)]:.3f}" if (n, system) in by else "–" for n in names]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    lines += ["", "relaxcat time / peer time (below 1: relaxcat is faster):", "",
              "| peer | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for system in systems:
        if system.startswith("relaxcat"):
            continue
        cells = []
        for n in names:
            a, b = by.get((n, "relaxcat")), by.get((n, system))
            cells.append(f"{a / b:.3f}" if a and b else "–")
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {prefix}.csv and {prefix}.md")


# --------------------------------------------------------------------- main


def main():
    args = parse_args()
    if args.worker:
        worker(args)
        return
    import subprocess
    import tempfile

    import numpy as np

    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    prefix = args.out or (os.path.join("/tmp", "relaxcat-compare-quick") if args.quick else os.path.join(HERE, "results"))
    meta = {
        "threads": args.threads,
        "quick": args.quick,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load1_start": load1(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    try:
        with open("/proc/cpuinfo") as f:
            meta["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        meta["git"] = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    print(f"{args.threads} threads for every system; load average {meta['load1_start']:.2f};"
          f" {'quick' if args.quick else 'full'} run", flush=True)
    rows, checks = [], []
    passthrough = ["--threads", str(args.threads)]
    if args.quick:
        passthrough.append("--quick")
    if args.no_compile:
        passthrough.append("--no-compile")
    if args.min_time is not None:
        passthrough += ["--min-time", str(args.min_time)]
    if args.lib:
        passthrough += ["--lib", args.lib]
    with tempfile.TemporaryDirectory() as tmp:
        categorical_rows = categorical_run(args, passthrough, tmp) if args.categorical != "skip" else []
        for shape in shapes if args.categorical != "only" else []:
            for fw in ("relaxcat", "torch", "jax"):
                out = os.path.join(tmp, f"{fw}-{shape_name(shape)}.json")
                cmd = [sys.executable, os.path.abspath(__file__), "--worker", fw, "--shape", shape_name(shape),
                       "--rows-out", out] + passthrough
                proc = subprocess.run(cmd)
                if proc.returncode != 0:
                    sys.exit(f"FAILED: the {fw} worker on {shape_name(shape)} exited with {proc.returncode}")
                with open(out) as f:
                    result = json.load(f)
                rows += result["rows"]
                meta.update(result["versions"])
                if result["check"]:
                    checks.append(result["check"])
    meta["load1_end"] = load1()
    if categorical_rows:
        write_categorical(categorical_rows, args.threads, prefix + "_categorical", meta)
    if not rows:
        return
    worst32 = max((c.get("rel32", 0.0) for c in checks), default=0.0)
    worst64 = max((c.get("rel64", 0.0) for c in checks), default=0.0)
    meta["log_prob_check"] = {
        "tolerance": TOLERANCE,
        "against": checks[0]["against"] if checks else "none",
        "worst_rel_vs_torch_f32": worst32,
        "worst_rel_vs_f64": worst64,
        "passed": True,
    }
    with open(prefix + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    with open(prefix + ".json", "w") as f:
        json.dump(meta, f, indent=2)
    print(f"wrote {prefix}.csv and {prefix}.json")
    table = write_ratios(rows, shapes, args.threads, prefix + "_ratios.md", meta)
    plot(rows, shapes, args.threads, prefix + ".png", meta)
    print()
    print(table)
    print(f"\nlog_prob check passed ({meta['log_prob_check']['against']}): worst relative error"
          f" {worst32:.2e} vs torch f32, {worst64:.2e} vs f64")


if __name__ == "__main__":
    main()
