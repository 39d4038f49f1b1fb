"""relaxcat: fast, deterministic RelaxedOneHotCategorical (Concrete /
Gumbel-softmax) kernels, from Python.

A thin layer over relaxcat's C library (the same functions C programs call):

- :class:`RelaxedOneHotCategorical` and :mod:`relaxcat.functional` on NumPy
  float32/float64 arrays;
- :mod:`relaxcat.torch`: a drop-in ``torch.distributions.RelaxedOneHotCategorical``
  and ``gumbel_softmax`` with analytic gradients (needs torch).

Errors from the library are :class:`Error` (a ``ValueError``) subclasses that
carry the status code and the library's message.
"""

from ._errors import (
    AliasingError,
    Error,
    InternalError,
    OutOfMemoryError,
    InvalidLogitsError,
    InvalidOptionError,
    InvalidParameterChoiceError,
    InvalidProbsError,
    InvalidShapeError,
    InvalidTemperatureError,
    InvalidValueError,
    NullPointerError,
    SizeOverflowError,
)
from ._library import lib as _lib
from ._context import Context, Generator, get_num_threads, manual_seed, set_num_threads
from . import functional
from .functional import (
    categorical_sample,
    log_prob,
    log_prob_backward,
    log_prob_x,
    log_softmax,
    logsumexp,
    rsample,
    rsample_backward,
    rsample_hard,
    rsample_log,
    rsample_with_log,
    softmax,
)
from .distribution import RelaxedOneHotCategorical

__version__ = "0.1.0"
library_version = _lib.version
library_path = _lib.path

__all__ = [
    "AliasingError",
    "Context",
    "Error",
    "Generator",
    "categorical_sample",
    "InternalError",
    "OutOfMemoryError",
    "InvalidLogitsError",
    "InvalidOptionError",
    "InvalidParameterChoiceError",
    "InvalidProbsError",
    "InvalidShapeError",
    "InvalidTemperatureError",
    "InvalidValueError",
    "NullPointerError",
    "RelaxedOneHotCategorical",
    "SizeOverflowError",
    "functional",
    "get_num_threads",
    "log_prob",
    "log_prob_backward",
    "log_prob_x",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "rsample",
    "rsample_backward",
    "rsample_hard",
    "rsample_log",
    "rsample_with_log",
    "set_num_threads",
    "softmax",
]
