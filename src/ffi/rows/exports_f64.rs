//! GENERATED from exports_f32.rs by tests/all/header.rs: every `f32` made
//! `f64` and "floats" made "doubles". Do not edit; edit exports_f32.rs and
//! run `RELAXCAT_BLESS=1 cargo test --release --test all header::`.

use super::*;
use crate::ffi::status::entry;

/// `out[i] = ln sum_j exp(input[i * input_ld + j])` for `rows` rows of `k`
/// values (`f64`). A row of all `-inf` gives `-inf`, any NaN gives NaN, a
/// `+inf` (without NaN) gives `+inf`; values are not validated.
///
/// Sizes: `input` holds `(rows - 1) * input_ld + k` doubles (none when
/// `rows = 0`; NULL is then allowed), `input_ld >= k`, `k >= 1`; `out`
/// holds `rows` doubles. `ctx` is NULL (the caller's thread) or a context.
/// Contiguous rows (`input_ld == k`) are read in place and are fastest;
/// `input_ld > k` is copied to a temporary first. On error nothing is
/// written.
///
/// Errors: a NULL `input` or `out` with `rows > 0` (NULL_POINTER); `k = 0`,
/// `input_ld < k`, a buffer misaligned for its element type
/// (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); `out` overlapping
/// `input` (ALIASING); memory for a strided input's copy could not be
/// reserved (OUT_OF_MEMORY).
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
    entry! { unsafe logsumexp(ctx, rows, k, input, input_ld, out) }
}

/// `out` row `i` = `softmax(input row i)` for `rows` rows of `k` values
/// (`f64`). A row whose maximum is not finite (all `-inf`, or holding
/// `+inf` or NaN) gives NaN; values are not validated.
///
/// Sizes: `input` holds `(rows - 1) * input_ld + k` doubles and `out`
/// `(rows - 1) * out_ld + k` (none when `rows = 0`; NULL is then allowed),
/// with `input_ld >= k`, `out_ld >= k`, `k >= 1`. Elements between rows
/// (`j >= k`) are neither read nor written. `ctx` is NULL (the caller's
/// thread) or a context. Contiguous rows are used in place and are fastest.
/// On error nothing is written.
///
/// Errors: a NULL `input` or `out` with `rows > 0` (NULL_POINTER); `k = 0`,
/// `input_ld < k`, `out_ld < k`, a buffer misaligned for its element type
/// (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); `out` overlapping
/// `input` other than exactly in place (ALIASING); memory for a strided
/// matrix's temporary could not be reserved (OUT_OF_MEMORY).
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
    entry! { unsafe map(softmax_rows, ctx, rows, k, input, input_ld, out, out_ld) }
}

/// `out` row `i` = `input row i - logsumexp(input row i)` for `rows` rows of
/// `k` values (`f64`); non-finite maxima give NaN as in
/// `relaxcat_softmax_f64`, and sizes, strides and errors are as there.
///
/// Errors: as `relaxcat_softmax_f64`.
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
    entry! { unsafe map(log_softmax_rows, ctx, rows, k, input, input_ld, out, out_ld) }
}

/// Gumbel noise `g = -ln(-ln u)` (`f64`) for `rows` rows of `k` values, row
/// `j` from stream index `offset + j` of `seed`: exactly the noise the
/// samplers add to the logits for those stream rows, so
/// `relaxcat_gumbel_f64(ctx, s, o, ...)` pairs with
/// `relaxcat_dist_f64_rsample_rows(d, s, o, ...)`. Finite always.
///
/// Sizes: `out` holds `(rows - 1) * out_ld + k` doubles (none when
/// `rows = 0`; NULL is then allowed), `out_ld >= k`, `k >= 1`. `ctx` is
/// NULL (the caller's thread) or a context; results do not depend on it.
/// On error nothing is written.
///
/// Errors: a NULL `out` with `rows > 0` (NULL_POINTER); `k = 0`, `out_ld <
/// k`, a misaligned `out` (INVALID_SHAPE); sizes overflowing
/// (SIZE_OVERFLOW); memory for a strided output's temporary could not be
/// reserved (OUT_OF_MEMORY). Stream indices wrap modulo 2^64.
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
    entry! { unsafe gumbel(ctx, seed, offset, rows, k, out, out_ld) }
}
