#!/usr/bin/env python3
"""Regenerates the reference files in tests/data/ (see README.md there).

    torch_log_prob_f64.json   PyTorch, float64:
                              torch.distributions.RelaxedOneHotCategorical
                              .log_prob and ExpRelaxedCategorical.log_prob
    lucid_formula_f64.json    Lucid's closed-form log-density, evaluated
                              with NumPy in float64 (and float32)

The tests never run this script; they only read the JSON files.

What is recomputed and what is kept. Neither file records the seeds that
drew its random inputs (the logits and Gumbel noise of the torch "sampled"
cases, the interior points and Gumbel-softmax draws of the Lucid cases), so
the script takes the *inputs* of every case from the existing files (by
default the committed ones next to this script) and recomputes every
*output* from them:

  torch file: log_value, log_prob, exp_log_prob, closed_form_log_prob (and
      the "generator" string, from the installed torch). For sampled cases
      it also checks value == softmax((logits + gumbel) / temperature) and
      prints the largest difference (value itself is kept, it is an input).
  lucid file: temperature_as_float32, log_prob_f64, log_prob_f64_v3_8,
      log_prob_f32_lucid_default; sanity_integral_of_density (trapezoidal
      rule, see integral()); f32_rsample_underflow (a fresh f32 simulation,
      see underflow(): statistical, it cannot match the stored fractions
      bit for bit, and its logits are this script's choice).

The JSON layout is the original one: json.dumps(indent=1), non-finite
numbers as the strings "nan", "inf", "-inf"; the torch file has no final
newline, the Lucid file has one.

Usage (needs numpy; torch for the torch file):

    python3 tests/data/regenerate.py                  # writes to a temp dir
    python3 tests/data/regenerate.py --out tests/data # overwrites the files
    python3 tests/data/regenerate.py --compare        # + diff vs committed
    python3 tests/data/regenerate.py --only lucid     # no torch needed

The benchmark venv (benches/compare/.venv) has torch 2.15.0 and numpy.
"""

import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_FILE = "torch_log_prob_f64.json"
LUCID_FILE = "lucid_formula_f64.json"


# ---------------------------------------------------------------------------
# JSON in the files' format
# ---------------------------------------------------------------------------


def num(s):
    """A number from the file (non-finite values are strings)."""
    if isinstance(s, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[s]
    return float(s)


def out(x):
    """A Python float for the file, non-finite as a string."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def outs(xs):
    return [out(x) for x in xs]


def dump(obj, path, final_newline):
    text = json.dumps(obj, indent=1, allow_nan=False)
    with open(path, "w") as f:
        f.write(text + ("\n" if final_newline else ""))


# ---------------------------------------------------------------------------
# torch_log_prob_f64.json
# ---------------------------------------------------------------------------

TORCH_FORMULA = (
    "lgamma(K) + (K-1) log tau + sum_k(logits_k - (tau+1) log y_k)"
    " - K logsumexp_k(logits_k - tau log y_k)"
)
TORCH_FIELDS = {
    "logits": 'raw (unnormalised) logits; "-inf" strings are -infinity',
    "value": "a point y on the simplex",
    "log_value": "ln y, exact in f64",
    "log_prob": "log density of y (torch RelaxedOneHotCategorical.log_prob, f64)",
    "exp_log_prob": "log density of x = ln y (torch ExpRelaxedCategorical.log_prob, f64)",
    "gumbel": "for sampled cases: the Gumbel noise that produced value",
}


def torch_file(inputs):
    import torch
    from torch.distributions.relaxed_categorical import (
        ExpRelaxedCategorical,
        RelaxedOneHotCategorical,
    )

    f64 = torch.float64

    def tensor(xs):
        return torch.tensor([num(x) for x in xs], dtype=f64)

    cases = []
    worst_softmax = 0.0
    for c in inputs["cases"]:
        k, t = c["K"], num(c["temperature"])
        logits, value = tensor(c["logits"]), tensor(c["value"])
        temp = torch.tensor(t, dtype=f64)
        log_value = value.log()
        log_prob = RelaxedOneHotCategorical(temp, logits=logits, validate_args=False).log_prob(value)
        exp_log_prob = ExpRelaxedCategorical(temp, logits=logits, validate_args=False).log_prob(log_value)
        # The formula above on the raw logits, in torch f64 ops.
        closed = (
            math.lgamma(k)
            + (k - 1) * math.log(t)
            + (logits - (t + 1) * log_value).sum().item()
            - k * torch.logsumexp(logits - t * log_value, -1).item()
        )
        case = {
            "id": c["id"],
            "kind": c["kind"],
            "K": k,
            "temperature": c["temperature"],
            "logits": c["logits"],
            "value": c["value"],
            "log_value": outs(log_value.tolist()),
            "log_prob": out(log_prob.item()),
            "exp_log_prob": out(exp_log_prob.item()),
            "closed_form_log_prob": out(closed),
        }
        if "gumbel" in c:
            gumbel = tensor(c["gumbel"])
            case["gumbel"] = c["gumbel"]
            y = torch.softmax((logits + gumbel) / t, -1)
            worst_softmax = max(worst_softmax, (y - value).abs().max().item())
        if "note" in c:
            case["note"] = c["note"]
        cases.append(case)
    print(
        f"{TORCH_FILE}: {len(cases)} cases; sampled values vs "
        f"softmax((logits + gumbel) / tau): max abs difference {worst_softmax:.3g}"
    )
    return {
        "generator": f"torch {torch.__version__} float64, "
        "torch.distributions.RelaxedOneHotCategorical(validate_args=False)",
        "formula": TORCH_FORMULA,
        "fields": TORCH_FIELDS,
        "cases": cases,
    }


# ---------------------------------------------------------------------------
# lucid_formula_f64.json
# ---------------------------------------------------------------------------


def logsumexp(a):
    m = np.max(a)
    if not np.isfinite(m):
        return m
    return m + np.log(np.sum(np.exp(a - m)))


def lucid_formula(l, t, log_y, k):
    """Lucid's RelaxedOneHotCategorical.log_prob, in the dtype of the inputs:
    lgamma(K) + (K-1) log tau + sum(l - (tau+1) log y) - K logsumexp(l - tau log y)."""
    dt = l.dtype.type
    return (
        dt(math.lgamma(k))
        + dt(k - 1.0) * np.log(t)
        + np.sum(l - (t + dt(1.0)) * log_y)
        - dt(k) * logsumexp(l - t * log_y)
    )


def lucid_params(case, dtype):
    """Per-category log-parameters before the optional normalisation: the
    logits as given, or log(p / sum p) (Lucid normalises probs)."""
    if "logits" in case:
        return np.array([num(x) for x in case["logits"]], dtype=dtype), True
    p = np.array([num(x) for x in case["probs"]], dtype=dtype)
    return np.log(p / p.sum()), False


def lucid_log_probs(case):
    k, t = case["K"], num(case["temperature"])
    res = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for dtype, name in [(np.float64, "f64"), (np.float32, "f32")]:
            tt = dtype(t)
            log_y = np.log(np.array([num(x) for x in case["value"]], dtype=dtype))
            l, is_logits = lucid_params(case, dtype)
            # log_prob_f64 and the f32 column: logits normalised first
            # (log_softmax); probs as log(p / sum p).
            normalised = l - logsumexp(l) if is_logits else l
            res[name] = lucid_formula(normalised, tt, log_y, k)
            if name == "f64":
                # log_prob_f64_v3_8: the raw logits, as Lucid's log_prob
                # uses them (the formula is invariant to a shift of l).
                res["v3_8"] = lucid_formula(l, tt, log_y, k)
    return res


def integral(logits, t):
    """The density's integral over the open simplex, K = 2 or 3, in additive
    log-ratio coordinates y = softmax([x, 0]) (Jacobian prod y): trapezoidal
    rule, f64, step 0.2/t (K = 2) or 0.25/t (K = 3) over +-80/t or +-40/t
    around the mode of each coordinate."""
    l = np.array(logits, dtype=np.float64)
    k = len(l)
    h = (0.2 if k == 2 else 0.25) / t
    half = (80.0 if k == 2 else 40.0) / t
    axes = [np.arange(-half, half + h / 2, h) + (l[i] - l[-1]) / t for i in range(k - 1)]
    grids = np.meshgrid(*axes, indexing="ij")
    x = np.stack([g.ravel() for g in grids] + [np.zeros(grids[0].size)], axis=1)
    m = x.max(axis=1, keepdims=True)
    log_y = x - (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))
    # log_prob(y) + sum log y = the density of x's log-space twin.
    s = l[None, :] - t * log_y
    sm = s.max(axis=1, keepdims=True)
    lse = (sm + np.log(np.exp(s - sm).sum(axis=1, keepdims=True)))[:, 0]
    dens = math.lgamma(k) + (k - 1) * math.log(t) + (l[None, :] - t * log_y).sum(axis=1) - k * lse
    return float(h ** (k - 1) * math.fsum(np.exp(dens)))


def underflow(logits, t, samples, seed):
    """f32 Gumbel-softmax draws (u uniform in [2^-24, 1), g = -log(-log u),
    y = softmax((l + g) / t) with max subtraction, all float32): fractions
    of rows with an exact-0 component and with a NaN / infinite f32
    log_prob (Lucid's formula, logits normalised)."""
    rng = np.random.default_rng(seed)
    l = np.array(logits, dtype=np.float32)
    k = len(l)
    u = rng.random((samples, k), dtype=np.float32)
    u = np.maximum(u, np.float32(2.0**-24))
    g = -np.log(-np.log(u))
    z = (l[None, :] + g) / np.float32(t)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    ln = l - logsumexp(l)
    zero = nan = inf = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for row in y:
            lp = lucid_formula(ln, np.float32(t), np.log(row), k)
            zero += bool((row == 0).any())
            nan += bool(np.isnan(lp))
            inf += bool(np.isinf(lp))
    return {
        "frac_samples_with_zero_component": zero / samples,
        "frac_log_prob_nan": nan / samples,
        "frac_log_prob_inf": inf / samples,
    }


def parse_key(key):
    parts = dict(p.split("=") for p in key.split(","))
    return int(parts["K"]), float(parts["tau"])


def lucid_file(inputs, samples, seed):
    cases = []
    logits_by_k = {}
    for c in inputs["cases"]:
        r = lucid_log_probs(c)
        case = {"K": c["K"], "temperature": c["temperature"]}
        case["temperature_as_float32"] = out(np.float32(num(c["temperature"])))
        for p in ("logits", "probs"):
            if p in c:
                case[p] = c[p]
        if "logits" in c:
            logits_by_k.setdefault(c["K"], [num(x) for x in c["logits"]])
        case["value"] = c["value"]
        case["log_prob_f64"] = out(r["f64"])
        case["log_prob_f64_v3_8"] = out(r["v3_8"])
        case["log_prob_f32_lucid_default"] = out(r["f32"])
        case["note"] = c["note"]
        cases.append(case)
    # Same keys as the input file; logits: the first logits case of that K.
    integrals = {}
    for key in inputs["sanity_integral_of_density"]:
        k, t = parse_key(key)
        integrals[key] = integral(logits_by_k[k], t)
    table = {}
    for key in inputs["f32_rsample_underflow"]:
        k, t = parse_key(key)
        table[key] = underflow(logits_by_k[k], t, samples, seed)
    print(f"{LUCID_FILE}: {len(cases)} cases, {len(integrals)} integrals, {len(table)} underflow rows")
    return {
        "provenance": inputs["provenance"],
        "source": inputs["source"],
        "cases": cases,
        "sanity_integral_of_density": integrals,
        "f32_rsample_underflow": table,
    }


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, path + (i,))
    else:
        yield path, obj


def compare(name, new_path, old_bytes):
    with open(new_path, "rb") as f:
        new_bytes = f.read()
    print(f"\n{name}: byte-identical: {new_bytes == old_bytes}")
    new, old = dict(leaves(json.loads(new_bytes))), dict(leaves(json.loads(old_bytes)))
    if new.keys() != old.keys():
        print(f"  structure differs: {len(new.keys() ^ old.keys())} paths only on one side")
    stats = {}
    for p in sorted(new.keys() & old.keys(), key=str):
        a, b = new[p], old[p]
        # Group by field: drop list indices and case numbers.
        field = ".".join(str(x) for x in p if not isinstance(x, int))
        s = stats.setdefault(field, {"n": 0, "same": 0, "abs": 0.0, "rel": 0.0, "bad": 0})
        s["n"] += 1
        if a == b:
            s["same"] += 1
            continue
        try:
            x, y = num(a), num(b)
        except (KeyError, TypeError, ValueError):
            s["bad"] += 1
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            s["bad"] += 1
            continue
        d = abs(x - y)
        s["abs"] = max(s["abs"], d)
        s["rel"] = max(s["rel"], d / abs(y) if y != 0 else math.inf)
    for field, s in stats.items():
        if s["same"] == s["n"]:
            line = "identical"
        else:
            line = f"max abs {s['abs']:.3g}, max rel {s['rel']:.3g}"
            if s["bad"]:
                line += f", {s['bad']} non-numeric or non-finite mismatches"
        print(f"  {field:60s} {s['same']:4d}/{s['n']:<4d} identical; {line}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", default=HERE, help="where the existing files (case inputs) are")
    ap.add_argument("--out", help="output directory (default: a new temporary one)")
    ap.add_argument("--only", choices=["torch", "lucid"])
    ap.add_argument("--compare", action="store_true", help="diff the output against --inputs")
    ap.add_argument("--samples", type=int, default=20000, help="f32_rsample_underflow draws per row")
    ap.add_argument("--seed", type=int, default=0, help="f32_rsample_underflow seed")
    args = ap.parse_args()
    out_dir = args.out or tempfile.mkdtemp(prefix="relaxcat-reference-")
    os.makedirs(out_dir, exist_ok=True)

    def load(name):
        return json.loads(old[name])

    # Read before writing: --out may be --inputs.
    old = {}
    for name in (TORCH_FILE, LUCID_FILE):
        with open(os.path.join(args.inputs, name), "rb") as f:
            old[name] = f.read()
    written = []
    if args.only in (None, "torch"):
        obj = torch_file(load(TORCH_FILE))
        dump(obj, os.path.join(out_dir, TORCH_FILE), final_newline=False)
        written.append(TORCH_FILE)
    if args.only in (None, "lucid"):
        obj = lucid_file(load(LUCID_FILE), args.samples, args.seed)
        dump(obj, os.path.join(out_dir, LUCID_FILE), final_newline=True)
        written.append(LUCID_FILE)
    print(f"wrote {', '.join(written)} to {out_dir}")
    if args.compare:
        for name in written:
            compare(name, os.path.join(out_dir, name), old[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
