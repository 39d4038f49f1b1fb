//! The crate's one error type. Every [`ErrorKind`] maps 1:1 to a C status
//! code (`relaxcat_status`); the message names the parameter, the row and
//! the offending value.

use std::fmt;

/// What class of problem an [`Error`] reports. Codes are stable and
/// append-only: they are the C ABI's status values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum ErrorKind {
    /// A required pointer was NULL while its length was not zero (C ABI).
    NullPointer = 1,
    /// Sizes that do not fit together: `K = 0`, a buffer of the wrong
    /// length, value rows not a multiple of batch rows, a leading dimension
    /// below `K`.
    InvalidShape = 2,
    /// A size whose product overflows `usize`.
    SizeOverflow = 3,
    /// Both or neither of `probs` and `logits` were given.
    InvalidParameterChoice = 4,
    /// A temperature that is not finite and `> 0`.
    InvalidTemperature = 5,
    /// A probs row with a negative, non-finite or all-zero entry.
    InvalidProbs = 6,
    /// A logits row with NaN, `+inf`, or only `-inf`.
    InvalidLogits = 7,
    /// A `log_prob` value off the simplex (or, in log space, off its image).
    InvalidValue = 8,
    /// An output buffer overlaps an input it may not alias (C ABI).
    Aliasing = 9,
    /// An option that cannot be honoured: a backend this CPU lacks, a thread
    /// count of 0, a pool that could not be built, a `top_k` of 0.
    InvalidOption = 10,
    /// A panic inside the library, caught at the C boundary (a bug).
    Internal = 11,
    /// Memory for the call could not be allocated; the message gives the
    /// byte count. Nothing was written.
    OutOfMemory = 12,
}

/// An error: its [`ErrorKind`] and a message that says what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn shape(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidShape, message)
    }

    /// `what` does not fit `usize` (the product of `a` and `b`).
    pub(crate) fn overflow(what: &str, a: usize, b: usize) -> Error {
        Error::new(
            ErrorKind::SizeOverflow,
            format!("{what}: {a} x {b} overflows usize"),
        )
    }

    /// A buffer `name` of `got` elements where `expected` were needed.
    pub(crate) fn length(name: &str, got: usize, expected: usize) -> Error {
        Error::shape(format!("{name} has {got} elements, expected {expected}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `a * b`, or a [`ErrorKind::SizeOverflow`] error naming `what`.
pub(crate) fn checked_product(what: &str, a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b).ok_or_else(|| Error::overflow(what, a, b))
}
