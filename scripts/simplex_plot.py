#!/usr/bin/env python3
"""Plots relaxcat samples of 3 categories on the simplex at several temperatures.

    benches/compare/.venv/bin/python scripts/simplex_plot.py [--out docs/img/simplex.png]

Needs NumPy and matplotlib: the venv of benches/compare (benches/compare/run.sh
--quick creates it) has both. Builds nothing: run `cargo build --release`
first (or pass --lib). The samples come from relaxcat's C ABI
(relaxcat_dist_f32_rsample, via benches/compare/relaxcat_np.py), a few
thousand per temperature for one fixed logits row, drawn as points in the
triangle by barycentric projection: corner i is the one-hot vector e_i, and
a point's distance from the opposite side is its component y_i.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benches", "compare"))

try:
    import matplotlib
    import numpy as np
except ImportError as e:
    sys.exit(f"simplex_plot.py needs NumPy and matplotlib ({e}); run it with benches/compare/.venv/bin/python")

import relaxcat_np  # noqa: E402

PROBS = [0.2, 0.3, 0.5]
TEMPERATURES = [0.1, 0.5, 1.0, 5.0]
SAMPLES = 4000
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])


def project(y):
    """Barycentric coordinates (rows on the simplex) to points in the plane."""
    return y @ CORNERS


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "img", "simplex.png"))
    p.add_argument("--lib", default=None)
    p.add_argument("--seed", type=int, default=2024)
    args = p.parse_args()

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lib = relaxcat_np.Lib(args.lib)
    logits = np.log(np.array([PROBS], dtype=np.float32))
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.6))
    axes = list(axes.flat)
    for ax, t in zip(axes, TEMPERATURES):
        dist = lib.dist(logits, t)
        y = np.empty((SAMPLES, 3), np.float32)
        dist.rsample(lib.generator(args.seed), SAMPLES, y)
        assert np.allclose(y.sum(1), 1.0, atol=1e-5)
        xy = project(y.astype(np.float64))
        outline = np.vstack([CORNERS, CORNERS[:1]])
        ax.plot(outline[:, 0], outline[:, 1], color="0.75", linewidth=0.8, zorder=1)
        ax.scatter(xy[:, 0], xy[:, 1], s=3, alpha=0.3, color="tab:blue", linewidths=0, zorder=2)
        mean = project(y.mean(0, dtype=np.float64))
        probs = project(np.array(PROBS))
        ax.plot(*probs, marker="*", markersize=13, color="tab:red", markeredgecolor="white", label="probs")
        ax.plot(*mean, marker="o", markersize=7, color="tab:orange", markeredgecolor="black", label="sample mean")
        for i, (cx, cy) in enumerate(CORNERS):
            dy = -0.07 if cy == 0 else 0.035
            ax.text(cx, cy + dy, f"category {i}\n(p = {PROBS[i]})", ha="center", va="center", fontsize=8)
        hits = np.mean(y.max(1) > 0.99)
        ax.set_title(f"t = {t:g}: {100 * hits:.0f}% of samples within 0.01 of a corner", fontsize=10)
        ax.set_xlim(-0.12, 1.12)
        ax.set_ylim(-0.14, 1.0)
        ax.set_aspect("equal")
        ax.axis("off")
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle(
        f"relaxcat samples, probs = {PROBS}, {SAMPLES} per temperature\n"
        "low t: near the corners (one-hot); high t: near the centre",
        fontsize=10,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
