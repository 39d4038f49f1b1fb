//! Status codes, the thread-local last error, the panic guard every entry
//! point runs in, and the version queries.
//!
//! ```text
//! guard(name, body):  catch_unwind(body)
//!   Ok(Ok(()))   -> clear the last error, RELAXCAT_OK
//!   Ok(Err(e))   -> last error = "name: message", code of e.kind()
//!   Err(panic)   -> last error = "name: internal error: ...", INTERNAL
//! ```

use crate::error::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The result of every fallible function: `RELAXCAT_OK` (0) or one of the
/// `RELAXCAT_ERROR_*` codes. The codes are stable and append-only: a minor
/// release may add codes, never renumber or remove one, so a caller should
/// treat an unknown non-zero code as a generic failure.
pub type relaxcat_status = i32;

/// Success.
pub const RELAXCAT_OK: relaxcat_status = 0;
/// A required pointer was NULL while its length was not zero (or an
/// out-parameter or handle was NULL).
pub const RELAXCAT_ERROR_NULL_POINTER: relaxcat_status = 1;
/// Sizes that do not fit together: `K = 0`, a buffer of the wrong length,
/// value rows not a multiple of batch rows, a leading dimension below `K`,
/// a reversed row range, a misaligned buffer.
pub const RELAXCAT_ERROR_INVALID_SHAPE: relaxcat_status = 2;
/// A size whose product (elements or bytes) overflows `size_t` /
/// `PTRDIFF_MAX`.
pub const RELAXCAT_ERROR_SIZE_OVERFLOW: relaxcat_status = 3;
/// Both or neither of `probs` and `logits` were given.
pub const RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE: relaxcat_status = 4;
/// A temperature that is not finite and `> 0`.
pub const RELAXCAT_ERROR_INVALID_TEMPERATURE: relaxcat_status = 5;
/// A probs row with a negative, non-finite or all-zero entry.
pub const RELAXCAT_ERROR_INVALID_PROBS: relaxcat_status = 6;
/// A logits row with NaN, `+inf`, or only `-inf`.
pub const RELAXCAT_ERROR_INVALID_LOGITS: relaxcat_status = 7;
/// A `log_prob` value off the simplex (or, in log space, off its image).
pub const RELAXCAT_ERROR_INVALID_VALUE: relaxcat_status = 8;
/// An output buffer overlaps an input or another output it may not alias.
pub const RELAXCAT_ERROR_ALIASING: relaxcat_status = 9;
/// An option that cannot be honoured: a thread count of 0, an unknown or
/// unavailable backend, unknown flag bits, a pool that could not be built,
/// a `top_k` of 0.
pub const RELAXCAT_ERROR_INVALID_OPTION: relaxcat_status = 10;
/// A panic inside the library, caught at the boundary (a bug: please
/// report it). Outputs of the failed call may have been partly written.
pub const RELAXCAT_ERROR_INTERNAL: relaxcat_status = 11;
/// The memory the call needs (a distribution's state, a temporary, or
/// per-thread scratch) could not be allocated; the message gives the byte
/// count. Nothing was written, and the process goes on.
pub const RELAXCAT_ERROR_OUT_OF_MEMORY: relaxcat_status = 12;

/// The major version of the library these declarations come from.
pub const RELAXCAT_VERSION_MAJOR: u32 = 0;
/// The minor version of the library these declarations come from.
pub const RELAXCAT_VERSION_MINOR: u32 = 1;
/// The patch version of the library these declarations come from.
pub const RELAXCAT_VERSION_PATCH: u32 = 0;
/// The ABI version of these declarations. It changes only when a function's
/// signature or meaning changes incompatibly (never in a minor release);
/// compare it with `relaxcat_abi_version()` at run time.
pub const RELAXCAT_ABI_VERSION: u32 = 1;

/// The status code of an [`ErrorKind`] (the enum's discriminant).
pub(crate) fn code(kind: ErrorKind) -> relaxcat_status {
    kind as relaxcat_status
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: String) {
    let bytes: Vec<u8> = message
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { b'?' } else { b })
        .collect();
    let text = CString::new(bytes).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; the status
    // code still reports the failure.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| {
        if !slot.borrow().is_empty() {
            *slot.borrow_mut() = CString::default();
        }
    });
}

/// The boundary of every entry point: `entry!({ body })` runs the block
/// under [`guard`], named after the enclosing function, and
/// `entry! { unsafe helper(args) }` does the same for a call of an `unsafe`
/// helper whose `# Safety` contract is the entry point's own (the caller of
/// the entry point upholds it: that is the one SAFETY argument of every
/// such call, written here once).
macro_rules! entry {
    (unsafe $($call:tt)*) => {
        $crate::ffi::status::entry!({
            // SAFETY: the entry point's `# Safety` contract is the helper's,
            // and the entry point's caller upholds it.
            unsafe { $($call)* }
        })
    };
    ($body:block) => {{
        fn here() {}
        $crate::ffi::status::guard(::std::any::type_name_of_val(&here), || $body)
    }};
}
pub(crate) use entry;

/// The entry point's name in the path that [`entry`] passes
/// (`relaxcat::ffi::dist::exports_f32::relaxcat_dist_f32_new::here`); a
/// plain name is returned as it is.
fn entry_point_name(path: &str) -> &str {
    let path = path.strip_suffix("::here").unwrap_or(path);
    path.rsplit("::").next().unwrap_or(path)
}

/// Runs `body` for the entry point `function` (its name, or the path that
/// [`entry`] passes), turning its error or panic into a status and the
/// thread's last error message.
pub(crate) fn guard(function: &str, body: impl FnOnce() -> Result<(), Error>) -> relaxcat_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            clear_last_error();
            RELAXCAT_OK
        }
        Ok(Err(error)) => {
            let function = entry_point_name(function);
            set_last_error(format!("{function}: {}", error.message()));
            code(error.kind())
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            let function = entry_point_name(function);
            set_last_error(format!(
                "{function}: internal error (a bug in relaxcat): {what}"
            ));
            RELAXCAT_ERROR_INTERNAL
        }
    }
}

/// A static, NUL-terminated English name for `status`, such as
/// `"RELAXCAT_ERROR_NULL_POINTER: a required pointer was NULL"`; an unknown
/// code gives `"unknown relaxcat_status"`. Never returns NULL.
///
/// Thread safety: safe from any thread. Ownership: the string is static;
/// do not free it. This function cannot fail, so it returns the string
/// rather than a status.
#[unsafe(no_mangle)]
pub extern "C" fn relaxcat_status_str(status: relaxcat_status) -> *const c_char {
    let text: &'static std::ffi::CStr = match status {
        RELAXCAT_OK => c"RELAXCAT_OK: success",
        RELAXCAT_ERROR_NULL_POINTER => c"RELAXCAT_ERROR_NULL_POINTER: a required pointer was NULL",
        RELAXCAT_ERROR_INVALID_SHAPE => c"RELAXCAT_ERROR_INVALID_SHAPE: sizes do not fit together",
        RELAXCAT_ERROR_SIZE_OVERFLOW => c"RELAXCAT_ERROR_SIZE_OVERFLOW: a size overflows",
        RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE => {
            c"RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE: pass exactly one of probs and logits"
        }
        RELAXCAT_ERROR_INVALID_TEMPERATURE => {
            c"RELAXCAT_ERROR_INVALID_TEMPERATURE: temperature not finite and > 0"
        }
        RELAXCAT_ERROR_INVALID_PROBS => c"RELAXCAT_ERROR_INVALID_PROBS: invalid probs",
        RELAXCAT_ERROR_INVALID_LOGITS => c"RELAXCAT_ERROR_INVALID_LOGITS: invalid logits",
        RELAXCAT_ERROR_INVALID_VALUE => c"RELAXCAT_ERROR_INVALID_VALUE: value off the simplex",
        RELAXCAT_ERROR_ALIASING => {
            c"RELAXCAT_ERROR_ALIASING: an output overlaps a buffer it may not alias"
        }
        RELAXCAT_ERROR_INVALID_OPTION => {
            c"RELAXCAT_ERROR_INVALID_OPTION: an option cannot be honoured"
        }
        RELAXCAT_ERROR_INTERNAL => c"RELAXCAT_ERROR_INTERNAL: internal error (a bug in relaxcat)",
        RELAXCAT_ERROR_OUT_OF_MEMORY => {
            c"RELAXCAT_ERROR_OUT_OF_MEMORY: memory for the call could not be allocated"
        }
        _ => c"unknown relaxcat_status",
    };
    text.as_ptr()
}

/// The message of the last call on this thread that returned an error:
/// the function, the parameter, and where it applies the row, category and
/// offending value (for example `"relaxcat_dist_f64_new: probs: row 1,
/// category 2 is -0.5; probs must be finite and >= 0"`). Empty (`""`) when
/// the last status-returning call on this thread succeeded, or before any.
/// Never returns NULL.
///
/// Thread safety: each thread has its own message. Ownership: the string
/// belongs to the library and stays valid until the next relaxcat call on
/// the same thread that returns a `relaxcat_status`; copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn relaxcat_last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// The library's version as a static NUL-terminated string, such as
/// `"0.1.0"`: the version of the library loaded at run time, which may be
/// newer than the `RELAXCAT_VERSION_*` macros the caller was compiled with.
///
/// Thread safety: safe from any thread. Ownership: static; do not free it.
/// Cannot fail, so it returns the string rather than a status.
#[unsafe(no_mangle)]
pub extern "C" fn relaxcat_version_string() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(s) => s,
        Err(_) => panic!("the package version has a NUL byte"),
    };
    VERSION.as_ptr()
}

/// Writes the run-time library's version numbers to `major`, `minor` and
/// `patch`. Any of the three may be NULL, which skips it.
///
/// Thread safety: safe from any thread. Ownership: the caller owns the
/// three integers; nothing is retained.
///
/// Errors: none: always RELAXCAT_OK.
#[unsafe(no_mangle)]
pub extern "C" fn relaxcat_version(
    major: *mut u32,
    minor: *mut u32,
    patch: *mut u32,
) -> relaxcat_status {
    entry!({
        for (out, value) in [
            (major, RELAXCAT_VERSION_MAJOR),
            (minor, RELAXCAT_VERSION_MINOR),
            (patch, RELAXCAT_VERSION_PATCH),
        ] {
            if !out.is_null() {
                // SAFETY: the caller passes NULL or a pointer to a writable
                // `uint32_t` (documented); NULL was skipped above.
                unsafe { out.write_unaligned(value) };
            }
        }
        Ok(())
    })
}

/// The ABI version of the library loaded at run time. A program compiled
/// against this header should check
/// `relaxcat_abi_version() == RELAXCAT_ABI_VERSION` before other calls.
///
/// Thread safety: safe from any thread. Cannot fail, so it returns the
/// number rather than a status.
#[unsafe(no_mangle)]
pub extern "C" fn relaxcat_abi_version() -> u32 {
    RELAXCAT_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_error_kinds() {
        let pairs = [
            (ErrorKind::NullPointer, RELAXCAT_ERROR_NULL_POINTER),
            (ErrorKind::InvalidShape, RELAXCAT_ERROR_INVALID_SHAPE),
            (ErrorKind::SizeOverflow, RELAXCAT_ERROR_SIZE_OVERFLOW),
            (
                ErrorKind::InvalidParameterChoice,
                RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE,
            ),
            (
                ErrorKind::InvalidTemperature,
                RELAXCAT_ERROR_INVALID_TEMPERATURE,
            ),
            (ErrorKind::InvalidProbs, RELAXCAT_ERROR_INVALID_PROBS),
            (ErrorKind::InvalidLogits, RELAXCAT_ERROR_INVALID_LOGITS),
            (ErrorKind::InvalidValue, RELAXCAT_ERROR_INVALID_VALUE),
            (ErrorKind::Aliasing, RELAXCAT_ERROR_ALIASING),
            (ErrorKind::InvalidOption, RELAXCAT_ERROR_INVALID_OPTION),
            (ErrorKind::Internal, RELAXCAT_ERROR_INTERNAL),
            (ErrorKind::OutOfMemory, RELAXCAT_ERROR_OUT_OF_MEMORY),
        ];
        for (kind, status) in pairs {
            assert_eq!(code(kind), status, "{kind:?}");
        }
    }

    #[test]
    fn version_macros_match_the_package() {
        assert_eq!(
            RELAXCAT_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            RELAXCAT_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            RELAXCAT_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
    }

    #[test]
    fn entry_names_the_enclosing_function() {
        fn relaxcat_example() -> relaxcat_status {
            entry!({ Err(Error::new(crate::ErrorKind::InvalidShape, "k is 0")) })
        }
        assert_eq!(relaxcat_example(), RELAXCAT_ERROR_INVALID_SHAPE);
        // SAFETY: the pointer is the thread's NUL-terminated message.
        let message = unsafe { std::ffi::CStr::from_ptr(relaxcat_last_error_message()) };
        assert_eq!(message.to_str().unwrap(), "relaxcat_example: k is 0");
    }

    #[test]
    fn guard_turns_panics_into_internal() {
        let status = guard("f", || panic!("boom"));
        assert_eq!(status, RELAXCAT_ERROR_INTERNAL);
        // SAFETY: the pointer is the thread's NUL-terminated message.
        let message = unsafe { std::ffi::CStr::from_ptr(relaxcat_last_error_message()) };
        assert!(message.to_str().unwrap().contains("boom"));
        assert_eq!(guard("f", || Ok(())), RELAXCAT_OK);
        // SAFETY: as above.
        assert!(unsafe { std::ffi::CStr::from_ptr(relaxcat_last_error_message()) }.is_empty());
    }
}
