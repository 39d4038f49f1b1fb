//! Allocation that reports failure as an error instead of aborting.
//!
//! Rust's global allocator aborts the process when an allocation fails. A
//! library inside someone else's process must not do that for a request it
//! was asked to serve, so every buffer the library allocates on behalf of a
//! call whose size grows with the call (distribution state, temporaries,
//! per-thread scratch, the `Vec`s the Rust API returns) is reserved here,
//! with `try_reserve_exact`. A failure is [`ErrorKind::OutOfMemory`] with
//! the byte count and what the memory was for; the caller gets it before
//! any output is written, because every call reserves before it computes.
//!
//! What still uses the infallible allocator: error messages, a call's task
//! list (a few words per task), the small fixed-size scratch of the density
//! kernels (at most a few rows of 1024 elements per task), the tie list of
//! the straight-through index (bounded by a row), and rayon's own job
//! queues and pool threads.
//!
//! [`set_thread_allocation_limit`] caps the size of each reservation on the
//! calling thread, so that tests can force the failure path without
//! exhausting the machine.

use crate::error::{Error, ErrorKind, Result};
use std::cell::Cell;

thread_local! {
    /// The largest reservation (bytes) allowed on this thread.
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Makes every reservation of more than `bytes` bytes made on the calling
/// thread fail as if the allocator had refused it (`None`: no limit, the
/// default). Returns the previous limit. For tests of the out-of-memory
/// path: run the call on [`Exec::serial`](crate::Exec::serial) (or a C
/// context of one thread) so that all of its reservations are made on this
/// thread. Not part of the API and not covered by semver.
#[doc(hidden)]
pub fn set_thread_allocation_limit(bytes: Option<usize>) -> Option<usize> {
    let previous = LIMIT.replace(bytes.unwrap_or(usize::MAX));
    (previous != usize::MAX).then_some(previous)
}

/// The error for a reservation of `len` elements of `T` for `what`.
fn out_of_memory<T>(what: &str, len: usize) -> Error {
    let size = size_of::<T>();
    match len.checked_mul(size) {
        Some(bytes) => Error::new(
            ErrorKind::OutOfMemory,
            format!("{what}: out of memory: cannot allocate {bytes} bytes ({len} x {size})"),
        ),
        None => Error::new(
            ErrorKind::OutOfMemory,
            format!("{what}: out of memory: {len} x {size} bytes overflows usize"),
        ),
    }
}

/// An empty `Vec` with room for exactly `len` elements, or an
/// [`ErrorKind::OutOfMemory`] error naming `what`.
pub(crate) fn reserve<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let bytes = len.saturating_mul(size_of::<T>());
    if bytes > LIMIT.get() {
        return Err(out_of_memory::<T>(what, len));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| out_of_memory::<T>(what, len))?;
    Ok(v)
}

/// `vec![value; len]`, fallibly.
pub(crate) fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>> {
    let mut v = reserve(len, what)?;
    v.resize(len, value);
    Ok(v)
}

/// `values.to_vec()`, fallibly.
pub(crate) fn copied<T: Clone>(values: &[T], what: &str) -> Result<Vec<T>> {
    let mut v = reserve(values.len(), what)?;
    v.extend_from_slice(values);
    Ok(v)
}

/// `iter.collect::<Vec<_>>()`, fallibly; `iter` yields exactly `len` items.
pub(crate) fn collected<T>(
    len: usize,
    iter: impl Iterator<Item = T>,
    what: &str,
) -> Result<Vec<T>> {
    let mut v = reserve(len, what)?;
    v.extend(iter);
    debug_assert_eq!(v.len(), len);
    Ok(v)
}

/// `Box::new(value)`, fallibly (the handles the C ABI hands out).
pub(crate) fn boxed<T>(value: T, what: &str) -> Result<Box<T>> {
    // A one-element Vec has the layout of a Box<T> of its element.
    let mut v = reserve(1, what)?;
    v.push(value);
    let boxed: Box<[T]> = v.into_boxed_slice();
    let raw = Box::into_raw(boxed) as *mut T;
    // SAFETY: `raw` points at one initialised `T`, allocated by the global
    // allocator with `Layout::new::<T>()` (a slice of one element has that
    // layout, and `into_boxed_slice` of an exact-capacity Vec does not
    // reallocate), which is what `Box<T>` frees with.
    Ok(unsafe { Box::from_raw(raw) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_fails_reservations_above_it_with_the_byte_count() {
        let before = set_thread_allocation_limit(Some(1000));
        assert_eq!(before, None);
        assert_eq!(filled(250, 0f32, "x").unwrap().len(), 250);
        let e = filled(251, 0f32, "logits copy").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfMemory);
        assert_eq!(
            e.message(),
            "logits copy: out of memory: cannot allocate 1004 bytes (251 x 4)"
        );
        assert!(boxed([0u8; 1001], "handle").is_err());
        assert_eq!(set_thread_allocation_limit(None), Some(1000));
        assert!(boxed([0u8; 1001], "handle").is_ok());
    }

    #[test]
    fn a_request_larger_than_any_machine_is_an_error_not_an_abort() {
        // 2^62 bytes: beyond any address space, refused by the allocator
        // (or by the capacity check), never an abort.
        let e = reserve::<u64>(1 << 59, "huge").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfMemory);
        assert!(e.message().contains("4611686018427387904 bytes"), "{e}");
        let e = reserve::<u64>(usize::MAX, "huge").unwrap_err();
        assert!(e.message().contains("overflows"), "{e}");
    }

    #[test]
    fn the_helpers_give_what_their_infallible_forms_give() {
        assert_eq!(copied(&[1, 2, 3], "c").unwrap(), vec![1, 2, 3]);
        assert_eq!(collected(3, 1..4, "c").unwrap(), vec![1, 2, 3]);
        assert_eq!(*boxed(7u64, "b").unwrap(), 7);
        assert_eq!(filled(2, 9u8, "f").unwrap(), vec![9, 9]);
    }
}
