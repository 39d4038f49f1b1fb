"""relaxcat's kernels as PyTorch custom operators (``torch.ops.relaxcat.*``),
and the eager path that skips the dispatcher.

Each operator is stateless: it takes the parameters as given (``weights`` =
logits or probs, ``(B, K)``; ``temperature``, ``(1,)`` or ``(B,)``), calls the
one-shot C function of the same name, and returns new tensors. So
``torch.compile`` sees one opaque node per call (no graph break inside it),
``register_fake`` gives it the shapes, and ``register_autograd`` wires the
analytic backward kernels, which are operators too.

Outside ``torch.compile`` and ``torch.jit.trace`` the same implementations
run through ``torch.autograd.Function`` instead: the dispatcher's Python
custom-op path costs about 10 us per call, more than the kernels at small
shapes. Both paths call the same functions (``_*_impl``) on the same
arguments, so they give the same bits (tests/test_torch_ops.py checks).

Randomness: a sampler takes ``seed``, an int64 tensor drawn from a torch
generator by the caller, so ``torch.manual_seed`` reproduces runs and the
operator itself is a pure function of its inputs (as ``opcheck`` requires).
Sample row ``j`` (of ``rows = S * B``) is drawn from parameter row ``j % B``
with stream row ``j``.

Every data pointer goes to C as the tensor's address with its row stride:
a ``(B, K)`` tensor whose rows are equally spaced with a contiguous last
axis is read in place; any other layout is made contiguous first.
"""

import ctypes as C

import torch
from torch import Tensor

from .._arrays import NO_VALIDATE
from .._context import default_context
from .._library import Params, lib

_MASK64 = 2**64 - 1
_FNS = {torch.float32: lib.f32, torch.float64: lib.f64}
_byref = C.byref


def _rows(t):
    """``(tensor, ld)`` with the tensor readable as rows of its last axis."""
    rows, k = t.shape
    if t.is_contiguous():
        return t, max(k, 1)
    if (k <= 1 or t.stride(1) == 1) and (rows <= 1 or t.stride(0) >= k):
        return t, (t.stride(0) if rows > 1 else max(k, 1))
    return t.contiguous(), max(k, 1)


def _addr(t):
    return t.data_ptr() if t.numel() else None


class _Call:
    """The C side of one operator call: the typed functions, the context and
    a ``relaxcat_params`` struct over ``weights`` and ``temperature``."""

    __slots__ = ("weights", "temperature", "batch_rows", "k", "fns", "ctx", "params", "dtype")

    def __init__(self, weights, is_probs, temperature, validate):
        fns = _FNS.get(weights.dtype)
        if fns is None or weights.device.type != "cpu":
            raise TypeError(f"relaxcat operators take CPU float32/float64 tensors, got {weights.dtype} on {weights.device}")
        if temperature.dtype != weights.dtype:
            temperature = temperature.to(weights.dtype)
        if not temperature.is_contiguous():
            temperature = temperature.contiguous()
        w, ld = _rows(weights)
        self.weights, self.temperature, self.fns, self.dtype = w, temperature, fns, weights.dtype
        self.batch_rows, self.k = w.shape
        self.ctx = default_context().address
        a = _addr(w)
        self.params = Params(
            self.batch_rows,
            self.k,
            _addr(temperature),
            temperature.numel(),
            a if is_probs else None,
            ld if is_probs else 0,
            None if is_probs else a,
            0 if is_probs else ld,
            0 if validate else NO_VALIDATE,
        )

    def __call__(self, name, *args):
        lib.check(getattr(self.fns, name)(self.ctx, _byref(self.params), *args))

    def empty(self, *shape):
        return torch.empty(shape, dtype=self.dtype)


# ---------------------------------------------------------------- implementations


def _rsample_impl(weights, is_probs, temperature, seed, rows, validate):
    c = _Call(weights, is_probs, temperature, validate)
    out = c.empty(rows, c.k)
    c("rsample_rows", seed & _MASK64, 0, 0, rows, _addr(out), max(c.k, 1))
    return out


def _rsample_with_log_impl(weights, is_probs, temperature, seed, rows, validate):
    c = _Call(weights, is_probs, temperature, validate)
    soft, log = c.empty(rows, c.k), c.empty(rows, c.k)
    ld = max(c.k, 1)
    c("rsample_with_log_rows", seed & _MASK64, 0, 0, rows, _addr(soft), ld, _addr(log), ld)
    return soft, log


def _rsample_hard_impl(weights, is_probs, temperature, seed, rows, validate):
    c = _Call(weights, is_probs, temperature, validate)
    hard, soft = c.empty(rows, c.k), c.empty(rows, c.k)
    ld = max(c.k, 1)
    c("rsample_hard_rows", seed & _MASK64, 0, 0, rows, _addr(hard), ld, _addr(soft), ld)
    return hard, soft


def _rsample_backward_impl(weights, is_probs, temperature, soft, log, grad):
    c = _Call(weights, is_probs, temperature, False)
    soft, soft_ld = _rows(soft)
    grad, grad_ld = _rows(grad)
    log_ld = 0
    if log is not None:
        log, log_ld = _rows(log)
    gw = c.empty(c.batch_rows, c.k)
    gt = c.empty(c.temperature.numel())
    ld = max(c.k, 1)
    c(
        "rsample_backward",
        soft.shape[0],
        _addr(soft),
        soft_ld,
        None if log is None else _addr(log),
        log_ld,
        _addr(grad),
        grad_ld,
        None if is_probs else _addr(gw),
        0 if is_probs else ld,
        _addr(gw) if is_probs else None,
        ld if is_probs else 0,
        _addr(gt),
        gt.numel(),
    )
    return gw, gt


def _log_prob_impl(weights, is_probs, temperature, value, validate):
    c = _Call(weights, is_probs, temperature, validate)
    value, ld = _rows(value)
    out = c.empty(value.shape[0])
    c("log_prob", value.shape[0], _addr(value), ld, _addr(out))
    return out


def _log_prob_backward_impl(weights, is_probs, temperature, value, grad):
    c = _Call(weights, is_probs, temperature, False)
    value, ld = _rows(value)
    grad = grad.contiguous()
    n = value.shape[0]
    k_ld = max(c.k, 1)
    gw, gt, gv = c.empty(c.batch_rows, c.k), c.empty(c.temperature.numel()), c.empty(n, c.k)
    c(
        "log_prob_backward",
        n,
        _addr(value),
        ld,
        _addr(grad),
        None if is_probs else _addr(gw),
        0 if is_probs else k_ld,
        _addr(gw) if is_probs else None,
        k_ld if is_probs else 0,
        _addr(gt),
        gt.numel(),
        _addr(gv),
        k_ld,
        None,
    )
    return gw, gt, gv


def _categorical_impl(logits, temperature, seed, rows, top_k, want_log_prob, validate):
    c = _Call(logits, False, temperature, validate)
    idx = torch.empty(rows, dtype=torch.int64)
    lp = c.empty(rows) if want_log_prob else c.empty(0)
    w = c.weights
    lib.check(
        c.fns.categorical_sample(
            c.ctx,
            c.batch_rows,
            c.k,
            _addr(w),
            c.params.logits_ld,
            _addr(c.temperature),
            c.temperature.numel(),
            _TOP_K_ALL if top_k < 0 else top_k,
            0 if validate else NO_VALIDATE,
            seed & _MASK64,
            0,
            0,
            rows,
            _addr(idx),
            _addr(lp) if want_log_prob else None,
        )
    )
    return idx, lp


_TOP_K_ALL = 2**64 - 1


# ---------------------------------------------------------------- custom operators


@torch.library.custom_op("relaxcat::categorical_sample", mutates_args=())
def categorical_sample(
    logits: Tensor, temperature: Tensor, seed: Tensor, rows: int, top_k: int, want_log_prob: bool, validate: bool
) -> tuple[Tensor, Tensor]:
    """Category indices ``(rows,)`` (int64) from ``softmax(logits / T)``,
    restricted to the ``top_k`` largest logits (``top_k < 0``: all), and their
    log-probabilities (empty unless ``want_log_prob``). Not differentiable."""
    return _categorical_impl(logits, temperature, int(seed.item()), rows, top_k, want_log_prob, validate)


@categorical_sample.register_fake
def _(logits, temperature, seed, rows, top_k, want_log_prob, validate):
    return logits.new_empty((rows,), dtype=torch.int64), logits.new_empty((rows if want_log_prob else 0,))


@torch.library.custom_op("relaxcat::rsample", mutates_args=())
def rsample(weights: Tensor, is_probs: bool, temperature: Tensor, seed: Tensor, rows: int, validate: bool) -> Tensor:
    """Relaxed samples ``(rows, K)``, without autograd (``sample``)."""
    return _rsample_impl(weights, is_probs, temperature, int(seed.item()), rows, validate)


@rsample.register_fake
def _(weights, is_probs, temperature, seed, rows, validate):
    return weights.new_empty((rows, weights.shape[1]))


@torch.library.custom_op("relaxcat::rsample_with_log", mutates_args=())
def rsample_with_log(
    weights: Tensor, is_probs: bool, temperature: Tensor, seed: Tensor, rows: int, validate: bool
) -> tuple[Tensor, Tensor]:
    """``(y, ln y)`` from one draw: the forward pass of ``rsample`` with
    gradients (``ln y`` is kept for the backward pass, not differentiated)."""
    return _rsample_with_log_impl(weights, is_probs, temperature, int(seed.item()), rows, validate)


@rsample_with_log.register_fake
def _(weights, is_probs, temperature, seed, rows, validate):
    shape = (rows, weights.shape[1])
    return weights.new_empty(shape), weights.new_empty(shape)


@torch.library.custom_op("relaxcat::rsample_hard", mutates_args=())
def rsample_hard(
    weights: Tensor, is_probs: bool, temperature: Tensor, seed: Tensor, rows: int, validate: bool
) -> tuple[Tensor, Tensor]:
    """Straight-through samples: ``(hard, soft)``, the one-hot rows at the
    argmax of the relaxed samples ``soft``. The gradient of ``hard`` is taken
    as that of ``soft``."""
    return _rsample_hard_impl(weights, is_probs, temperature, int(seed.item()), rows, validate)


@rsample_hard.register_fake
def _(weights, is_probs, temperature, seed, rows, validate):
    shape = (rows, weights.shape[1])
    return weights.new_empty(shape), weights.new_empty(shape)


@torch.library.custom_op("relaxcat::rsample_backward", mutates_args=())
def rsample_backward(
    weights: Tensor, is_probs: bool, temperature: Tensor, soft: Tensor, log: Tensor | None, grad: Tensor
) -> tuple[Tensor, Tensor]:
    """``(grad_weights, grad_temperature)`` of samples ``soft`` (and their
    ``log``, which saves a logarithm per element) given ``dL/dy``."""
    return _rsample_backward_impl(weights, is_probs, temperature, soft, log, grad)


@rsample_backward.register_fake
def _(weights, is_probs, temperature, soft, log, grad):
    return weights.new_empty(weights.shape), temperature.new_empty((temperature.numel(),))


@torch.library.custom_op("relaxcat::log_prob", mutates_args=())
def log_prob(weights: Tensor, is_probs: bool, temperature: Tensor, value: Tensor, validate: bool) -> Tensor:
    """Log-densities ``(N,)`` of value rows ``(N, K)``, ``N`` a multiple of B."""
    return _log_prob_impl(weights, is_probs, temperature, value, validate)


@log_prob.register_fake
def _(weights, is_probs, temperature, value, validate):
    return weights.new_empty((value.shape[0],))


@torch.library.custom_op("relaxcat::log_prob_backward", mutates_args=())
def log_prob_backward(
    weights: Tensor, is_probs: bool, temperature: Tensor, value: Tensor, grad: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """``(grad_weights, grad_temperature, grad_value)`` of ``log_prob`` given
    ``dL/dlog_prob`` (``(N,)``)."""
    return _log_prob_backward_impl(weights, is_probs, temperature, value, grad)


@log_prob_backward.register_fake
def _(weights, is_probs, temperature, value, grad):
    return weights.new_empty(weights.shape), temperature.new_empty((temperature.numel(),)), value.new_empty(value.shape)


# Autograd of the operators: the backward formulas are the backward operators.


def _with_log_setup(ctx, inputs, output):
    weights, is_probs, temperature = inputs[0], inputs[1], inputs[2]
    soft, log = output
    ctx.is_probs = is_probs
    ctx.mark_non_differentiable(log)
    ctx.save_for_backward(weights, temperature, soft, log)


def _with_log_backward(ctx, grad_soft, grad_log):
    weights, temperature, soft, log = ctx.saved_tensors
    gw, gt = torch.ops.relaxcat.rsample_backward(weights, ctx.is_probs, temperature, soft, log, grad_soft)
    return gw, None, gt.reshape(temperature.shape), None, None, None


rsample_with_log.register_autograd(_with_log_backward, setup_context=_with_log_setup)


def _hard_setup(ctx, inputs, output):
    weights, is_probs, temperature = inputs[0], inputs[1], inputs[2]
    ctx.is_probs = is_probs
    ctx.save_for_backward(weights, temperature, output[1])


def _hard_backward(ctx, grad_hard, grad_soft):
    weights, temperature, soft = ctx.saved_tensors
    grad = grad_hard if grad_soft is None else grad_hard + grad_soft
    gw, gt = torch.ops.relaxcat.rsample_backward(weights, ctx.is_probs, temperature, soft, None, grad)
    return gw, None, gt.reshape(temperature.shape), None, None, None


rsample_hard.register_autograd(_hard_backward, setup_context=_hard_setup)


def _log_prob_setup(ctx, inputs, output):
    weights, is_probs, temperature, value, _ = inputs
    ctx.is_probs = is_probs
    ctx.save_for_backward(weights, temperature, value)


def _log_prob_backward(ctx, grad):
    weights, temperature, value = ctx.saved_tensors
    gw, gt, gv = torch.ops.relaxcat.log_prob_backward(weights, ctx.is_probs, temperature, value, grad)
    return gw, None, gt.reshape(temperature.shape), gv, None


log_prob.register_autograd(_log_prob_backward, setup_context=_log_prob_setup)


def _loop_vmap(op, n_out):
    """A vmap rule that runs the operator once per batch entry: what
    ``gradcheck(check_batched_grad=True)`` needs of the backward operators
    (the batch there is a handful of basis vectors, so a loop is enough)."""

    def rule(info, in_dims, *args):
        per = [
            op(*[a if d is None else a.select(d, i) for a, d in zip(args, in_dims)]) for i in range(info.batch_size)
        ]
        return tuple(torch.stack([p[j] for p in per]) for j in range(n_out)), (0,) * n_out

    return rule


torch.library.register_vmap("relaxcat::rsample_backward", _loop_vmap(torch.ops.relaxcat.rsample_backward, 2))
torch.library.register_vmap("relaxcat::log_prob_backward", _loop_vmap(torch.ops.relaxcat.log_prob_backward, 3))


# ---------------------------------------------------------------- eager path


_functorch = torch._C._functorch


def _batched(t):
    """Whether ``t`` is a vmap wrapper (torch.func's, or the legacy one of
    gradcheck's batched gradients): such tensors have no storage for C to
    read, so the operator (with its vmap rule) takes over."""
    return _functorch.is_functorch_wrapped_tensor(t) or _functorch.is_legacy_batchedtensor(t)


def _sample_backward(weights, is_probs, temperature, soft, log, grad):
    if _batched(grad):
        return torch.ops.relaxcat.rsample_backward(weights, is_probs, temperature, soft, log, grad)
    return _rsample_backward_impl(weights, is_probs, temperature, soft, log, grad)


def _density_backward(weights, is_probs, temperature, value, grad):
    if _batched(grad):
        return torch.ops.relaxcat.log_prob_backward(weights, is_probs, temperature, value, grad)
    return _log_prob_backward_impl(weights, is_probs, temperature, value, grad)


class _RsampleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weights, is_probs, temperature, seed, rows, validate):
        soft, log = _rsample_with_log_impl(weights, is_probs, temperature, seed, rows, validate)
        ctx.is_probs = is_probs
        ctx.save_for_backward(weights, temperature, soft, log)
        return soft

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        weights, temperature, soft, log = ctx.saved_tensors
        gw, gt = _sample_backward(weights, ctx.is_probs, temperature, soft, log, grad)
        return gw, None, gt.reshape(temperature.shape), None, None, None


class _RsampleHardFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weights, is_probs, temperature, seed, rows, validate):
        hard, soft = _rsample_hard_impl(weights, is_probs, temperature, seed, rows, validate)
        ctx.is_probs = is_probs
        ctx.save_for_backward(weights, temperature, soft)
        return hard

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        weights, temperature, soft = ctx.saved_tensors
        gw, gt = _sample_backward(weights, ctx.is_probs, temperature, soft, None, grad)
        return gw, None, gt.reshape(temperature.shape), None, None, None


class _LogProbFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weights, is_probs, temperature, value, validate):
        ctx.is_probs = is_probs
        ctx.save_for_backward(weights, temperature, value)
        return _log_prob_impl(weights, is_probs, temperature, value, validate)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        weights, temperature, value = ctx.saved_tensors
        gw, gt, gv = _density_backward(weights, ctx.is_probs, temperature, value, grad)
        return gw, None, gt.reshape(temperature.shape), gv, None


def _eager():
    return not (torch.compiler.is_compiling() or torch.jit.is_tracing())


def _needs_grad(*tensors):
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def draw_seed(generator=None):
    """A seed for one sampling call, from ``generator`` (default: torch's)."""
    return torch.randint(-(2**63), 2**63 - 1, (), dtype=torch.int64, generator=generator)


def sample(weights, is_probs, temperature, rows, generator=None, validate=False):
    """Relaxed samples ``(rows, K)``, differentiable when an input requires
    grad: the entry point of the distribution class and ``gumbel_softmax``."""
    seed = draw_seed(generator)
    grad = _needs_grad(weights, temperature)
    if _eager():
        s = int(seed)
        if grad:
            return _RsampleFn.apply(weights, is_probs, temperature, s, rows, validate)
        return _rsample_impl(weights, is_probs, temperature, s, rows, validate)
    if grad:
        return torch.ops.relaxcat.rsample_with_log(weights, is_probs, temperature, seed, rows, validate)[0]
    return torch.ops.relaxcat.rsample(weights, is_probs, temperature, seed, rows, validate)


def categorical(logits, temperature, rows, top_k=-1, want_log_prob=False, generator=None, validate=True):
    """``(indices, log_prob)`` of ``rows`` categorical draws from rows of raw
    logits ``(B, K)``."""
    seed = draw_seed(generator)
    if _eager():
        return _categorical_impl(logits, temperature, int(seed), rows, top_k, want_log_prob, validate)
    return torch.ops.relaxcat.categorical_sample(logits, temperature, seed, rows, top_k, want_log_prob, validate)


def sample_hard(weights, is_probs, temperature, rows, generator=None, validate=False):
    """Straight-through one-hot samples ``(rows, K)``."""
    seed = draw_seed(generator)
    if _eager():
        s = int(seed)
        if _needs_grad(weights, temperature):
            return _RsampleHardFn.apply(weights, is_probs, temperature, s, rows, validate)
        return _rsample_hard_impl(weights, is_probs, temperature, s, rows, validate)[0]
    return torch.ops.relaxcat.rsample_hard(weights, is_probs, temperature, seed, rows, validate)[0]


def density(weights, is_probs, temperature, value, validate=False):
    """Log-densities ``(N,)`` of value rows ``(N, K)``."""
    if _eager():
        if _needs_grad(weights, temperature, value):
            return _LogProbFn.apply(weights, is_probs, temperature, value, validate)
        return _log_prob_impl(weights, is_probs, temperature, value, validate)
    return torch.ops.relaxcat.log_prob(weights, is_probs, temperature, value, validate)
