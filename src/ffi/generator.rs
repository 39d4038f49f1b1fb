//! `relaxcat_generator`: a seed and a stream position that advances by the
//! rows each sampling call draws. The position sits behind a mutex, so a
//! generator may be shared by threads: their calls serialise and each gets
//! fresh rows.

use super::buffer::{handle, out_param};
use super::status::{entry, relaxcat_status};
use crate::alloc;
use crate::rng::Generator;
use std::sync::{Mutex, MutexGuard};

/// A random stream handle: a seed and the stream index (row) the next
/// sampling call starts at. Created by `relaxcat_generator_new`, freed by
/// `relaxcat_generator_free`.
pub struct relaxcat_generator {
    inner: Mutex<Generator>,
}

impl relaxcat_generator {
    /// The generator, locked. A panic while it was locked never advanced it
    /// (positions move only on success), so a poisoned lock is still sound.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Generator> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Creates a generator at position 0 of `seed`'s stream. On success `*out`
/// receives it; on error `*out` is not written.
///
/// Errors: a NULL `out` (NULL_POINTER); memory for the handle could not be
/// reserved (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: the caller owns `*out`
/// and frees it with `relaxcat_generator_free`. `out` must point to
/// writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_new(
    seed: u64,
    out: *mut *mut relaxcat_generator,
) -> relaxcat_status {
    entry!({
        let out = out_param("out", out)?;
        let generator = relaxcat_generator {
            inner: Mutex::new(Generator::new(seed)),
        };
        let generator = alloc::boxed(generator, "generator handle")?;
        // SAFETY: `out` was checked non-NULL and aligned.
        unsafe { out.write(Box::into_raw(generator)) };
        Ok(())
    })
}

/// Frees a generator. NULL is allowed and does nothing.
///
/// Errors: none: always RELAXCAT_OK (NULL included).
///
/// # Safety
/// Thread safety: no other call may be using the generator. Ownership:
/// takes back `generator`, which must come from `relaxcat_generator_new`
/// and not have been freed already.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_free(
    generator: *mut relaxcat_generator,
) -> relaxcat_status {
    entry!({
        if !generator.is_null() {
            // SAFETY: from `Box::into_raw` in `relaxcat_generator_new`,
            // freed once (caller's contract).
            drop(unsafe { Box::from_raw(generator) });
        }
        Ok(())
    })
}

/// Writes the generator's seed to `*out`.
///
/// Errors: a NULL `generator` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread, also while others use the
/// generator. Ownership: `generator` is borrowed for the call. `out` must
/// point to a writable `uint64_t`; on error it is not written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_seed(
    generator: *const relaxcat_generator,
    out: *mut u64,
) -> relaxcat_status {
    entry!({
        let generator = handle("generator", generator)?;
        let out = out_param("out", out)?;
        let seed = generator.lock().seed();
        // SAFETY: checked non-NULL and aligned.
        unsafe { out.write(seed) };
        Ok(())
    })
}

/// Writes the stream index the next sampling call will start at to `*out`.
///
/// Errors: a NULL `generator` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread, also while others use the
/// generator (the value may be stale by the time it is read). Ownership:
/// `generator` is borrowed for the call. `out` must point to a writable
/// `uint64_t`; on error it is not written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_position(
    generator: *const relaxcat_generator,
    out: *mut u64,
) -> relaxcat_status {
    entry!({
        let generator = handle("generator", generator)?;
        let out = out_param("out", out)?;
        let position = generator.lock().position();
        // SAFETY: checked non-NULL and aligned.
        unsafe { out.write(position) };
        Ok(())
    })
}

/// Moves the generator to stream index `position` (rewind, replay or skip).
///
/// Errors: a NULL `generator` (NULL_POINTER). Every position is valid;
/// sampling from one near 2^64 wraps.
///
/// # Safety
/// Thread safety: safe from any thread (serialised with other calls on the
/// generator). Ownership: `generator` is borrowed for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_set_position(
    generator: *mut relaxcat_generator,
    position: u64,
) -> relaxcat_status {
    entry!({
        let generator = handle("generator", generator)?;
        generator.lock().set_position(position);
        Ok(())
    })
}

/// Reserves `rows` stream rows: writes the stream index of the first to
/// `*offset` and advances the generator past them (wrapping at 2^64). The
/// `(seed, offset)` pair then drives the stateless `_rows` samplers and
/// `relaxcat_gumbel_*`, for example to split one draw across processes.
///
/// Errors: a NULL `generator` or `offset` (NULL_POINTER); a misaligned
/// `offset` (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread (serialised; concurrent callers get
/// disjoint rows). Ownership: `generator` is borrowed for the call.
/// `offset` must point to a writable `uint64_t`; on error it is not written
/// and the generator does not move.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_generator_take(
    generator: *mut relaxcat_generator,
    rows: u64,
    offset: *mut u64,
) -> relaxcat_status {
    entry!({
        let generator = handle("generator", generator)?;
        let offset = out_param("offset", offset)?;
        let stream = generator.lock().take(rows);
        // SAFETY: checked non-NULL and aligned.
        unsafe { offset.write(stream.offset) };
        Ok(())
    })
}
