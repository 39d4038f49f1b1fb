"""relaxcat for PyTorch: ``RelaxedOneHotCategorical`` (a drop-in for
``torch.distributions.RelaxedOneHotCategorical``) and ``gumbel_softmax`` (for
``torch.nn.functional.gumbel_softmax``), with gradients from relaxcat's
analytic backward kernels, registered as ``torch.ops.relaxcat.*`` custom
operators (so ``torch.compile`` and ``torch.jit.trace`` see one node per
call)."""

from . import _ops
from .distribution import RelaxedOneHotCategorical
from .functional import categorical_sample, gumbel_softmax

__all__ = ["RelaxedOneHotCategorical", "categorical_sample", "gumbel_softmax"]
