"""``relaxcat.RelaxedOneHotCategorical``: the distribution on NumPy arrays.

It holds a C distribution handle (``relaxcat_dist_{f32,f64}``), which copies
the parameters once and validates them once; every later call reads that
copy. For parameters that change every call (a training step), the
one-shot functions of :mod:`relaxcat.functional` cost less.
"""

import ctypes as C

import numpy as np

from . import functional
from ._arrays import NO_VALIDATE, ParamRows, address, output
from ._context import default_context
from ._library import lib


class RelaxedOneHotCategorical:
    """The RelaxedOneHotCategorical (Concrete / Gumbel-softmax) distribution
    over rows of ``K`` categories, with ``torch.distributions``' argument
    order: ``(temperature, probs=None, logits=None)``.

    ``probs`` or ``logits`` has shape ``(*batch, K)`` (float32 or float64;
    other numbers become float64). ``probs`` may have any positive scale per
    row and ``logits`` any shift; a zero prob or ``-inf`` logit masks its
    category. ``temperature`` is one value, or one per batch row (shape
    ``batch`` or ``batch + (1,)``), in the parameters' dtype.
    """

    def __init__(self, temperature, probs=None, logits=None, validate=True, context=None):
        p = ParamRows(temperature, probs, logits, validate)
        self._p = p
        self.batch_shape = p.batch_shape
        self.event_shape = (p.k,)
        self.dtype = p.dtype
        self.validate = p.validate
        self.temperature = np.asarray(temperature, dtype=p.dtype).copy()
        self._context = context or default_context()
        handle = C.c_void_p()
        fn = p.typed.dist_new
        w = address(p.weights)
        lib.check(
            fn(
                self._context.address,
                p.batch_rows,
                p.k,
                address(p.temperature),
                p.temperature.size,
                w if p.is_probs else None,
                p.ld if p.is_probs else 0,
                None if p.is_probs else w,
                0 if p.is_probs else p.ld,
                0 if p.validate else NO_VALIDATE,
                C.byref(handle),
            )
        )
        self._handle = handle.value
        # The backward passes run one-shot over a private copy of the
        # parameters, already validated.
        self._copy = ParamRows(
            p.temperature.reshape(p.batch_shape + (1,)) if p.temperature.size > 1 else p.temperature,
            np.array(p.weights) if p.is_probs else None,
            None if p.is_probs else np.array(p.weights),
            validate=False,
        )

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle and lib is not None:
            self._p.typed.dist_free(handle)

    def __repr__(self):
        param = "probs" if self._p.is_probs else "logits"
        return (
            f"relaxcat.RelaxedOneHotCategorical({param}: {self.batch_shape + self.event_shape}, "
            f"temperature: {self.temperature.shape}, dtype={self.dtype})"
        )

    @property
    def num_categories(self):
        return self._p.k

    def _normalised(self, name):
        o = np.empty(self.batch_shape + self.event_shape, self.dtype)
        lib.check(getattr(self._p.typed, name)(self._handle, address(o), max(self._p.k, 1)))
        return o

    @property
    def probs(self):
        """The normalised probabilities (computed on each access)."""
        return self._normalised("dist_probs")

    @property
    def logits(self):
        """The normalised logits, ``ln probs`` (computed on each access)."""
        return self._normalised("dist_logits")

    def _sample(self, name, outputs, sample_shape, seed, offset, generator, out):
        sample_shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
        rows = int(np.prod(sample_shape, dtype=np.int64)) * self._p.batch_rows
        shape = sample_shape + self.batch_shape + self.event_shape
        arrays, args = functional.sample_outputs(out, outputs, shape, self.dtype)
        s, o = functional.stream(rows, seed, offset, generator)
        lib.check(getattr(self._p.typed, name)(self._handle, s, o, 0, rows, *args))
        return arrays[0][0] if outputs == 1 else tuple(a for a, _ in arrays)

    def rsample(self, sample_shape=(), *, seed=None, offset=0, generator=None, out=None):
        """Relaxed samples, shape ``(*sample_shape, *batch, K)``. The stream is
        ``(seed, offset)``, else rows taken from ``generator`` (default: the
        module's generator)."""
        return self._sample("dist_rsample_rows", 1, sample_shape, seed, offset, generator, out)

    sample = rsample

    def rsample_log(self, sample_shape=(), *, seed=None, offset=0, generator=None, out=None):
        """Log-space samples ``x = ln y``."""
        return self._sample("dist_rsample_log_rows", 1, sample_shape, seed, offset, generator, out)

    def rsample_hard(self, sample_shape=(), *, seed=None, offset=0, generator=None, out=None):
        """``(hard, soft)``: one-hot rows at the argmax of the relaxed samples."""
        return self._sample("dist_rsample_hard_rows", 2, sample_shape, seed, offset, generator, out)

    def rsample_with_log(self, sample_shape=(), *, seed=None, offset=0, generator=None, out=None):
        """``(y, ln y)`` from one draw."""
        return self._sample("dist_rsample_with_log_rows", 2, sample_shape, seed, offset, generator, out)

    def rsample_hard_index(self, sample_shape=(), *, seed=None, offset=0, generator=None, out=None):
        """The straight-through sample as indices, shape ``(*sample_shape,
        *batch)``: for the same stream, the position of the 1 in
        ``rsample_hard``'s one-hot rows."""
        sample_shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
        rows = int(np.prod(sample_shape, dtype=np.int64)) * self._p.batch_rows
        o, _ = output(out, sample_shape + self.batch_shape, np.dtype(np.int64), "out")
        s, off = functional.stream(rows, seed, offset, generator)
        lib.check(self._p.typed.dist_rsample_hard_index_rows(self._handle, s, off, 0, rows, address(o)))
        return o

    def _density(self, name, value, out):
        v, ld, n = functional._value_rows(self._p, value)
        o, _ = output(out, v.shape[:-1], self.dtype, "out")
        lib.check(getattr(self._p.typed, name)(self._handle, n, address(v), ld, address(o)))
        return o

    def log_prob(self, value, *, out=None):
        """Log-densities of ``value`` (shape ``(*sample_shape, *batch, K)``)."""
        return self._density("dist_log_prob", value, out)

    def log_prob_x(self, value, *, out=None):
        """Log-densities of log-space values ``x = ln y``."""
        return self._density("dist_log_prob_x", value, out)

    def _temperature_given(self):
        """The copied temperature in the shape the one-shot functions take."""
        t = self._copy.temperature
        return t if t.size == 1 else t.reshape(self.batch_shape)

    def _params(self):
        p = self._copy
        return (p.weights, None) if p.is_probs else (None, p.weights)

    def rsample_backward(self, grad, *, soft=None, log=None, log_space=False):
        """``(grad_params, grad_temperature)`` of a sample; see
        :func:`relaxcat.functional.rsample_backward`."""
        probs, logits = self._params()
        return functional.rsample_backward(
            grad,
            self._temperature_given(),
            probs,
            logits,
            soft=soft,
            log=log,
            log_space=log_space,
            validate=False,
            context=self._context,
        )

    def log_prob_backward(self, value, grad, *, log_space=False):
        """``(log_prob, grad_params, grad_temperature, grad_value)``; see
        :func:`relaxcat.functional.log_prob_backward`."""
        probs, logits = self._params()
        return functional.log_prob_backward(
            value,
            grad,
            self._temperature_given(),
            probs,
            logits,
            log_space=log_space,
            validate=self.validate,
            context=self._context,
        )
