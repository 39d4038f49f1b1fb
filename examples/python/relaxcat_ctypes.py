#!/usr/bin/env python3
"""relaxcat from Python through ctypes (standard library only).

Loads the shared library, builds distributions, samples and scores, and
checks log_prob / log_prob_x against the PyTorch f64 reference values the
repository carries in tests/data/torch_log_prob_f64.json (a missing file
is a failure).

    python3 examples/python/relaxcat_ctypes.py [path/to/librelaxcat.so]

The library is the argument, else $RELAXCAT_LIB, else
target/release/librelaxcat.so of this checkout. Prints "N passed, N failed"
and exits non-zero on any failure.
"""

import ctypes as C
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "tests", "data", "torch_log_prob_f64.json")

status_t = C.c_int32
size_t = C.c_size_t
dbl_p = C.POINTER(C.c_double)
flt_p = C.POINTER(C.c_float)

OK = 0
NULL_POINTER, INVALID_SHAPE, SIZE_OVERFLOW, INVALID_PARAMETER_CHOICE = 1, 2, 3, 4
INVALID_TEMPERATURE, INVALID_PROBS, INVALID_LOGITS, INVALID_VALUE = 5, 6, 7, 8
ALIASING, INVALID_OPTION, INTERNAL, OUT_OF_MEMORY = 9, 10, 11, 12
NO_VALIDATE = 1


class RelaxcatError(RuntimeError):
    """A non-zero relaxcat_status, with the library's message."""

    def __init__(self, status, message):
        super().__init__(f"status {status}: {message}")
        self.status = status


def _params_struct(name, ctype):
    """relaxcat_params_f32 / _f64: the parameters of a one-shot call."""
    return type(
        name,
        (C.Structure,),
        {
            "_fields_": [
                ("batch_rows", size_t),
                ("k", size_t),
                ("temperature", C.POINTER(ctype)),
                ("temperature_len", size_t),
                ("probs", C.POINTER(ctype)),
                ("probs_ld", size_t),
                ("logits", C.POINTER(ctype)),
                ("logits_ld", size_t),
                ("flags", C.c_uint32),
            ]
        },
    )


PARAMS = {
    "f32": _params_struct("relaxcat_params_f32", C.c_float),
    "f64": _params_struct("relaxcat_params_f64", C.c_double),
}


def load(path):
    """Loads the library and declares the signatures this client uses."""
    lib = C.CDLL(path)
    opaque = C.c_void_p
    sigs = {
        "relaxcat_status_str": (C.c_char_p, [status_t]),
        "relaxcat_last_error_message": (C.c_char_p, []),
        "relaxcat_version_string": (C.c_char_p, []),
        "relaxcat_abi_version": (C.c_uint32, []),
        "relaxcat_generator_new": (status_t, [C.c_uint64, C.POINTER(opaque)]),
        "relaxcat_generator_free": (status_t, [opaque]),
        "relaxcat_generator_position": (status_t, [opaque, C.POINTER(C.c_uint64)]),
        "relaxcat_context_new": (status_t, [size_t, C.c_char_p, C.POINTER(opaque)]),
        "relaxcat_context_free": (status_t, [opaque]),
        "relaxcat_context_threads": (status_t, [opaque, C.POINTER(size_t)]),
        "relaxcat_context_backend": (status_t, [opaque, C.POINTER(C.c_char_p)]),
    }
    for t, p in (("f32", flt_p), ("f64", dbl_p)):
        sigs.update(
            {
                f"relaxcat_dist_{t}_new": (
                    status_t,
                    [opaque, size_t, size_t, p, size_t, p, size_t, p, size_t, C.c_uint32, C.POINTER(opaque)],
                ),
                f"relaxcat_dist_{t}_free": (status_t, [opaque]),
                f"relaxcat_dist_{t}_probs": (status_t, [opaque, p, size_t]),
                f"relaxcat_dist_{t}_rsample": (status_t, [opaque, opaque, size_t, p, size_t]),
                f"relaxcat_dist_{t}_rsample_hard": (status_t, [opaque, opaque, size_t, p, size_t, p, size_t]),
                f"relaxcat_dist_{t}_rsample_rows": (
                    status_t,
                    [opaque, C.c_uint64, C.c_uint64, size_t, size_t, p, size_t],
                ),
                f"relaxcat_dist_{t}_log_prob": (status_t, [opaque, size_t, p, size_t, p]),
                f"relaxcat_dist_{t}_log_prob_x": (status_t, [opaque, size_t, p, size_t, p]),
                f"relaxcat_softmax_{t}": (status_t, [opaque, size_t, size_t, p, size_t, p, size_t]),
                # Also declared for other clients (benches/compare, examples/sharding):
                # row kernels, stateless samplers, the fused forward passes and
                # the backward passes.
                f"relaxcat_logsumexp_{t}": (status_t, [opaque, size_t, size_t, p, size_t, p]),
                f"relaxcat_dist_{t}_rsample_log_rows": (
                    status_t,
                    [opaque, C.c_uint64, C.c_uint64, size_t, size_t, p, size_t],
                ),
                f"relaxcat_dist_{t}_rsample_hard_rows": (
                    status_t,
                    [opaque, C.c_uint64, C.c_uint64, size_t, size_t, p, size_t, p, size_t],
                ),
                f"relaxcat_dist_{t}_rsample_with_log": (status_t, [opaque, opaque, size_t, p, size_t, p, size_t]),
                f"relaxcat_dist_{t}_rsample_backward": (
                    status_t,
                    [opaque, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t],
                ),
                f"relaxcat_dist_{t}_log_prob_backward": (
                    status_t,
                    [opaque, size_t, p, size_t, p, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p],
                ),
            }
        )
    # The one-shot entry points take the parameters in a struct.
    for t, p in (("f32", flt_p), ("f64", dbl_p)):
        pp = C.POINTER(PARAMS[t])
        sigs.update(
            {
                f"relaxcat_rsample_with_log_rows_{t}": (
                    status_t,
                    [opaque, pp, C.c_uint64, C.c_uint64, size_t, size_t, p, size_t, p, size_t],
                ),
                f"relaxcat_rsample_backward_{t}": (
                    status_t,
                    [opaque, pp, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t, p, size_t],
                ),
                f"relaxcat_log_prob_backward_{t}": (
                    status_t,
                    [opaque, pp, size_t, p, size_t, p, p, size_t, p, size_t, p, size_t, p, size_t, p],
                ),
            }
        )
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class Relaxcat:
    """A thin Pythonic layer: lists in, lists out, errors as exceptions."""

    def __init__(self, path):
        self.lib = load(path)

    def call(self, name, *args):
        status = getattr(self.lib, name)(*args)
        if status != OK:
            raise RelaxcatError(status, self.lib.relaxcat_last_error_message().decode())

    def array(self, t, values):
        ctype = C.c_double if t == "f64" else C.c_float
        return (ctype * max(len(values), 1))(*values)

    def dist(self, k, temperature, logits=None, probs=None, t="f64", validate=True, ctx=None):
        d = C.c_void_p()
        temp = self.array(t, temperature)
        lg = self.array(t, logits) if logits is not None else None
        pr = self.array(t, probs) if probs is not None else None
        rows = len(logits if logits is not None else probs) // k
        self.call(
            f"relaxcat_dist_{t}_new",
            ctx,
            rows,
            k,
            temp,
            len(temperature),
            pr,
            k,
            lg,
            k,
            0 if validate else NO_VALIDATE,
            C.byref(d),
        )
        return Dist(self, d, rows, k, t)


class Dist:
    """An owned relaxcat_dist_{f32,f64} handle."""

    def __init__(self, rc, handle, rows, k, t):
        self.rc, self.handle, self.rows, self.k, self.t = rc, handle, rows, k, t

    def __del__(self):
        if self.handle:
            self.rc.lib[f"relaxcat_dist_{self.t}_free"](self.handle)
            self.handle = None

    def rsample(self, generator, samples):
        n = samples * self.rows * self.k
        out = self.rc.array(self.t, [0.0] * n)
        self.rc.call(f"relaxcat_dist_{self.t}_rsample", self.handle, generator, samples, out, self.k)
        return list(out)[:n]

    def rsample_hard(self, generator, samples):
        n = samples * self.rows * self.k
        hard, soft = self.rc.array(self.t, [0.0] * n), self.rc.array(self.t, [0.0] * n)
        self.rc.call(f"relaxcat_dist_{self.t}_rsample_hard", self.handle, generator, samples, hard, self.k, soft, self.k)
        return list(hard)[:n], list(soft)[:n]

    def rsample_rows(self, seed, offset, begin, end):
        n = (end - begin) * self.k
        out = self.rc.array(self.t, [0.0] * n)
        self.rc.call(f"relaxcat_dist_{self.t}_rsample_rows", self.handle, seed, offset, begin, end, out, self.k)
        return list(out)[:n]

    def _density(self, name, values):
        rows = len(values) // self.k
        out = self.rc.array(self.t, [0.0] * rows)
        self.rc.call(f"relaxcat_dist_{self.t}_{name}", self.handle, rows, self.rc.array(self.t, values), self.k, out)
        return list(out)[:rows]

    def log_prob(self, values):
        return self._density("log_prob", values)

    def log_prob_x(self, values):
        return self._density("log_prob_x", values)


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", file=sys.stderr)


def number(v):
    """JSON numbers, with "-inf" / "inf" / "nan" strings."""
    return float(v)


def close(got, want, tol):
    if math.isnan(want):
        # Torch gives NaN for an exact zero component (0 * inf); relaxcat
        # returns -inf there: the point is on the boundary, density 0.
        return got == -math.inf
    if math.isinf(want):
        return got == want
    return abs(got - want) <= tol * max(abs(want), 1.0)


def demo(rc, tally):
    lib = rc.lib
    version = lib.relaxcat_version_string().decode()
    tally.check(lib.relaxcat_abi_version() == 1, "ABI version 1")
    print(f"relaxcat {version} (ABI {lib.relaxcat_abi_version()}) via ctypes")

    gen = C.c_void_p()
    rc.call("relaxcat_generator_new", 2024, C.byref(gen))
    try:
        logits = [1.0, 0.5, -0.5, 0.0, 2.0, -1.0, -math.inf, 0.0]
        for t in ("f64", "f32"):
            d = rc.dist(4, [0.5, 2.0], logits=logits, t=t)
            y = d.rsample(gen, 3)
            rows = [y[i : i + 4] for i in range(0, len(y), 4)]
            tol = 1e-12 if t == "f64" else 1e-5
            tally.check(all(abs(sum(r) - 1) < 10 * tol for r in rows), f"{t} rows sum to 1")
            tally.check(all(r[2] == 0.0 for r in rows[1::2]), f"{t} masked category is 0")
            lp = d.log_prob(y)
            tally.check(len(lp) == 6 and all(math.isfinite(v) for v in lp), f"{t} log_prob finite")
            hard, soft = d.rsample_hard(gen, 2)
            for i in range(0, len(soft), 4):
                row = soft[i : i + 4]
                one_hot = [1.0 if j == row.index(max(row)) else 0.0 for j in range(4)]
                tally.check(hard[i : i + 4] == one_hot, f"{t} hard row is one-hot at argmax")
            # Stateless rows equal a generator's draw from the same position.
            fresh = C.c_void_p()
            rc.call("relaxcat_generator_new", 99, C.byref(fresh))
            drawn = d.rsample(fresh, 3)
            lib.relaxcat_generator_free(fresh)
            tally.check(drawn == d.rsample_rows(99, 0, 0, 6), f"{t} stateless rows equal the generator's")
            print(f"  {t}: y[0] = {[round(v, 4) for v in y[:4]]}, log_prob[0] = {lp[0]:.4f}")
        # Errors come back as exceptions carrying the library's message.
        try:
            rc.dist(4, [-1.0], logits=logits)
            tally.check(False, "negative temperature rejected")
        except RelaxcatError as e:
            tally.check(e.status == INVALID_TEMPERATURE and "row 0" in str(e), f"temperature error: {e}")
        try:
            d = rc.dist(4, [1.0], logits=logits)
            d.log_prob([0.5, 0.5, 0.5, 0.5] * 2)
            tally.check(False, "off-simplex value rejected")
        except RelaxcatError as e:
            tally.check(e.status == INVALID_VALUE and "row 0" in str(e), f"value error: {e}")
        try:
            d = rc.dist(4, [1.0], logits=logits)
            d.log_prob([0.25] * 12)  # 3 rows for 2 batch rows
            tally.check(False, "value rows not a multiple of batch rows rejected")
        except RelaxcatError as e:
            tally.check(e.status == INVALID_SHAPE, f"shape error: {e}")
    finally:
        lib.relaxcat_generator_free(gen)


def reference(rc, tally):
    with open(REFERENCE) as f:
        cases = json.load(f)["cases"]
    worst = 0.0
    for case in cases:
        k = case["K"]
        logits = [number(v) for v in case["logits"]]
        d = rc.dist(k, [case["temperature"]], logits=logits, t="f64")
        value = [number(v) for v in case["value"]]
        log_value = [number(v) for v in case["log_value"]]
        got = d.log_prob(value)[0]
        got_x = d.log_prob_x(log_value)[0]
        want, want_x = number(case["log_prob"]), number(case["exp_log_prob"])
        tally.check(close(got, want, 1e-12), f"{case['id']}: log_prob {got!r} vs torch {want!r}")
        tally.check(close(got_x, want_x, 1e-12), f"{case['id']}: log_prob_x {got_x!r} vs torch {want_x!r}")
        for g, w in ((got, want), (got_x, want_x)):
            if math.isfinite(w):
                worst = max(worst, abs(g - w) / max(abs(w), 1.0))
    print(f"  torch reference: {len(cases)} cases, worst relative error {worst:.2e} (f64, limit 1e-12)")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RELAXCAT_LIB")
    path = path or os.path.join(ROOT, "target", "release", "librelaxcat.so")
    if not os.path.exists(path):
        print(f"no shared library at {path}; run cargo build --release", file=sys.stderr)
        return 2
    rc = Relaxcat(path)
    tally = Tally()
    demo(rc, tally)
    reference(rc, tally)
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
