"""relaxcat's kernels as PyTorch custom operators (``torch.ops.relaxcat.*``).

Each operator is stateless: it takes the parameters as given (``weights`` =
logits or probs, ``(B, K)``; ``temperature``, ``(1,)`` or ``(B,)``), calls the
one-shot C function of the same name, and returns new tensors. So
``torch.compile`` sees one opaque node per call (no graph break inside it),
``register_fake`` gives it the shapes, and ``register_autograd`` wires the
analytic backward kernels, which are operators too.

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

from .._arrays import params_struct
from .._context import default_context
from .._library import lib

_MASK64 = 2**64 - 1
_DTYPES = {torch.float32: "float32", torch.float64: "float64"}


def _rows(t):
    """``(tensor, ld)`` with the tensor readable as rows of its last axis."""
    k = t.shape[-1]
    if t.dim() == 2 and (k <= 1 or t.stride(1) == 1) and (t.shape[0] <= 1 or t.stride(0) >= k):
        return t, (t.stride(0) if t.shape[0] > 1 else max(k, 1))
    t = t.contiguous()
    return t, max(k, 1)


def _addr(t):
    return t.data_ptr() if t.numel() else None


class _Call:
    """The C side of one operator call: the typed functions, the context and
    a ``relaxcat_params`` struct over ``weights`` and ``temperature``."""

    def __init__(self, weights, is_probs, temperature, validate):
        if weights.dtype not in _DTYPES or weights.device.type != "cpu":
            raise TypeError(f"relaxcat operators take CPU float32/float64 tensors, got {weights.dtype} on {weights.device}")
        if temperature.dtype != weights.dtype:
            temperature = temperature.to(weights.dtype)
        self.weights, ld = _rows(weights)
        self.temperature = temperature.contiguous()
        self.batch_rows, self.k = weights.shape
        self.fns = lib.typed(_DTYPES[weights.dtype])
        self.ctx = default_context().address
        self.params = params_struct(
            self.batch_rows,
            self.k,
            _addr(self.temperature),
            self.temperature.numel(),
            _addr(self.weights),
            ld,
            is_probs,
            validate,
        )

    def __call__(self, name, *args):
        lib.check(getattr(self.fns, name)(self.ctx, C.byref(self.params), *args))

    def empty(self, *shape):
        return torch.empty(shape, dtype=self.weights.dtype)


def _seed(seed):
    return int(seed.item()) & _MASK64


# ---------------------------------------------------------------- samplers


@torch.library.custom_op("relaxcat::rsample", mutates_args=())
def rsample(weights: Tensor, is_probs: bool, temperature: Tensor, seed: Tensor, rows: int, validate: bool) -> Tensor:
    """Relaxed samples ``(rows, K)``, without autograd (``sample``)."""
    c = _Call(weights, is_probs, temperature, validate)
    out = c.empty(rows, c.k)
    c("rsample_rows", _seed(seed), 0, 0, rows, _addr(out), max(c.k, 1))
    return out


@rsample.register_fake
def _(weights, is_probs, temperature, seed, rows, validate):
    return weights.new_empty((rows, weights.shape[1]))


@torch.library.custom_op("relaxcat::rsample_with_log", mutates_args=())
def rsample_with_log(
    weights: Tensor, is_probs: bool, temperature: Tensor, seed: Tensor, rows: int, validate: bool
) -> tuple[Tensor, Tensor]:
    """``(y, ln y)`` from one draw: the forward pass of ``rsample`` with
    gradients (``ln y`` is kept for the backward pass, not differentiated)."""
    c = _Call(weights, is_probs, temperature, validate)
    soft, log = c.empty(rows, c.k), c.empty(rows, c.k)
    ld = max(c.k, 1)
    c("rsample_with_log_rows", _seed(seed), 0, 0, rows, _addr(soft), ld, _addr(log), ld)
    return soft, log


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
    c = _Call(weights, is_probs, temperature, validate)
    hard, soft = c.empty(rows, c.k), c.empty(rows, c.k)
    ld = max(c.k, 1)
    c("rsample_hard_rows", _seed(seed), 0, 0, rows, _addr(hard), ld, _addr(soft), ld)
    return hard, soft


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
    c = _Call(weights, is_probs, temperature, False)
    soft, soft_ld = _rows(soft)
    grad, grad_ld = _rows(grad)
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
        0 if log is None else log_ld,
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


@rsample_backward.register_fake
def _(weights, is_probs, temperature, soft, log, grad):
    return weights.new_empty(weights.shape), temperature.new_empty((temperature.numel(),))



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
    _, soft = output
    ctx.is_probs = is_probs
    ctx.save_for_backward(weights, temperature, soft)


def _hard_backward(ctx, grad_hard, grad_soft):
    weights, temperature, soft = ctx.saved_tensors
    grad = grad_hard if grad_soft is None else grad_hard + grad_soft
    gw, gt = torch.ops.relaxcat.rsample_backward(weights, ctx.is_probs, temperature, soft, None, grad)
    return gw, None, gt.reshape(temperature.shape), None, None, None


rsample_hard.register_autograd(_hard_backward, setup_context=_hard_setup)


# ---------------------------------------------------------------- density


@torch.library.custom_op("relaxcat::log_prob", mutates_args=())
def log_prob(weights: Tensor, is_probs: bool, temperature: Tensor, value: Tensor, validate: bool) -> Tensor:
    """Log-densities ``(N,)`` of value rows ``(N, K)``, ``N`` a multiple of B."""
    c = _Call(weights, is_probs, temperature, validate)
    value, ld = _rows(value)
    out = c.empty(value.shape[0])
    c("log_prob", value.shape[0], _addr(value), ld, _addr(out))
    return out


@log_prob.register_fake
def _(weights, is_probs, temperature, value, validate):
    return weights.new_empty((value.shape[0],))


@torch.library.custom_op("relaxcat::log_prob_backward", mutates_args=())
def log_prob_backward(
    weights: Tensor, is_probs: bool, temperature: Tensor, value: Tensor, grad: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """``(grad_weights, grad_temperature, grad_value)`` of ``log_prob`` given
    ``dL/dlog_prob`` (``(N,)``)."""
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


@log_prob_backward.register_fake
def _(weights, is_probs, temperature, value, grad):
    return weights.new_empty(weights.shape), temperature.new_empty((temperature.numel(),)), value.new_empty(value.shape)


def _log_prob_setup(ctx, inputs, output):
    weights, is_probs, temperature, value, _ = inputs
    ctx.is_probs = is_probs
    ctx.save_for_backward(weights, temperature, value)


def _log_prob_backward(ctx, grad):
    weights, temperature, value = ctx.saved_tensors
    gw, gt, gv = torch.ops.relaxcat.log_prob_backward(weights, ctx.is_probs, temperature, value, grad)
    return gw, None, gt.reshape(temperature.shape), gv, None


log_prob.register_autograd(_log_prob_backward, setup_context=_log_prob_setup)


# ---------------------------------------------------------------- vmap


def _loop_vmap(op, n_out):
    """A vmap rule that runs the operator once per batch entry: what
    ``gradcheck(check_batched_grad=True)`` needs of the backward operators
    (the batch there is a handful of basis vectors, so a loop is enough)."""

    def rule(info, in_dims, *args):
        size = info.batch_size
        per = []
        for i in range(size):
            per.append(
                op(*[a if d is None else a.select(d, i) for a, d in zip(args, in_dims)])
            )
        outs = tuple(torch.stack([p[j] for p in per]) for j in range(n_out))
        return outs, (0,) * n_out

    return rule


torch.library.register_vmap("relaxcat::rsample_backward", _loop_vmap(torch.ops.relaxcat.rsample_backward, 2))
torch.library.register_vmap("relaxcat::log_prob_backward", _loop_vmap(torch.ops.relaxcat.log_prob_backward, 3))
