"""NumPy arrays as the C ABI's row-major matrices, without copies where the
layout allows it.

A ``(*batch, K)`` array is ``B = prod(batch)`` rows of ``K`` when its last
axis is contiguous and its batch axes step through memory by one row
stride ``ld >= K`` (a slice ``a[:, :K]`` of a wider array, or a C-ordered
array): the library then reads it in place with that ``ld``. Any other
layout (transposed, negative or zero strides) is copied once.
"""

import math

import numpy as np

from . import _errors
from ._library import Params

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
NO_VALIDATE = 1


def float_array(x, name, dtype=None):
    """``x`` as a float32/float64 array: float arrays keep their type (or
    take ``dtype``), anything else becomes float64."""
    a = x if type(x) is np.ndarray else np.asarray(x)
    if dtype is not None:
        return a.astype(dtype, copy=False)
    if a.dtype in FLOAT_DTYPES:
        return a
    if a.dtype.kind in "biuf":
        return a.astype(np.float64)
    raise TypeError(f"{name} must be a float32 or float64 array, not {a.dtype}")


def row_stride(a):
    """The leading dimension (in elements) of ``a`` seen as rows of its last
    axis, or None if its layout is not rows at one stride."""
    k = a.shape[-1]
    item = a.itemsize
    if k > 1 and a.strides[-1] != item:
        return None
    dims = [(n, s) for n, s in zip(a.shape[:-1], a.strides[:-1]) if n != 1]
    if not dims:
        return max(k, 1)
    row = dims[-1][1]
    expected = row
    for n, s in reversed(dims):
        if s != expected:
            return None
        expected = s * n
    if row <= 0 or row % item or row // item < k:
        return None
    return row // item


def rows_of(a):
    """``(array, ld)``: ``a`` (or a contiguous copy) and its row stride."""
    if a.ndim == 0:
        raise _errors.InvalidShapeError("expected an array with a last (event) axis, got a scalar")
    if a.flags.c_contiguous:
        return a, max(a.shape[-1], 1)
    ld = row_stride(a)
    if ld is None:
        a = np.ascontiguousarray(a)
        ld = max(a.shape[-1], 1)
    return a, ld


def output(out, shape, dtype, name):
    """``(array, ld)`` for an output: a new array, or ``out`` checked for
    shape, dtype, writability and a row layout."""
    if out is None:
        a = np.empty(shape, dtype)
        return a, max(shape[-1], 1) if shape else 1
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, not {type(out).__name__}")
    if out.shape != tuple(shape):
        raise _errors.InvalidShapeError(f"{name} has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}, expected {dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not shape:
        return out, 1
    ld = row_stride(out) if len(shape) > 0 and out.ndim > 0 else 1
    if ld is None:
        raise _errors.InvalidShapeError(
            f"{name} with strides {out.strides} is not rows at one stride with a contiguous last axis"
        )
    if out.ndim == 1 or len(shape) == 1:
        # A vector output (log-densities) must be contiguous.
        if out.size > 1 and out.strides[-1] != out.itemsize:
            raise _errors.InvalidShapeError(f"{name} must be contiguous")
    return out, ld


def address(a):
    """The address of an array's first element (None when it is empty)."""
    return a.ctypes.data if a.size else None


class ParamRows:
    """The parameters of a call: ``logits`` or ``probs`` of shape
    ``(*batch, K)`` and a temperature (a scalar, or one per batch row:
    shape ``batch`` or ``batch + (1,)``), in the dtype of the parameters."""

    def __init__(self, temperature, probs=None, logits=None, validate=True):
        if (logits is None) == (probs is None):
            raise _errors.InvalidParameterChoiceError("give exactly one of probs and logits")
        self.is_probs = probs is not None
        name = "probs" if self.is_probs else "logits"
        w = float_array(probs if self.is_probs else logits, name)
        w, self.ld = rows_of(w)
        self.weights = w
        self.dtype = w.dtype
        self.batch_shape = w.shape[:-1]
        self.k = w.shape[-1]
        self.batch_rows = math.prod(self.batch_shape)
        self.temperature = temperature_rows(temperature, self.batch_shape, self.dtype)
        self.validate = bool(validate)
        self.struct = params_struct(
            self.batch_rows,
            self.k,
            address(self.temperature),
            self.temperature.size,
            address(w),
            self.ld,
            self.is_probs,
            self.validate,
        )

    @property
    def typed(self):
        from ._library import lib

        return lib.typed(self.dtype.name)


def params_struct(batch_rows, k, temperature, temperature_len, weights, ld, is_probs, validate):
    """A ``relaxcat_params`` struct over the given addresses."""
    return Params(
        batch_rows,
        k,
        temperature,
        temperature_len,
        weights if is_probs else None,
        ld if is_probs else 0,
        None if is_probs else weights,
        0 if is_probs else ld,
        0 if validate else NO_VALIDATE,
    )


def temperature_rows(temperature, batch_shape, dtype):
    """The temperature as the C ABI takes it: one value, or one per batch
    row (contiguous). ``(*batch, 1)`` means one per row (not a broadcast
    against the event axis)."""
    if isinstance(temperature, (float, int)):
        return np.array((temperature,), dtype=dtype)
    t = np.asarray(temperature, dtype=dtype)
    batch_shape = tuple(batch_shape)
    if t.size == 1:
        return np.ascontiguousarray(t.reshape(1))
    shape = t.shape
    if len(shape) == len(batch_shape) + 1 and shape[-1] == 1:
        shape = shape[:-1]
        t = t.reshape(shape)
    try:
        t = np.broadcast_to(t, batch_shape)
    except ValueError:
        raise _errors.InvalidShapeError(
            f"temperature has shape {np.shape(temperature)}; expected one value or one per batch row "
            f"(shape {batch_shape} or {batch_shape + (1,)})"
        ) from None
    return np.ascontiguousarray(t.reshape(-1))
