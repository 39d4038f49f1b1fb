"""Loads the relaxcat C library and declares the functions this package calls.

The package is a thin layer over the C ABI (``include/relaxcat.h``), so the
C ABI stays the one binding surface. ctypes releases the GIL for the length
of every call, so kernels run while other Python threads go on.

The library is the one built into the package (``_librelaxcat*.so`` beside
this file, put there by ``pip install``), or the path in ``$RELAXCAT_LIB``
(for testing a build tree).
"""

import ctypes as C
import glob
import os

from ._errors import error_for

ABI_VERSION = 1

status_t = C.c_int32
size_t = C.c_size_t
u64 = C.c_uint64
u32 = C.c_uint32
ptr = C.c_void_p  # every data pointer is passed as an address (an int)
out_ptr = C.POINTER(C.c_void_p)


def _params_struct(name):
    """``relaxcat_params_{f32,f64}``: the parameters of a one-shot call. Both
    element types have one layout, the pointers being addresses here."""
    return type(
        name,
        (C.Structure,),
        {
            "_fields_": [
                ("batch_rows", size_t),
                ("k", size_t),
                ("temperature", ptr),
                ("temperature_len", size_t),
                ("probs", ptr),
                ("probs_ld", size_t),
                ("logits", ptr),
                ("logits_ld", size_t),
                ("flags", u32),
            ]
        },
    )


Params = _params_struct("relaxcat_params")
params_p = C.POINTER(Params)

# Argument lists, written as in the header with the element type left out
# (the same for _f32 and _f64). "P" is a one-shot params struct.
_Z, _P, _U64 = size_t, ptr, u64
_ROWS_1 = [_P, params_p, _U64, _U64, _Z, _Z, _P, _Z]  # ctx, params, seed, offset, begin, end, out, ld
_ROWS_2 = _ROWS_1 + [_P, _Z]
_DENSITY = [_P, params_p, _Z, _P, _Z, _P]  # ctx, params, rows, value, ld, out
_SAMPLE_BWD = [_P, params_p, _Z, _P, _Z, _P, _Z, _P, _Z, _P, _Z, _P, _Z, _P, _Z]
_DENSITY_BWD = [_P, params_p, _Z, _P, _Z, _P, _P, _Z, _P, _Z, _P, _Z, _P, _Z, _P]

_TYPED = {
    # One-shot entry points.
    "relaxcat_rsample_rows_{t}": _ROWS_1,
    "relaxcat_rsample_log_rows_{t}": _ROWS_1,
    "relaxcat_rsample_hard_rows_{t}": _ROWS_2,
    "relaxcat_rsample_with_log_rows_{t}": _ROWS_2,
    "relaxcat_log_prob_{t}": _DENSITY,
    "relaxcat_log_prob_x_{t}": _DENSITY,
    "relaxcat_rsample_backward_{t}": _SAMPLE_BWD,
    "relaxcat_rsample_log_backward_{t}": _SAMPLE_BWD,
    "relaxcat_log_prob_backward_{t}": _DENSITY_BWD,
    "relaxcat_log_prob_x_backward_{t}": _DENSITY_BWD,
    # Distribution handles.
    "relaxcat_dist_{t}_new": [_P, _Z, _Z, _P, _Z, _P, _Z, _P, _Z, u32, out_ptr],
    "relaxcat_dist_{t}_free": [_P],
    "relaxcat_dist_{t}_probs": [_P, _P, _Z],
    "relaxcat_dist_{t}_logits": [_P, _P, _Z],
    "relaxcat_dist_{t}_rsample_rows": [_P, _U64, _U64, _Z, _Z, _P, _Z],
    "relaxcat_dist_{t}_rsample_log_rows": [_P, _U64, _U64, _Z, _Z, _P, _Z],
    "relaxcat_dist_{t}_rsample_hard_rows": [_P, _U64, _U64, _Z, _Z, _P, _Z, _P, _Z],
    "relaxcat_dist_{t}_rsample_with_log_rows": [_P, _U64, _U64, _Z, _Z, _P, _Z, _P, _Z],
    "relaxcat_dist_{t}_log_prob": [_P, _Z, _P, _Z, _P],
    "relaxcat_dist_{t}_log_prob_x": [_P, _Z, _P, _Z, _P],
    # Categorical sampling (indices).
    "relaxcat_categorical_sample_{t}": [_P, _Z, _Z, _P, _Z, _P, _Z, _Z, u32, _U64, _U64, _Z, _Z, _P, _P],
    "relaxcat_dist_{t}_rsample_hard_index_rows": [_P, _U64, _U64, _Z, _Z, _P],
    # Row kernels.
    "relaxcat_logsumexp_{t}": [_P, _Z, _Z, _P, _Z, _P],
    "relaxcat_softmax_{t}": [_P, _Z, _Z, _P, _Z, _P, _Z],
    "relaxcat_log_softmax_{t}": [_P, _Z, _Z, _P, _Z, _P, _Z],
    "relaxcat_gumbel_{t}": [_P, _U64, _U64, _Z, _Z, _P, _Z],
}

_UNTYPED = {
    "relaxcat_context_new": (status_t, [_Z, C.c_char_p, out_ptr]),
    "relaxcat_context_free": (status_t, [_P]),
    "relaxcat_context_threads": (status_t, [_P, C.POINTER(size_t)]),
    "relaxcat_context_backend": (status_t, [_P, C.POINTER(C.c_char_p)]),
    "relaxcat_generator_new": (status_t, [_U64, out_ptr]),
    "relaxcat_generator_free": (status_t, [_P]),
    "relaxcat_generator_seed": (status_t, [_P, C.POINTER(u64)]),
    "relaxcat_generator_position": (status_t, [_P, C.POINTER(u64)]),
    "relaxcat_generator_set_position": (status_t, [_P, _U64]),
    "relaxcat_generator_take": (status_t, [_P, _U64, C.POINTER(u64)]),
    "relaxcat_status_str": (C.c_char_p, [status_t]),
    "relaxcat_last_error_message": (C.c_char_p, []),
    "relaxcat_version_string": (C.c_char_p, []),
    "relaxcat_abi_version": (u32, []),
}


def library_path():
    """The shared library this package loads."""
    env = os.environ.get("RELAXCAT_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "_librelaxcat*")))
    if not found:
        raise ImportError(
            f"relaxcat: no compiled library (_librelaxcat*.so) in {here}; "
            "install the package with `pip install ./python` from the repository, "
            "or set RELAXCAT_LIB to a built librelaxcat.so"
        )
    return found[0]


class Library:
    """The loaded library: ``lib.f32.<name>`` / ``lib.f64.<name>`` are the
    typed functions without their ``relaxcat_`` prefix and type suffix, and
    ``lib.<name>`` the untyped ones."""

    def __init__(self, path):
        self.path = path
        self._cdll = C.CDLL(path)
        for name, (restype, argtypes) in _UNTYPED.items():
            fn = getattr(self._cdll, name)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name[len("relaxcat_") :], fn)
        self.f32 = _Typed(self._cdll, "f32")
        self.f64 = _Typed(self._cdll, "f64")
        abi = self.abi_version()
        if abi != ABI_VERSION:
            raise ImportError(f"relaxcat: {path} has C ABI version {abi}; this package needs {ABI_VERSION}")
        self.version = self.version_string().decode()

    def typed(self, dtype_name):
        """The functions over ``"float32"`` / ``"float64"``."""
        return self.f32 if dtype_name == "float32" else self.f64

    def check(self, status):
        """Raises the matching :class:`relaxcat.Error` for a non-zero status."""
        if status:
            message = self.last_error_message()
            raise error_for(status, message.decode() if message else self.status_str(status).decode())


class _Typed:
    """The functions of one element type."""

    def __init__(self, cdll, t):
        for pattern, argtypes in _TYPED.items():
            name = pattern.format(t=t)
            fn = getattr(cdll, name)
            fn.restype, fn.argtypes = status_t, argtypes
            short = name[len("relaxcat_") :].replace(f"_{t}", "")
            setattr(self, short, fn)


lib = Library(library_path())
