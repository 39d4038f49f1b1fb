#!/usr/bin/env python3
"""Markdown table of the `kernels` criterion benchmarks, in ns per element.

Reads every target/criterion/**/new/benchmark.json (id and throughput) and
the estimates.json next to it (median point estimate and its confidence
interval, ns per iteration), divides by the elements per iteration, and
prints one row per kernel, dtype and thread count, one column per shape:

    median (CI low-high)

Primitives (prim/*) and gradients (grad/*) get tables of their own. No
peer figure is divided by: a ratio against PyTorch or JAX is valid only
from one run on one machine, which benches/compare/run.sh makes.

Usage: python3 scripts/bench_table.py [CRITERION_DIR]
  CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion or target/criterion.
Standard library only.
"""

import json
import os
import sys

SHAPES = ["65536x8", "8192x64", "1024x1000", "64x32000", "16x262144"]

GRAD_ORDER = [
    "rsample_fwd",
    "rsample_fwd_log",
    "rsample_bwd",
    "rsample_fwdbwd",
    "log_prob_fwd",
    "log_prob_fwdbwd",
    "log_prob_fwdbwd_v",
]

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


def cell(stats):
    median, lower, upper = stats
    return f"{fmt(median)} ({fmt(lower)}-{fmt(upper)})"


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
            cells.append(cell(stats))
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
        "| primitive (1 thread, 1M) | dtype | ns/element |",
        "|---|---|---|",
    ]
    for name, dtype, stats in sorted(rows, key=lambda r: (rank(PRIM_ORDER, r[0]), r[0], r[1])):
        lines.append(f"| {name} | {dtype} | {cell(stats)} |")
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
        "Gradients (`cargo bench -p relaxcat-benches --bench grad`)",
        "",
        "| op | dtype | threads | " + " | ".join(SHAPES) + " |",
        "|---|---|---|" + "---|" * len(SHAPES),
    ]
    for key in sorted(rows, key=lambda k: (rank(GRAD_ORDER, k[0]), k[0], k[1], k[2])):
        op, dtype, threads = key
        cells = []
        for shape in SHAPES:
            stats = rows[key].get(shape)
            if stats is None:
                cells.append("")
                continue
            cells.append(cell(stats))
        lines.append(f"| {op} | {dtype} | {threads} | " + " | ".join(cells) + " |")
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
        print(f"no criterion results under {root}; run `cargo bench -p relaxcat-benches --bench kernels` first", file=sys.stderr)
        return 1
    results = load(root)
    table = row_table(results)
    prims = prim_table(results)
    grads = grad_table(results)
    if not table and not prims and not grads:
        print(f"no kernels benchmarks found under {root}", file=sys.stderr)
        return 1
    print("ns per element: median (95% CI of the median)")
    print()
    for block in (table, prims, grads):
        if block:
            print("\n".join(block))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
