#!/usr/bin/env python3
"""Markdown table of the `kernels` criterion benchmarks, in ns per element.

Reads every target/criterion/**/new/benchmark.json (id and throughput) and
the estimates.json next to it (median point estimate and its confidence
interval, ns per iteration), divides by the elements per iteration, and
prints one row per kernel, dtype and thread count, one column per shape:

    median (CI low-high)  and, for f32 rows with a peer, ratio x

where ratio = relaxcat median / fastest peer on that shape (below 1 is
faster than every peer). Primitives (prim/*) get a second table against the
hand-written AVX2 limits.

Usage: python3 scripts/bench_table.py [CRITERION_DIR]
  CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion or target/criterion.
Standard library only.
"""

import json
import os
import sys

SHAPES = ["65536x8", "8192x64", "1024x1000", "64x32000", "16x262144"]

# Peer figures, float32, ns per element, copied from /work/shared/baselines.md
# ("What peers cost on these machines": AMD EPYC Zen 3, 2 cores; torch 2.15
# with 2 threads, JAX/jaxlib 0.10.2 jit, TFP-JAX 0.26-dev, NumPy 2.4 one
# thread; temperature 0.5; about 15% run-to-run variation). Columns in the
# order of SHAPES.
PEERS = {
    "rsample": {
        "JAX jit softmax((L+gumbel)/t)": [8.65, 4.79, 5.44, 8.34, 17.18],
        "TFP-JAX RelaxedOneHotCategorical.sample": [8.47, 5.37, 5.98, 10.01, 17.85],
        "torch.compile (inductor), fused": [13.20, 11.36, 11.69, 11.52, 12.50],
        "torch RelaxedOneHotCategorical.rsample": [25.57, 23.56, 10.97, 17.30, 14.41],
        "torch F.gumbel_softmax": [35.52, 33.13, 26.73, 31.08, 28.26],
        "NumPy": [21.76, 12.38, 14.07, 10.06, 15.40],
    },
    "hard rsample (fwd)": {
        "JAX jit straight-through": [10.10, 6.55, 6.85, 9.04, 18.72],
        "torch F.gumbel_softmax(hard=True)": [37.26, 35.96, 31.26, 30.79, 30.31],
    },
    "log_prob": {
        "torch.compile (inductor), closed form": [2.32, 1.77, 1.74, 1.71, 2.03],
        "TFP-JAX log_prob (jit)": [4.97, 1.94, 2.23, 2.87, 6.28],
        "torch log_prob": [13.45, 3.03, 5.01, 6.02, 4.08],
    },
    "logsumexp (rows)": {
        "JAX jit": [2.26, 0.83, 0.64, 0.56, 1.21],
        "torch.compile (inductor)": [1.26, 0.79, 0.67, 0.62, 1.05],
        "torch.logsumexp": [4.12, 1.14, 1.20, 1.14, 1.46],
    },
    "Gumbel noise": {
        "JAX jit random.gumbel": [5.24, 4.10, 4.85, 10.75, 16.76],
        "torch -log(-log(rand))": [13.59, 14.48, 11.19, 9.40, 8.98],
    },
}

# Forward+backward peers (same file, "fwd+bwd (logits, t)" rows), with the
# ratio issue 5 asks for.
GRAD_PEERS = {
    "rsample_fwdbwd": ("JAX jit vjp", [13.82, 7.37, 6.16, 9.98, 19.12], 1 / 3),
    "log_prob_fwdbwd": ("torch", [23.09, 13.87, 11.09, 11.12, 11.04], 1 / 4),
    "log_prob_fwdbwd_v": ("torch", [23.09, 13.87, 11.09, 11.12, 11.04], 1 / 4),
}
GRAD_ORDER = [
    "rsample_fwd",
    "rsample_fwd_log",
    "rsample_bwd",
    "rsample_fwdbwd",
    "log_prob_fwd",
    "log_prob_fwdbwd",
    "log_prob_fwdbwd_v",
]

# Limits on one core, hand-written AVX2 (same file, last paragraph).
PRIM_LIMITS = {"uniform": 0.21, "exp": 0.56, "ln": 0.68, "gumbel": 1.7}

# Which peer operation each bench kernel is compared with.
PEER_OF = {
    "rsample": "rsample",
    "rsample_hard": "hard rsample (fwd)",
    "log_prob": "log_prob",
    "log_prob_novalidate": "log_prob",
    "logsumexp_rows": "logsumexp (rows)",
    "gumbel_rows": "Gumbel noise",
}

KERNEL_ORDER = [
    "rsample",
    "rsample_hard",
    "rsample_log",
    "log_prob",
    "log_prob_novalidate",
    "log_prob_x",
    "logsumexp_rows",
    "softmax_rows",
    "gumbel_rows",
]
PRIM_ORDER = ["uniform", "exp", "ln", "ln_normal", "gumbel"]


def fastest_peer(op, shape_index):
    """(figure, system) of the fastest peer for op on a shape."""
    return min((figs[shape_index], name) for name, figs in PEERS[op].items())


def elements_of(throughput):
    if not isinstance(throughput, dict):
        return None
    for key in ("Elements", "ElementsAndBytes"):
        if key in throughput:
            value = throughput[key]
            return value["elements"] if isinstance(value, dict) else value
    return None


def load(root):
    """{full_id: (median, lower, upper)} in ns per element."""
    results = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        try:
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                bench = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                est = json.load(f)
        except (OSError, ValueError) as e:
            print(f"skipping {dirpath}: {e}", file=sys.stderr)
            continue
        elements = elements_of(bench.get("throughput"))
        if not elements:
            print(f"skipping {bench.get('full_id')}: no element throughput", file=sys.stderr)
            continue
        median = est["median"]
        ci = median["confidence_interval"]
        results[bench["full_id"]] = (
            median["point_estimate"] / elements,
            ci["lower_bound"] / elements,
            ci["upper_bound"] / elements,
        )
    return results


def fmt(value):
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def cell(stats, ratio=None):
    median, lower, upper = stats
    text = f"{fmt(median)} ({fmt(lower)}-{fmt(upper)})"
    if ratio is not None:
        text += f" **{ratio:.2f}x**"
    return text


def rank(order, name):
    return order.index(name) if name in order else len(order)


def row_table(results):
    rows = {}
    for full_id, stats in results.items():
        parts = full_id.split("/")
        if len(parts) != 4 or parts[0] == "prim" or not parts[2].startswith("t"):
            continue
        kernel, dtype, threads, shape = parts
        if not threads[1:].isdigit():
            continue
        rows.setdefault((kernel, dtype, int(threads[1:])), {})[shape] = stats
    if not rows:
        return []
    extra = sorted({s for r in rows.values() for s in r} - set(SHAPES))
    shapes = SHAPES + extra
    lines = [
        "| kernel | dtype | threads | " + " | ".join(shapes) + " |",
        "|---|---|---|" + "---|" * len(shapes),
    ]
    for key in sorted(rows, key=lambda k: (rank(KERNEL_ORDER, k[0]), k[0], k[1], k[2])):
        kernel, dtype, threads = key
        cells = []
        for shape in shapes:
            stats = rows[key].get(shape)
            if stats is None:
                cells.append("")
                continue
            ratio = None
            op = PEER_OF.get(kernel)
            if op and dtype == "f32" and shape in SHAPES:
                ratio = stats[0] / fastest_peer(op, SHAPES.index(shape))[0]
            cells.append(cell(stats, ratio))
        lines.append(f"| {kernel} | {dtype} | {threads} | " + " | ".join(cells) + " |")
    return lines


def prim_table(results):
    rows = []
    for full_id, stats in results.items():
        parts = full_id.split("/")
        if len(parts) == 3 and parts[0] == "prim":
            rows.append((parts[1], parts[2], stats))
    if not rows:
        return []
    lines = [
        "| primitive (1 thread, 1M) | dtype | ns/element | AVX2 limit (f32) | ratio |",
        "|---|---|---|---|---|",
    ]
    for name, dtype, stats in sorted(rows, key=lambda r: (rank(PRIM_ORDER, r[0]), r[0], r[1])):
        limit = PRIM_LIMITS.get(name)
        ratio = f"{stats[0] / limit:.2f}x" if limit and dtype == "f32" else ""
        lines.append(f"| {name} | {dtype} | {cell(stats)} | {limit if limit else ''} | {ratio} |")
    return lines


def grad_table(results):
    """The `grad` bench: grad/<op>/<dtype>/tN/<shape>."""
    rows = {}
    for full_id, stats in results.items():
        parts = full_id.split("/")
        if len(parts) != 5 or parts[0] != "grad" or not parts[3][1:].isdigit():
            continue
        _, op, dtype, threads, shape = parts
        rows.setdefault((op, dtype, int(threads[1:])), {})[shape] = stats
    if not rows:
        return []
    lines = [
        "Gradients (`cargo bench --bench grad`); ratio = median / peer's fwd+bwd figure "
        "(target: rsample <= 0.33x JAX jit vjp, log_prob <= 0.25x torch)",
        "",
        "| op | dtype | threads | " + " | ".join(SHAPES) + " |",
        "|---|---|---|" + "---|" * len(SHAPES),
    ]
    for key in sorted(rows, key=lambda k: (rank(GRAD_ORDER, k[0]), k[0], k[1], k[2])):
        op, dtype, threads = key
        cells = []
        for i, shape in enumerate(SHAPES):
            stats = rows[key].get(shape)
            if stats is None:
                cells.append("")
                continue
            peer = GRAD_PEERS.get(op)
            ratio = stats[0] / peer[1][i] if peer and dtype == "f32" else None
            cells.append(cell(stats, ratio))
        lines.append(f"| {op} | {dtype} | {threads} | " + " | ".join(cells) + " |")
    return lines


def peer_lines():
    lines = ["Fastest peer (f32, ns/element) the ratios divide by:", ""]
    lines.append("| operation | " + " | ".join(SHAPES) + " |")
    lines.append("|---|" + "---|" * len(SHAPES))
    for op in PEERS:
        best = [fastest_peer(op, i) for i in range(len(SHAPES))]
        lines.append(f"| {op} | " + " | ".join(f"{v:.2f} ({n})" for v, n in best) + " |")
    return lines


def main(argv):
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) > 1:
        root = argv[1]
    else:
        target = os.environ.get("CARGO_TARGET_DIR", "target")
        root = os.path.join(target, "criterion")
    if not os.path.isdir(root):
        print(f"no criterion results under {root}; run `cargo bench --bench kernels` first", file=sys.stderr)
        return 1
    results = load(root)
    table = row_table(results)
    prims = prim_table(results)
    grads = grad_table(results)
    if not table and not prims and not grads:
        print(f"no kernels benchmarks found under {root}", file=sys.stderr)
        return 1
    print("ns per element: median (95% CI of the median); ratio = median / fastest peer, f32 only")
    print()
    for block in (table, prims, grads):
        if block:
            print("\n".join(block))
            print()
    if table:
        print("\n".join(peer_lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
