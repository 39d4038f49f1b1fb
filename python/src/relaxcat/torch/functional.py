"""``relaxcat.torch.gumbel_softmax``: a drop-in for
``torch.nn.functional.gumbel_softmax`` on relaxcat's kernels."""

import torch
import torch.nn.functional as F

from . import _ops


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1, generator=None):
    """Samples ``softmax((logits + g) / tau)`` along ``dim`` (``g`` Gumbel
    noise), as ``F.gumbel_softmax``. With ``hard``, returns the one-hot rows
    at the argmax, whose gradient is that of the soft sample
    (straight-through); unlike ``y_hard - y_soft.detach() + y_soft`` the
    values are exactly 0 and 1. ``eps`` is accepted for compatibility and
    unused (it is deprecated in torch too). Other devices and dtypes than
    CPU float32/float64 go to ``F.gumbel_softmax``."""
    if logits.dtype not in (torch.float32, torch.float64) or logits.device.type != "cpu" or logits.dim() == 0:
        return F.gumbel_softmax(logits, tau=tau, hard=hard, eps=eps, dim=dim)
    x = logits.movedim(dim, -1)
    shape = x.shape
    k = shape[-1]
    rows = x.numel() // k if k else 0
    flat = x.reshape(-1, k)
    t = tau if isinstance(tau, torch.Tensor) else torch.tensor(float(tau), dtype=logits.dtype)
    t = t.to(logits.dtype).reshape(1)
    if hard:
        y = _ops.sample_hard(flat, False, t, rows, generator, validate=True)
    else:
        y = _ops.sample(flat, False, t, rows, generator, validate=True)
    return y.reshape(shape).movedim(-1, dim)


def categorical_sample(logits, temperature=1.0, num_samples=1, top_k=None, generator=None, return_log_prob=False):
    """Category indices drawn from ``softmax(logits / temperature)`` along the
    last axis: shape ``(num_samples, *logits.shape[:-1])``, int64. Exact
    Gumbel-max sampling in one pass per row (the noise seeded by one draw
    from ``generator``, default torch's). ``temperature``: a number, or one
    per row (shape ``logits.shape[:-1]``); 0 is greedy argmax (ties to the
    lowest index). ``top_k``: only the ``top_k`` largest logits of a row can
    be drawn. ``-inf`` masks a category. With ``return_log_prob``, also the
    log-probability of each index under the tempered, top-k-restricted
    distribution. CPU float32/float64 only (other tensors raise TypeError).
    """
    if logits.dtype not in (torch.float32, torch.float64) or logits.device.type != "cpu" or logits.dim() == 0:
        raise TypeError(f"categorical_sample takes CPU float32/float64 logits with a last axis, got {logits.dtype} on {logits.device}")
    batch = logits.shape[:-1]
    k = logits.shape[-1]
    flat = logits.detach().reshape(-1, k)
    t = temperature if isinstance(temperature, torch.Tensor) else torch.tensor(float(temperature))
    t = t.detach().to(logits.dtype).reshape(-1)
    sample_shape = (num_samples,) if isinstance(num_samples, int) else tuple(num_samples)
    rows = flat.shape[0] * int(torch.Size(sample_shape).numel())
    idx, lp = _ops.categorical(flat, t, rows, -1 if top_k is None else int(top_k), return_log_prob, generator)
    shape = tuple(sample_shape) + tuple(batch)
    idx = idx.reshape(shape)
    return (idx, lp.reshape(shape)) if return_log_prob else idx
