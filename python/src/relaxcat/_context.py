"""Execution contexts (thread count and SIMD backend) and random streams."""

import ctypes as C
import os
import secrets
import threading

from ._library import lib


class Context:
    """Runs calls on ``threads`` threads (a pool owned by the context) with a
    SIMD backend (None: the best this CPU has). Results are bit-identical
    for every thread count and backend."""

    def __init__(self, threads=None, backend=None):
        if threads is None:
            threads = _available_cores()
        handle = C.c_void_p()
        name = None if backend is None else str(backend).encode()
        lib.check(lib.context_new(int(threads), name, C.byref(handle)))
        self._handle = handle.value

    @property
    def threads(self):
        n = C.c_size_t()
        lib.check(lib.context_threads(self._handle, C.byref(n)))
        return n.value

    @property
    def backend(self):
        s = C.c_char_p()
        lib.check(lib.context_backend(self._handle, C.byref(s)))
        return s.value.decode()

    @property
    def address(self):
        return self._handle

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle and lib is not None:
            lib.context_free(handle)

    def __repr__(self):
        return f"relaxcat.Context(threads={self.threads}, backend={self.backend!r})"


def _available_cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_default = None
_default_lock = threading.Lock()


def default_context():
    """The context calls use when none is given: every core this process may
    run on (``set_num_threads`` changes it)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Context()
    return _default


def set_num_threads(threads):
    """Makes the default context run on ``threads`` threads."""
    global _default
    ctx = Context(threads)
    with _default_lock:
        _default = ctx


def get_num_threads():
    """The default context's thread count."""
    return default_context().threads


class Generator:
    """A random stream: a seed and the stream row the next sample starts at.

    Samples are a pure function of ``(seed, stream row)``: drawing 10 rows
    and then 5 gives the same bits as drawing 15 at once. ``take(rows)``
    reserves rows and returns the ``(seed, offset)`` pair of the first,
    which the ``seed=``/``offset=`` arguments of every sampler accept.
    """

    def __init__(self, seed=None):
        if seed is None:
            seed = secrets.randbits(64)
        handle = C.c_void_p()
        lib.check(lib.generator_new(int(seed) & (2**64 - 1), C.byref(handle)))
        self._handle = handle.value

    @property
    def seed(self):
        v = C.c_uint64()
        lib.check(lib.generator_seed(self._handle, C.byref(v)))
        return v.value

    @property
    def position(self):
        v = C.c_uint64()
        lib.check(lib.generator_position(self._handle, C.byref(v)))
        return v.value

    @position.setter
    def position(self, row):
        lib.check(lib.generator_set_position(self._handle, int(row) & (2**64 - 1)))

    def take(self, rows):
        """Reserves ``rows`` stream rows; returns ``(seed, first row)``."""
        v = C.c_uint64()
        lib.check(lib.generator_take(self._handle, int(rows), C.byref(v)))
        return self.seed, v.value

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle and lib is not None:
            lib.generator_free(handle)

    def __repr__(self):
        return f"relaxcat.Generator(seed={self.seed}, position={self.position})"


_default_generator = None


def default_generator():
    """The generator samplers use when given neither ``generator`` nor
    ``seed``; seeded from the OS at first use (``manual_seed`` resets it)."""
    global _default_generator
    if _default_generator is None:
        _default_generator = Generator()
    return _default_generator


def manual_seed(seed):
    """Reseeds the default generator, for reproducible runs."""
    global _default_generator
    _default_generator = Generator(seed)
    return _default_generator
