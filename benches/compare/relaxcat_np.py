"""relaxcat on NumPy arrays through the C ABI, without copies.

A thin layer over examples/python/relaxcat_ctypes.py (which declares the
signatures): every call passes the arrays' own data pointers, so relaxcat
reads and writes the caller's NumPy buffers in place. Arrays must be
C-contiguous float32 (or float64 with t="f64"); the leading dimension
passed is K.

Used by benches/compare/compare.py, scripts/simplex_plot.py and
examples/sharding/.
"""

import ctypes as C
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

import relaxcat_ctypes as rc  # noqa: E402

NO_VALIDATE = rc.NO_VALIDATE


def default_library():
    """$RELAXCAT_LIB, else target/release/librelaxcat.so of this checkout."""
    path = os.environ.get("RELAXCAT_LIB")
    if path:
        return path
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "librelaxcat.so")


class Lib:
    """The loaded library: contexts, generators, distributions, row kernels."""

    def __init__(self, path=None):
        self.path = path or default_library()
        self.rc = rc.Relaxcat(self.path)
        self.lib = self.rc.lib

    def call(self, name, *args):
        self.rc.call(name, *args)

    def version(self):
        return self.lib.relaxcat_version_string().decode()

    def context(self, threads, backend=None):
        return Context(self, threads, backend)

    def generator(self, seed):
        return Generator(self, seed)

    def dist(self, logits, temperature, ctx=None, validate=True):
        return Dist(self, logits, temperature, ctx, validate)

    def logsumexp(self, ctx, x, out):
        rows, k = x.shape
        t = _kind(x)
        self.call(f"relaxcat_logsumexp_{t}", _h(ctx), rows, k, ptr(x), k, ptr(out))
        return out


class Context:
    def __init__(self, lib, threads, backend=None):
        self.lib = lib
        self.handle = C.c_void_p()
        b = backend.encode() if backend else None
        lib.call("relaxcat_context_new", threads, b, C.byref(self.handle))

    def backend(self):
        out = C.c_char_p()
        self.lib.call("relaxcat_context_backend", self.handle, C.byref(out))
        return out.value.decode()

    def __del__(self):
        if self.handle:
            self.lib.lib.relaxcat_context_free(self.handle)
            self.handle = None


class Generator:
    def __init__(self, lib, seed):
        self.lib = lib
        self.handle = C.c_void_p()
        lib.call("relaxcat_generator_new", seed, C.byref(self.handle))

    def __del__(self):
        if self.handle:
            self.lib.lib.relaxcat_generator_free(self.handle)
            self.handle = None


def _kind(a):
    if a.dtype == np.float32:
        return "f32"
    if a.dtype == np.float64:
        return "f64"
    raise TypeError(f"relaxcat takes float32 or float64 arrays, not {a.dtype}")


def ptr(a):
    """The data pointer of a C-contiguous float array (NULL for None)."""
    if a is None:
        return None
    if not a.flags.c_contiguous:
        raise ValueError("relaxcat_np needs C-contiguous arrays")
    return a.ctypes.data_as(rc.flt_p if a.dtype == np.float32 else rc.dbl_p)


def _h(obj):
    return obj.handle if obj is not None else None


class Dist:
    """A relaxcat_dist_{f32,f64} built from a B x K logits array."""

    def __init__(self, lib, logits, temperature, ctx=None, validate=True):
        self.lib, self.t = lib, _kind(logits)
        self.rows, self.k = logits.shape
        temp = np.ascontiguousarray(np.atleast_1d(np.asarray(temperature, dtype=logits.dtype)))
        self.temperature_len = temp.size
        self.handle = C.c_void_p()
        lib.call(
            f"relaxcat_dist_{self.t}_new",
            _h(ctx),
            self.rows,
            self.k,
            ptr(temp),
            temp.size,
            None,
            self.k,
            ptr(logits),
            self.k,
            0 if validate else NO_VALIDATE,
            C.byref(self.handle),
        )

    def close(self):
        if self.handle:
            self.lib.lib[f"relaxcat_dist_{self.t}_free"](self.handle)
            self.handle = None

    def __del__(self):
        self.close()

    def _f(self, verb):
        return f"relaxcat_dist_{self.t}_{verb}"

    def rsample(self, gen, samples, out):
        self.lib.call(self._f("rsample"), self.handle, gen.handle, samples, ptr(out), self.k)
        return out

    def rsample_hard(self, gen, samples, hard, soft):
        self.lib.call(self._f("rsample_hard"), self.handle, gen.handle, samples, ptr(hard), self.k, ptr(soft), self.k)
        return hard, soft

    def rsample_rows(self, seed, offset, begin, end, out):
        self.lib.call(self._f("rsample_rows"), self.handle, seed, offset, begin, end, ptr(out), self.k)
        return out

    def rsample_with_log(self, gen, samples, soft, log):
        self.lib.call(self._f("rsample_with_log"), self.handle, gen.handle, samples, ptr(soft), self.k, ptr(log), self.k)
        return soft, log

    def log_prob(self, value, out):
        self.lib.call(self._f("log_prob"), self.handle, value.shape[0], ptr(value), self.k, ptr(out))
        return out

    def rsample_backward(self, soft, log, grad, grad_logits=None, grad_temperature=None):
        """Gradients w.r.t. the logits and the temperature for upstream `grad` w.r.t. y."""
        k = self.k
        self.lib.call(
            self._f("rsample_backward"),
            self.handle,
            grad.shape[0],
            ptr(soft),
            k,
            ptr(log),
            k,
            ptr(grad),
            k,
            ptr(grad_logits),
            k,
            None,
            k,
            None,
            k,
            ptr(grad_temperature),
            0 if grad_temperature is None else grad_temperature.size,
        )

    def log_prob_backward(self, value, grad, grad_logits=None, grad_temperature=None, log_prob=None):
        """The fused log_prob forward and its backward w.r.t. logits and temperature."""
        k = self.k
        self.lib.call(
            self._f("log_prob_backward"),
            self.handle,
            value.shape[0],
            ptr(value),
            k,
            ptr(grad),
            ptr(grad_logits),
            k,
            None,
            k,
            None,
            k,
            ptr(grad_temperature),
            0 if grad_temperature is None else grad_temperature.size,
            None,
            k,
            ptr(log_prob),
        )


class OneShot:
    """The one-shot entry points on a B x K logits array read in place: no
    handle, the parameters as given each call (a training step)."""

    def __init__(self, lib, logits, temperature, ctx=None, validate=True):
        self.lib, self.t, self.ctx = lib, _kind(logits), _h(ctx)
        self.rows, self.k = logits.shape
        self.temp = np.ascontiguousarray(np.atleast_1d(np.asarray(temperature, dtype=logits.dtype)))
        self.logits = logits
        self.params = rc.PARAMS[self.t](
            self.rows,
            self.k,
            ptr(self.temp),
            self.temp.size,
            None,
            self.k,
            ptr(logits),
            self.k,
            0 if validate else NO_VALIDATE,
        )

    def rsample_with_log_rows(self, seed, offset, begin, end, soft, log):
        k = self.k
        self.lib.call(
            f"relaxcat_rsample_with_log_rows_{self.t}",
            self.ctx, C.byref(self.params), seed, offset, begin, end, ptr(soft), k, ptr(log), k,
        )

    def rsample_backward(self, soft, log, grad, grad_logits=None, grad_temperature=None):
        k = self.k
        self.lib.call(
            f"relaxcat_rsample_backward_{self.t}",
            self.ctx, C.byref(self.params), grad.shape[0], ptr(soft), k, ptr(log), k, ptr(grad), k,
            ptr(grad_logits), k, None, k, ptr(grad_temperature),
            0 if grad_temperature is None else grad_temperature.size,
        )

    def log_prob_backward(self, value, grad, grad_logits=None, grad_temperature=None, log_prob=None):
        k = self.k
        self.lib.call(
            f"relaxcat_log_prob_backward_{self.t}",
            self.ctx, C.byref(self.params), value.shape[0], ptr(value), k, ptr(grad),
            ptr(grad_logits), k, None, k, ptr(grad_temperature),
            0 if grad_temperature is None else grad_temperature.size, None, k, ptr(log_prob),
        )
