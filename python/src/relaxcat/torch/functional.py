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
