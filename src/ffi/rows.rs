//! The stateless row kernels: `logsumexp`, `softmax`, `log_softmax` and
//! Gumbel noise over `rows x K` matrices with leading dimensions.
//!
//! ```text
//! relaxcat_logsumexp_T(ctx, rows, k, input, input_ld, out)         out: rows
//! relaxcat_softmax_T / log_softmax_T(ctx, rows, k, input, input_ld,
//!                                    out, out_ld)   out may be input (same ld)
//! relaxcat_gumbel_T(ctx, seed, offset, rows, k, out, out_ld)
//! ```

use super::buffer::{disjoint, matrix, vector};
use super::context::{exec_of, relaxcat_context};
use super::status::{guard, relaxcat_status};
use crate::Float;
use crate::error::Result;
use crate::ops::{gumbel_rows, log_softmax_rows, logsumexp_rows, softmax_rows};
use crate::par::Exec;
use crate::rng::Stream;

/// `out[i] = logsumexp(input row i)`.
///
/// # Safety
/// The pointers address the documented extents (the extern functions'
/// contract).
unsafe fn logsumexp<T: Float>(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const T,
    input_ld: usize,
    out: *mut T,
) -> Result<()> {
    let input = matrix("input", input, rows, k, input_ld)?;
    let out = vector("out", out, rows)?;
    disjoint(&out.span, &[&input.span])?;
    let exec = exec_of(ctx);
    // SAFETY: extents, NULL and alignment checked; `out` is disjoint from
    // `input`; the caller's contract gives validity and exclusivity.
    let dense = unsafe { input.gather() };
    // SAFETY: as above.
    unsafe { out.fill(|out| logsumexp_rows(&exec, &dense, k, out)) }
}

/// Which row map `map` applies.
type RowMapFn<T> = fn(&Exec, &[T], usize, &mut [T]) -> Result<()>;

/// `out row i = f(input row i)`, in place when `out == input` with the same
/// leading dimension.
///
/// # Safety
/// The pointers address the documented extents.
#[allow(clippy::too_many_arguments)]
unsafe fn map<T: Float>(
    f: RowMapFn<T>,
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const T,
    input_ld: usize,
    out: *mut T,
    out_ld: usize,
) -> Result<()> {
    let input = matrix("input", input, rows, k, input_ld)?;
    let out = matrix("out", out, rows, k, out_ld)?;
    let exec = exec_of(ctx);
    let in_place = out.span.start == input.span.start && input_ld == out_ld;
    if in_place {
        // SAFETY: checked extent; only the mutable view of the one buffer
        // exists, and the copy ends its borrow before `fill` makes another.
        let dense = unsafe { out.copy_rows() };
        // SAFETY: as above.
        return unsafe { out.fill(|out| f(&exec, &dense, k, out)) };
    }
    disjoint(&out.span, &[&input.span])?;
    // SAFETY: checked extents; disjoint buffers.
    let dense = unsafe { input.gather() };
    // SAFETY: as above.
    unsafe { out.fill(|out| f(&exec, &dense, k, out)) }
}

/// Gumbel noise rows from stream index `offset`.
///
/// # Safety
/// The pointer addresses the documented extent.
unsafe fn gumbel<T: Float>(
    ctx: *const relaxcat_context,
    seed: u64,
    offset: u64,
    rows: usize,
    k: usize,
    out: *mut T,
    out_ld: usize,
) -> Result<()> {
    let out = matrix("out", out, rows, k, out_ld)?;
    let exec = exec_of(ctx);
    // SAFETY: checked extent; the caller's contract gives exclusivity.
    unsafe { out.fill(|out| gumbel_rows(&exec, Stream::new(seed, offset), k, out)) }
}

/// `out[i] = ln sum_j exp(input[i * input_ld + j])` for `rows` rows of `k`
/// values (`f32`). A row of all `-inf` gives `-inf`, any NaN gives NaN, a
/// `+inf` (without NaN) gives `+inf`; values are not validated.
///
/// Sizes: `input` holds `(rows - 1) * input_ld + k` floats (none when
/// `rows = 0`; NULL is then allowed), `input_ld >= k`, `k >= 1`; `out`
/// holds `rows` floats. `ctx` is NULL (the caller's thread) or a context.
/// Contiguous rows (`input_ld == k`) are read in place and are fastest;
/// `input_ld > k` is copied to a temporary first. On error nothing is
/// written.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` must not overlap `input` (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_logsumexp_f32(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f32,
    input_ld: usize,
    out: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_logsumexp_f32", || unsafe {
        logsumexp(ctx, rows, k, input, input_ld, out)
    })
}

/// `f64` form of `relaxcat_logsumexp_f32`; sizes count doubles.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` must not overlap `input` (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_logsumexp_f64(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f64,
    input_ld: usize,
    out: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_logsumexp_f64", || unsafe {
        logsumexp(ctx, rows, k, input, input_ld, out)
    })
}

/// `out` row `i` = `softmax(input row i)` for `rows` rows of `k` values
/// (`f32`). A row whose maximum is not finite (all `-inf`, or holding
/// `+inf` or NaN) gives NaN; values are not validated.
///
/// Sizes: `input` holds `(rows - 1) * input_ld + k` floats and `out`
/// `(rows - 1) * out_ld + k` (none when `rows = 0`; NULL is then allowed),
/// with `input_ld >= k`, `out_ld >= k`, `k >= 1`. Elements between rows
/// (`j >= k`) are neither read nor written. `ctx` is NULL (the caller's
/// thread) or a context. Contiguous rows are used in place and are fastest.
/// On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` may be exactly `input` with `out_ld == input_ld` (in
/// place); any other overlap is RELAXCAT_ERROR_ALIASING.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_softmax_f32(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f32,
    input_ld: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_softmax_f32", || unsafe {
        map(softmax_rows, ctx, rows, k, input, input_ld, out, out_ld)
    })
}

/// `f64` form of `relaxcat_softmax_f32`; sizes count doubles.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` may be exactly `input` with `out_ld == input_ld` (in
/// place); any other overlap is RELAXCAT_ERROR_ALIASING.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_softmax_f64(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f64,
    input_ld: usize,
    out: *mut f64,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_softmax_f64", || unsafe {
        map(softmax_rows, ctx, rows, k, input, input_ld, out, out_ld)
    })
}

/// `out` row `i` = `input row i - logsumexp(input row i)` for `rows` rows of
/// `k` values (`f32`); non-finite maxima give NaN as in
/// `relaxcat_softmax_f32`, and sizes, strides and errors are as there.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` may be exactly `input` with `out_ld == input_ld` (in
/// place); any other overlap is RELAXCAT_ERROR_ALIASING.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_log_softmax_f32(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f32,
    input_ld: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_log_softmax_f32", || unsafe {
        map(log_softmax_rows, ctx, rows, k, input, input_ld, out, out_ld)
    })
}

/// `f64` form of `relaxcat_log_softmax_f32`; sizes count doubles.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and inputs. Ownership: all buffers are borrowed for the call only.
/// Aliasing: `out` may be exactly `input` with `out_ld == input_ld` (in
/// place); any other overlap is RELAXCAT_ERROR_ALIASING.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_log_softmax_f64(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const f64,
    input_ld: usize,
    out: *mut f64,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_log_softmax_f64", || unsafe {
        map(log_softmax_rows, ctx, rows, k, input, input_ld, out, out_ld)
    })
}

/// Gumbel noise `g = -ln(-ln u)` (`f32`) for `rows` rows of `k` values, row
/// `j` from stream index `offset + j` of `seed`: exactly the noise the
/// samplers add to the logits for those stream rows, so
/// `relaxcat_gumbel_f32(ctx, s, o, ...)` pairs with
/// `relaxcat_dist_f32_rsample_rows(d, s, o, ...)`. Finite always.
///
/// Sizes: `out` holds `(rows - 1) * out_ld + k` floats (none when
/// `rows = 0`; NULL is then allowed), `out_ld >= k`, `k >= 1`. `ctx` is
/// NULL (the caller's thread) or a context; results do not depend on it.
/// On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `out` is borrowed for
/// the call only. Aliasing: nothing else is read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_gumbel_f32(
    ctx: *const relaxcat_context,
    seed: u64,
    offset: u64,
    rows: usize,
    k: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_gumbel_f32", || unsafe {
        gumbel(ctx, seed, offset, rows, k, out, out_ld)
    })
}

/// `f64` form of `relaxcat_gumbel_f32`; sizes count doubles.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `out` is borrowed for
/// the call only. Aliasing: nothing else is read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_gumbel_f64(
    ctx: *const relaxcat_context,
    seed: u64,
    offset: u64,
    rows: usize,
    k: usize,
    out: *mut f64,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_gumbel_f64", || unsafe {
        gumbel(ctx, seed, offset, rows, k, out, out_ld)
    })
}
