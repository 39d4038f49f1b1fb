"""``relaxcat.torch.RelaxedOneHotCategorical``: a drop-in for
``torch.distributions.RelaxedOneHotCategorical`` on relaxcat's kernels.

Same constructor, attributes, shapes, validation messages and broadcasting
as torch's class; samples come from relaxcat's generator stream seeded by a
draw from torch's generator (so ``torch.manual_seed`` reproduces a run, with
other bits than torch's own noise), and every gradient (logits or probs,
temperature, value) comes from relaxcat's analytic backward kernels.

Two deliberate differences:
- a temperature with one value per batch row, shape ``batch_shape`` or
  ``batch_shape + (1,)``, is one temperature per row in ``rsample`` *and*
  ``log_prob`` (torch's ``log_prob`` broadcasts ``(n, 1)`` against ``(n,)``
  into ``(n, n)``, pytorch#37162);
- the parameters are not normalised at construction: ``probs`` and
  ``logits`` are computed on first access (the kernels take any shift of
  the logits and any scale of the probs).

Tensors relaxcat does not compute on (other devices than the CPU, dtypes
other than float32/float64) and temperatures of other shapes go to torch's
own class, unchanged: never a wrong result.
"""

import torch
from torch.distributions import Distribution, constraints
from torch.distributions.utils import lazy_property, logits_to_probs, probs_to_logits

from . import _ops

_FLOATS = (torch.float32, torch.float64)


def _supported(param, temperature):
    return (
        param.dtype in _FLOATS
        and param.device.type == "cpu"
        and temperature.device.type == "cpu"
        and param.layout == torch.strided
    )


def _temperature_rows(temperature, batch_shape):
    """The temperature as the kernels take it, ``(1,)`` or ``(B,)``, or None
    when its shape is not one value or one per batch row."""
    if temperature.numel() == 1:
        return temperature.reshape(1)
    shape = tuple(temperature.shape)
    batch = tuple(batch_shape)
    if len(shape) == len(batch) + 1 and shape[-1] == 1:
        shape = shape[:-1]
    try:
        if torch.broadcast_shapes(shape, batch) != torch.Size(batch):
            return None
    except RuntimeError:
        return None
    return temperature.reshape(shape).expand(batch).reshape(-1)


class RelaxedOneHotCategorical(Distribution):
    r"""The RelaxedOneHotCategorical (Concrete / Gumbel-softmax) distribution,
    as ``torch.distributions.RelaxedOneHotCategorical(temperature, probs,
    logits, validate_args)``, computed by relaxcat."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        param = probs if probs is not None else logits
        name = "probs" if probs is not None else "logits"
        if not isinstance(param, torch.Tensor):
            param = torch.as_tensor(param, dtype=torch.get_default_dtype())
        if param.dim() < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if not isinstance(temperature, torch.Tensor):
            temperature = torch.as_tensor(temperature, dtype=param.dtype if param.is_floating_point() else None)
        self.temperature = temperature
        self._fallback = None
        batch_shape = param.shape[:-1]
        rows = _temperature_rows(temperature, batch_shape) if _supported(param, temperature) else None
        if rows is None:
            self._fallback = torch.distributions.RelaxedOneHotCategorical(temperature, probs, logits, validate_args)
            super().__init__(self._fallback.batch_shape, self._fallback.event_shape, validate_args=False)
            self._validate_args = self._fallback._validate_args
            return
        self._is_probs = probs is not None
        self._param = param
        self._temperature_rows = rows.to(param.dtype)
        self._num_events = param.shape[-1]
        self._rows = param.reshape(-1, self._num_events)  # (B, K), a view when it can be
        # Distribution.__init__ checks only the parameters already in
        # __dict__; probs/logits are lazy, so the check is ours (_check_args).
        super().__init__(batch_shape, param.shape[-1:], validate_args=False)
        if validate_args is not None:
            self._validate_args = validate_args
        else:
            self._validate_args = Distribution._validate_args
        if self._validate_args:
            self._check_args()

    # --------------------------------------------------------- parameters

    def _check_args(self):
        """torch's argument check at the cost of one reduction: only when
        the parameters look invalid is torch's own check run, for its exact
        message."""
        p = self._param.detach()
        if self._is_probs:
            s = p.sum(-1)
            bad = not bool(torch.isfinite(s).all() and (s > 0).all() and (p.amin(-1) >= 0).all())
        else:
            bad = not bool(torch.isfinite(p.amax(-1)).all()) if p.numel() else False
        t = self.temperature.detach()
        if bad:
            name = "probs" if self._is_probs else "logits"
            value = getattr(self, name)
            constraint = self.arg_constraints[name]
            valid = constraint.check(value)
            if not torch._is_all_true(valid):
                raise ValueError(
                    f"Expected parameter {name} "
                    f"({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {repr(self)} "
                    f"to satisfy the constraint {repr(constraint)}, "
                    f"but found invalid values:\n{value}"
                )
            raise ValueError(f"Expected parameter {name} of distribution {repr(self)} to have a finite, positive row total")
        if not bool(torch.isfinite(t).all() and (t > 0).all()):
            raise ValueError(
                f"Expected parameter temperature (Tensor of shape {tuple(t.shape)}) of distribution "
                f"{repr(self)} to be finite and positive, but found invalid values:\n{t}"
            )

    @lazy_property
    def logits(self):
        """Normalised logits, ``log(probs)``."""
        if self._fallback is not None:
            return self._fallback.logits
        if self._is_probs:
            return probs_to_logits(self.probs)
        return self._param - self._param.logsumexp(dim=-1, keepdim=True)

    @lazy_property
    def probs(self):
        """Normalised probabilities."""
        if self._fallback is not None:
            return self._fallback.probs
        if self._is_probs:
            return self._param / self._param.sum(-1, keepdim=True)
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size() if self._fallback is None else self._fallback.base_dist._categorical.param_shape

    def __repr__(self):
        name = "probs" if getattr(self, "_is_probs", False) else "logits"
        if self._fallback is not None:
            return f"{type(self).__name__}(torch fallback: {self._fallback!r})"
        return f"{type(self).__name__}({name}: {self._param.size()}, temperature: {self.temperature.size()})"

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        batch_shape = torch.Size(batch_shape)
        new._fallback = None
        if self._fallback is not None:
            new._fallback = self._fallback.expand(batch_shape)
            new.temperature = new._fallback.temperature
            super(RelaxedOneHotCategorical, new).__init__(batch_shape, self.event_shape, validate_args=False)
            new._validate_args = self._validate_args
            return new
        new._is_probs = self._is_probs
        new._num_events = self._num_events
        new._param = self._param.expand(batch_shape + self.event_shape)
        new._rows = new._param.reshape(-1, self._num_events)
        if self._temperature_rows.numel() == 1:
            new.temperature = self.temperature
            new._temperature_rows = self._temperature_rows
        else:
            t = self._temperature_rows.reshape(self.batch_shape).expand(batch_shape)
            new.temperature = t
            new._temperature_rows = t.reshape(-1)
        super(RelaxedOneHotCategorical, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # --------------------------------------------------------- sampling

    def rsample(self, sample_shape=torch.Size(), generator=None):
        """Relaxed samples, shape ``sample_shape + batch_shape + event_shape``,
        differentiable w.r.t. the parameters and the temperature. The noise
        stream is seeded by one draw from ``generator`` (default: torch's)."""
        if self._fallback is not None:
            return self._fallback.rsample(sample_shape)
        shape = self._extended_shape(sample_shape)
        rows = shape.numel() // max(self._num_events, 1) if self._num_events else 0
        soft = _ops.sample(self._rows, self._is_probs, self._temperature_rows, rows, generator)
        return soft.reshape(shape)

    def sample(self, sample_shape=torch.Size(), generator=None):
        """As ``rsample``, without gradient."""
        with torch.no_grad():
            return self.rsample(sample_shape, generator)

    def rsample_hard(self, sample_shape=torch.Size(), generator=None):
        """Straight-through samples (relaxcat's addition to torch's API): the
        one-hot rows at the argmax of a relaxed sample, whose gradient is
        taken as that of the relaxed sample."""
        if self._fallback is not None:
            y = self._fallback.rsample(sample_shape)
            hard = torch.zeros_like(y).scatter_(-1, y.argmax(-1, keepdim=True), 1.0)
            return hard - y.detach() + y
        shape = self._extended_shape(sample_shape)
        rows = shape.numel() // max(self._num_events, 1) if self._num_events else 0
        hard = _ops.sample_hard(self._rows, self._is_probs, self._temperature_rows, rows, generator)
        return hard.reshape(shape)

    # --------------------------------------------------------- density

    def log_prob(self, value):
        """Log-densities of ``value`` (on the simplex), broadcast against the
        batch shape as torch does; shape ``broadcast(value.shape[:-1],
        batch_shape)``."""
        if self._fallback is not None:
            return self._fallback.log_prob(value)
        if self._validate_args:
            self._validate_sample(value)
        k = self._num_events
        value = value.to(self._param.dtype) if value.dtype != self._param.dtype else value
        full = torch.broadcast_shapes(value.shape[:-1], self.batch_shape)
        nb = len(self.batch_shape)
        param_batch = full[len(full) - nb :] if nb else torch.Size()
        w = self._param
        t = self._temperature_rows
        if param_batch != self.batch_shape:
            w = w.expand(param_batch + (k,))
            if t.numel() > 1:
                t = t.reshape(self.batch_shape).expand(param_batch).reshape(-1)
        if value.shape[:-1] != full:
            value = value.expand(full + (k,))
        out = _ops.density(w.reshape(-1, k), self._is_probs, t, value.reshape(-1, k))
        return out.reshape(full)

    # torch's class raises NotImplementedError for these (through
    # Distribution and TransformedDistribution); so does this one.
    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError

    @property
    def variance(self):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError
