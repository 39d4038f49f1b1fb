"""The library's status codes as Python exceptions.

Every relaxcat call returns a status (``include/relaxcat.h``); a non-zero one
becomes an instance of the matching subclass of :class:`Error`, which is a
``ValueError`` (bad input is a value error), carrying the code and this
thread's message from ``relaxcat_last_error_message``.
"""


class Error(ValueError):
    """A relaxcat call failed. ``status`` is the C status code, ``message``
    the library's text (it names the parameter, row and value)."""

    status = -1

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NullPointerError(Error):
    status = 1


class InvalidShapeError(Error):
    status = 2


class SizeOverflowError(Error):
    status = 3


class InvalidParameterChoiceError(Error):
    status = 4


class InvalidTemperatureError(Error):
    status = 5


class InvalidProbsError(Error):
    status = 6


class InvalidLogitsError(Error):
    status = 7


class InvalidValueError(Error):
    status = 8


class AliasingError(Error):
    status = 9


class InvalidOptionError(Error):
    status = 10


class InternalError(Error):
    """A bug in relaxcat (a caught panic); please report it."""

    status = 11


class OutOfMemoryError(Error, MemoryError):
    """The memory a call needs could not be allocated (the message gives the
    byte count); nothing was written. Also a ``MemoryError``, so code that
    handles allocation failure the Python way catches it."""

    status = 12


_BY_STATUS = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidShapeError,
        SizeOverflowError,
        InvalidParameterChoiceError,
        InvalidTemperatureError,
        InvalidProbsError,
        InvalidLogitsError,
        InvalidValueError,
        AliasingError,
        InvalidOptionError,
        InternalError,
        OutOfMemoryError,
    )
}


def error_for(status, message):
    """The exception for a non-zero status. A code this package does not
    know yet (the enum is append-only) is a plain :class:`Error`."""
    cls = _BY_STATUS.get(status, Error)
    return cls(message, status)
