//! `relaxcat_context`: the threads and SIMD backend a call runs on.
//!
//! ```text
//! context NULL      -> the caller's thread only, default backend
//! threads = 1       -> the caller's thread only
//! threads = n > 1   -> a pool of n threads owned by the context and every
//!                      distribution built with it (freed with the last)
//! ```
//!
//! The global rayon pool is never used from C, so an embedder bounds the
//! library's threads by the contexts it makes.

use super::buffer::{handle, out_param};
use super::status::{entry, relaxcat_status};
use crate::Backend;
use crate::alloc;
use crate::error::{Error, ErrorKind};
use crate::par::{Exec, Threads};
use std::ffi::{CStr, c_char};

/// Execution options for calls: a thread count and a SIMD backend.
/// Immutable once made. Created by `relaxcat_context_new`, freed by
/// `relaxcat_context_free`.
pub struct relaxcat_context {
    exec: Exec,
    threads: usize,
}

/// The execution options of an optional context: NULL is the caller's
/// thread with the default backend.
pub(crate) fn exec_of(ctx: *const relaxcat_context) -> Exec {
    if ctx.is_null() {
        Exec::serial()
    } else {
        // SAFETY: non-NULL; the caller passes a live context (documented).
        unsafe { &*ctx }.exec.clone()
    }
}

/// Creates a context that runs calls on `threads` threads with the SIMD
/// backend named `backend`.
///
/// `threads`: 1 runs every call on the caller's thread; `n > 1` starts a
/// pool of `n` worker threads owned by the context (and shared with every
/// distribution built with it; the pool stops when the last of them is
/// freed); 0 is `RELAXCAT_ERROR_INVALID_OPTION`. Small calls run on the
/// caller's thread whatever the count. Results are bit-identical for every
/// thread count and backend.
///
/// `backend`: NULL for the default (the best the CPU has, or the
/// `RELAXCAT_FORCE_BACKEND` environment variable), or `"scalar"`,
/// `"portable"`, `"avx2"` or `"avx512vl"` (case-insensitive); an unknown name, or one this
/// CPU cannot run,
/// is `RELAXCAT_ERROR_INVALID_OPTION`.
///
/// On success `*out` receives the new context; on error `*out` is not
/// written.
///
/// Errors: `threads = 0`, an unknown backend name or one this CPU cannot
/// run, a thread pool that could not be started (INVALID_OPTION); a NULL
/// `out` (NULL_POINTER); memory for the handle could not be reserved
/// (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: the caller owns `*out`
/// and frees it with `relaxcat_context_free`. `backend` is NULL or a
/// NUL-terminated string, read during the call only; `out` must point to
/// writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_context_new(
    threads: usize,
    backend: *const c_char,
    out: *mut *mut relaxcat_context,
) -> relaxcat_status {
    entry!({
        let out = out_param("out", out)?;
        let mut exec = Exec::serial();
        if !backend.is_null() {
            // SAFETY: non-NULL and NUL-terminated per the contract.
            let name = unsafe { CStr::from_ptr(backend) }.to_string_lossy();
            let chosen = Backend::from_name(&name).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOption,
                    format!(
                        "backend: unknown backend {name:?}; expected one of {:?}",
                        Backend::ALL.map(Backend::name)
                    ),
                )
            })?;
            exec = exec.with_backend(chosen)?;
        }
        let exec = exec.with_threads(threads)?;
        let context = alloc::boxed(relaxcat_context { exec, threads }, "context handle")?;
        // SAFETY: `out` was checked non-NULL and aligned.
        unsafe { out.write(Box::into_raw(context)) };
        Ok(())
    })
}

/// Frees a context. NULL is allowed and does nothing. Distributions built
/// with the context stay valid (they share its thread pool, which stops
/// when the last user is freed).
///
/// Errors: none: always RELAXCAT_OK (NULL included).
///
/// # Safety
/// Thread safety: the context must not be in use by another call while it
/// is freed. Ownership: takes back ownership of `ctx`, which must come from
/// `relaxcat_context_new` and not have been freed already.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_context_free(ctx: *mut relaxcat_context) -> relaxcat_status {
    entry!({
        if !ctx.is_null() {
            // SAFETY: `ctx` came from `Box::into_raw` in
            // `relaxcat_context_new` and is freed once (caller's contract).
            drop(unsafe { Box::from_raw(ctx) });
        }
        Ok(())
    })
}

/// Writes the context's thread count (as passed to `relaxcat_context_new`)
/// to `*out`.
///
/// Errors: a NULL `ctx` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `ctx` is borrowed for
/// the call. `out` must point to a writable `size_t`; on error it is not
/// written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_context_threads(
    ctx: *const relaxcat_context,
    out: *mut usize,
) -> relaxcat_status {
    entry!({
        let ctx = handle("ctx", ctx)?;
        let out = out_param("out", out)?;
        let threads = match ctx.exec.threads() {
            Threads::Serial => 1,
            _ => ctx.threads,
        };
        // SAFETY: checked non-NULL and aligned.
        unsafe { out.write(threads) };
        Ok(())
    })
}

/// Writes the name of the context's SIMD backend (`"scalar"`, `"portable"`,
/// `"avx2"` or `"avx512vl"`) to `*out`. A NULL context reports the default backend.
///
/// Errors: a NULL `out` (NULL_POINTER); a misaligned `out` (INVALID_SHAPE).
/// A NULL `ctx` is not an error.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: the string is static;
/// do not free it. `out` must point to writable storage for one pointer;
/// on error it is not written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_context_backend(
    ctx: *const relaxcat_context,
    out: *mut *const c_char,
) -> relaxcat_status {
    entry!({
        let out = out_param("out", out)?;
        // Static C strings for the names `Backend::name` gives.
        let name: &'static CStr = match exec_of(ctx).backend().name() {
            "scalar" => c"scalar",
            "portable" => c"portable",
            "avx2" => c"avx2",
            "avx512vl" => c"avx512vl",
            _ => c"unknown",
        };
        // SAFETY: checked non-NULL and aligned.
        unsafe { out.write(name.as_ptr()) };
        Ok(())
    })
}
