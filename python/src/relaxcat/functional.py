"""One-shot functions on NumPy arrays: every operation and its backward pass
straight from the parameters, with no distribution to build and keep.

Shapes: parameters ``(*batch, K)`` (``B = prod(batch)`` rows); the
temperature one value or one per batch row; samples ``(*sample_shape,
*batch, K)``, row ``j`` of the flattened sample from parameter row
``j % B``; values to score ``(*sample_shape, *batch, K)``. Randomness: the
stream ``(seed, offset)`` (sample row ``j`` is stream row ``offset + j``), or
rows taken from a :class:`relaxcat.Generator` (default: the module's, see
:func:`relaxcat.manual_seed`).

Each function is the C function of the same name (``relaxcat_<op>_f32`` /
``_f64``): the same checks, the same errors (a :class:`relaxcat.Error`;
nothing written to ``out`` on error) and the same bits.
"""

import ctypes as C
import math

import numpy as np

from . import _errors
from ._arrays import ParamRows, address, float_array, output, rows_of
from ._context import default_context, default_generator
from ._library import lib

_MASK64 = 2**64 - 1


def _ctx(context):
    return (context or default_context()).address


def _sample_rows(p, sample_shape):
    sample_shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
    s = math.prod(sample_shape)
    return sample_shape, s * p.batch_rows


def stream(rows, seed=None, offset=0, generator=None):
    """``(seed, offset)`` of ``rows`` stream rows: the given seed, else rows
    taken from ``generator`` (or the default generator)."""
    if seed is not None:
        return int(seed) & _MASK64, int(offset) & _MASK64
    return (generator or default_generator()).take(rows)


def sample_outputs(out, outputs, shape, dtype):
    """The ``outputs`` sample arrays of a sampler (new, or ``out``: one array,
    or a tuple of ``outputs``) and their ``(address, ld)`` arguments, in order."""
    given = (out,) if outputs == 1 else (out or (None,) * outputs)
    if len(given) != outputs:
        raise ValueError(f"out must be a tuple of {outputs} arrays")
    arrays = [output(o, shape, dtype, "out") for o in given]
    args = []
    for a, ld in arrays:
        args += [address(a), ld]
    return arrays, args


def _sampler(name, outputs):
    def sample(
        temperature,
        probs=None,
        logits=None,
        sample_shape=(),
        *,
        seed=None,
        offset=0,
        generator=None,
        out=None,
        validate=True,
        context=None,
    ):
        p = ParamRows(temperature, probs, logits, validate)
        sample_shape, rows = _sample_rows(p, sample_shape)
        shape = sample_shape + p.batch_shape + (p.k,)
        arrays, args = sample_outputs(out, outputs, shape, p.dtype)
        s, o = stream(rows, seed, offset, generator)
        fn = getattr(p.typed, name)
        lib.check(fn(_ctx(context), C.byref(p.struct), s, o, 0, rows, *args))
        return arrays[0][0] if outputs == 1 else tuple(a for a, _ in arrays)

    return sample


rsample = _sampler("rsample_rows", 1)
rsample.__name__ = "rsample"
rsample.__doc__ = """Relaxed samples ``y`` on the simplex, shape ``(*sample_shape, *batch, K)``."""

rsample_log = _sampler("rsample_log_rows", 1)
rsample_log.__name__ = "rsample_log"
rsample_log.__doc__ = """Log-space samples ``x = ln y`` (no underflow; masked categories -inf)."""

rsample_hard = _sampler("rsample_hard_rows", 2)
rsample_hard.__name__ = "rsample_hard"
rsample_hard.__doc__ = """Straight-through samples: ``(hard, soft)``, the one-hot rows at the
argmax of ``soft`` and the relaxed samples they came from. ``out`` is a pair."""

rsample_with_log = _sampler("rsample_with_log_rows", 2)
rsample_with_log.__name__ = "rsample_with_log"
rsample_with_log.__doc__ = """``(y, ln y)`` from one draw: the forward pass whose backward pass
needs no transcendental function. ``out`` is a pair."""


def _value_rows(p, value, name="value"):
    v = float_array(value, name, p.dtype)
    tail = p.batch_shape + (p.k,)
    if v.ndim < len(tail) or v.shape[v.ndim - len(tail) :] != tail:
        raise _errors.InvalidShapeError(f"{name} has shape {v.shape}; expected (*sample_shape, *{tail})")
    v, ld = rows_of(v)
    return v, ld, int(np.prod(v.shape[:-1], dtype=np.int64))


def _density(name):
    def density(value, temperature, probs=None, logits=None, *, out=None, validate=True, context=None):
        p = ParamRows(temperature, probs, logits, validate)
        v, ld, n = _value_rows(p, value)
        o, _ = output(out, v.shape[:-1], p.dtype, "out")
        lib.check(getattr(p.typed, name)(_ctx(context), C.byref(p.struct), n, address(v), ld, address(o)))
        return o

    return density


log_prob = _density("log_prob")
log_prob.__name__ = "log_prob"
log_prob.__doc__ = """Log-densities of values ``y`` on the simplex, shape ``value.shape[:-1]``."""

log_prob_x = _density("log_prob_x")
log_prob_x.__name__ = "log_prob_x"
log_prob_x.__doc__ = """Log-densities of log-space values ``x = ln y`` (the density of ``x``,
not of ``y``)."""


def _grad_temperature_shape(temperature, p):
    t = np.shape(temperature)
    return t if np.size(temperature) == 1 or int(np.prod(t)) == p.batch_rows else p.batch_shape


def rsample_backward(
    grad, temperature, probs=None, logits=None, *, soft=None, log=None, log_space=False, validate=True, context=None
):
    """The sampler's backward pass: given the samples (``soft`` = y and/or
    ``log`` = ln y, as the forward pass gave them) and the upstream gradient
    ``grad`` (w.r.t. y, or w.r.t. ln y when ``log_space``), returns
    ``(grad_params, grad_temperature)``: the gradient w.r.t. the logits or
    probs given, and w.r.t. the temperature (its shape)."""
    p = ParamRows(temperature, probs, logits, validate)
    if soft is None and log is None:
        raise _errors.NullPointerError("give the sample: soft, log or both")
    g, g_ld, n = _value_rows(p, grad, "grad")
    samples, ins = [], []
    for a, name in ((soft, "soft"), (log, "log")):
        if a is None:
            ins += [None, 0]
            continue
        a, ld, _ = _value_rows(p, a, name)
        if a.shape != g.shape:
            raise _errors.InvalidShapeError(f"{name} has shape {a.shape}, grad {g.shape}")
        samples.append(a)  # alive until the call returns
        ins += [address(a), ld]
    gp = np.empty(p.batch_shape + (p.k,), p.dtype)
    gt = np.empty(p.temperature.size, p.dtype)
    logits_out = (None, 0) if p.is_probs else (address(gp), p.k)
    probs_out = (address(gp), p.k) if p.is_probs else (None, 0)
    fn = p.typed.rsample_log_backward if log_space else p.typed.rsample_backward
    lib.check(
        fn(_ctx(context), C.byref(p.struct), n, *ins, address(g), g_ld, *logits_out, *probs_out, address(gt), gt.size)
    )
    return gp, gt.reshape(_grad_temperature_shape(temperature, p))


def log_prob_backward(value, grad, temperature, probs=None, logits=None, *, log_space=False, validate=True, context=None):
    """The log-density's backward pass, fused with it: given values and the
    upstream gradient ``grad`` (shape ``value.shape[:-1]``), returns
    ``(log_prob, grad_params, grad_temperature, grad_value)``. With
    ``log_space`` the values are ``x = ln y`` and ``grad_value`` is w.r.t. x."""
    p = ParamRows(temperature, probs, logits, validate)
    v, ld, n = _value_rows(p, value)
    g = np.ascontiguousarray(float_array(grad, "grad", p.dtype))
    if g.shape != v.shape[:-1]:
        raise _errors.InvalidShapeError(f"grad has shape {g.shape}, expected {v.shape[:-1]}")
    lp = np.empty(v.shape[:-1], p.dtype)
    gp = np.empty(p.batch_shape + (p.k,), p.dtype)
    gt = np.empty(p.temperature.size, p.dtype)
    gv = np.empty(v.shape, p.dtype)
    logits_out = (None, 0) if p.is_probs else (address(gp), p.k)
    probs_out = (address(gp), p.k) if p.is_probs else (None, 0)
    fn = p.typed.log_prob_x_backward if log_space else p.typed.log_prob_backward
    lib.check(
        fn(
            _ctx(context),
            C.byref(p.struct),
            n,
            address(v),
            ld,
            address(g),
            *logits_out,
            *probs_out,
            address(gt),
            gt.size,
            address(gv),
            max(p.k, 1),
            address(lp),
        )
    )
    return lp, gp, gt.reshape(_grad_temperature_shape(temperature, p)), gv


TOP_K_ALL = 2**64 - 1  # RELAXCAT_TOP_K_ALL (SIZE_MAX): no top-k restriction


def categorical_sample(
    logits,
    temperature=1.0,
    num_samples=1,
    *,
    top_k=None,
    seed=None,
    offset=0,
    generator=None,
    return_log_prob=False,
    out=None,
    validate=True,
    context=None,
):
    """Category indices drawn from ``softmax(logits / temperature)``: shape
    ``(num_samples, *batch)``, int64 (``num_samples`` may be a shape tuple).

    Exact (an exponential race over the categories; docs/SPEC.md), one pass
    per row. ``temperature`` is one value or one per batch row; 0 is greedy
    argmax (ties to the lowest index). ``top_k``: only the ``top_k`` largest
    logits of a row can be drawn. ``-inf`` masks a category. With
    ``return_log_prob``, also the log-probability of each drawn index under
    the tempered, top-k-restricted distribution: ``(indices, log_prob)``.
    ``relaxcat_categorical_sample_f32`` / ``_f64``."""
    w, ld = rows_of(float_array(logits, "logits"))
    batch_shape, k = w.shape[:-1], w.shape[-1]
    b = math.prod(batch_shape)
    from ._arrays import temperature_rows

    t = temperature_rows(temperature, batch_shape, w.dtype)
    sample_shape = (num_samples,) if isinstance(num_samples, int) else tuple(num_samples)
    rows = math.prod(sample_shape) * b
    shape = sample_shape + batch_shape
    idx, _ = output(out, shape, np.dtype(np.int64), "out")
    lp = np.empty(shape, w.dtype) if return_log_prob else None
    s, o = stream(rows, seed, offset, generator)
    fn = lib.typed(w.dtype.name).categorical_sample
    lib.check(
        fn(
            _ctx(context),
            b,
            k,
            address(w),
            ld,
            address(t),
            t.size,
            TOP_K_ALL if top_k is None else int(top_k),
            0 if validate else 1,
            s,
            o,
            0,
            rows,
            address(idx),
            None if lp is None else address(lp),
        )
    )
    return (idx, lp) if return_log_prob else idx


def _row_kernel(name, vector_out):
    def kernel(x, *, out=None, context=None):
        a, ld = rows_of(float_array(x, "x"))
        rows = int(np.prod(a.shape[:-1], dtype=np.int64))
        shape = a.shape[:-1] if vector_out else a.shape
        o, o_ld = output(out, shape, a.dtype, "out")
        fn = getattr(lib.typed(a.dtype.name), name)
        args = [address(o)] if vector_out else [address(o), o_ld]
        lib.check(fn(_ctx(context), rows, a.shape[-1], address(a), ld, *args))
        return o

    kernel.__name__ = name
    return kernel


logsumexp = _row_kernel("logsumexp", True)
logsumexp.__doc__ = """``log(sum(exp(x), axis=-1))``, rows of the last axis."""
softmax = _row_kernel("softmax", False)
softmax.__doc__ = """Softmax over the last axis."""
log_softmax = _row_kernel("log_softmax", False)
log_softmax.__doc__ = """Log-softmax over the last axis."""
