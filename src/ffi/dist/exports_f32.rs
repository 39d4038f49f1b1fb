//! The C functions of the distribution handle (`relaxcat_dist_f32_*`:
//! creation, attributes, sampling and densities), over `f32`: each a typed
//! shim over a generic body in `src/ffi/dist.rs`. Their `f64` twins,
//! `exports_f64.rs`, are generated from this file by tests/all/header.rs:
//! edit this one, then run
//! `RELAXCAT_BLESS=1 cargo test --release --test all header::`.

use super::*;
use crate::ffi::status::entry;

/// Creates a distribution over `f32` with `batch_rows` (B) parameter rows
/// of `k` (K) categories.
///
/// Parameters: pass exactly one of `probs` and `logits` and NULL for the
/// other (both or neither is RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE). The
/// given one is a B x K matrix with leading dimension `probs_ld` /
/// `logits_ld` (>= K; the other `_ld` is ignored): `probs` rows need not
/// sum to 1; `logits` are unnormalised, and `-inf` masks a category.
/// `temperature` holds `temperature_len` values: 1 (shared) or B (one per
/// row). `flags` is 0 or RELAXCAT_DIST_NO_VALIDATE. `ctx` is NULL (every
/// call on the caller's thread) or a context whose threads and backend the
/// distribution keeps for all its calls.
///
/// Errors: `k = 0`, `batch_rows = 0` (the message names `batch_rows`),
/// `temperature_len` not 1 or B, the given matrix's `_ld < K`, a buffer
/// misaligned for its element type (INVALID_SHAPE); sizes overflowing
/// (SIZE_OVERFLOW); a NULL `out` or `temperature` (NULL_POINTER); both or
/// neither of `probs` and `logits` (INVALID_PARAMETER_CHOICE); unknown flag
/// bits (INVALID_OPTION); with validation on, a temperature not finite or
/// not positive (INVALID_TEMPERATURE), probs negative, non-finite or summing to 0
/// (INVALID_PROBS; `-0.0` is zero, not negative), logits NaN, `+inf` or all
/// `-inf` in a row (INVALID_LOGITS); memory for the handle's copy of the
/// parameters and its per-row state could not be reserved (OUT_OF_MEMORY,
/// checked before the parameters are read). The message names the C
/// parameter, then the row, category and value. On error `*out` is not
/// written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: the inputs are copied
/// (borrowed for the call only); the caller owns `*out` and frees it with
/// `relaxcat_dist_f32_free`; the context may be freed before the
/// distribution. Aliasing: inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_new(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    temperature: *const f32,
    temperature_len: usize,
    probs: *const f32,
    probs_ld: usize,
    logits: *const f32,
    logits_ld: usize,
    flags: u32,
    out: *mut *mut relaxcat_dist_f32,
) -> relaxcat_status {
    entry! {
        unsafe new(
            ctx, batch_rows, k, temperature, temperature_len, probs, probs_ld, logits, logits_ld,
            flags, out,
        )
    }
}

/// Frees a distribution. NULL is allowed and does nothing.
///
/// Errors: none: always RELAXCAT_OK (NULL included).
///
/// # Safety
/// Thread safety: no other call may be using `dist`. Ownership: takes back
/// `dist`, which must come from `relaxcat_dist_f32_new` or
/// `relaxcat_dist_f32_with_context` and not have been freed already.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_free(dist: *mut relaxcat_dist_f32) -> relaxcat_status {
    entry! { unsafe free(dist) }
}

/// Creates a copy of `dist` whose calls run on `ctx` (NULL: the caller's
/// thread only) instead of the context it was built with. On error `*out`
/// is not written.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); memory for the copy could
/// not be reserved (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` and `ctx` are
/// borrowed; the caller owns `*out` and frees it with
/// `relaxcat_dist_f32_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_with_context(
    dist: *const relaxcat_dist_f32,
    ctx: *const relaxcat_context,
    out: *mut *mut relaxcat_dist_f32,
) -> relaxcat_status {
    entry! { unsafe with_context(dist, ctx, out) }
}

/// Writes the number of categories K to `*out`.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` is borrowed;
/// `out` must point to a writable `size_t`, not written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_num_categories(
    dist: *const relaxcat_dist_f32,
    out: *mut usize,
) -> relaxcat_status {
    entry! { unsafe attribute(dist, out, |d| d.num_categories()) }
}

/// Writes the number of parameter rows B to `*out`.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` is borrowed;
/// `out` must point to a writable `size_t`, not written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_batch_rows(
    dist: *const relaxcat_dist_f32,
    out: *mut usize,
) -> relaxcat_status {
    entry! { unsafe attribute(dist, out, |d| d.batch_rows()) }
}

/// Writes the number of temperature values (1, or B) to `*out`.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` is borrowed;
/// `out` must point to a writable `size_t`, not written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_temperature_len(
    dist: *const relaxcat_dist_f32,
    out: *mut usize,
) -> relaxcat_status {
    entry! { unsafe attribute(dist, out, |d| d.temperature().len()) }
}

/// Copies the temperature as given (1 value, or B) to `out`, which holds
/// `out_len` floats; `out_len` must equal
/// `relaxcat_dist_f32_temperature_len` (else INVALID_SHAPE, nothing
/// written).
///
/// Errors: a NULL `dist`, or a NULL `out` with `out_len > 0`
/// (NULL_POINTER); `out_len` not the temperature length, a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` and `out` are
/// borrowed for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_temperature(
    dist: *const relaxcat_dist_f32,
    out: *mut f32,
    out_len: usize,
) -> relaxcat_status {
    entry! { unsafe temperature(dist, out, out_len) }
}

/// Copies the normalised probabilities (B x K) to `out` with leading
/// dimension `out_ld >= K`; `out` holds `(B - 1) * out_ld + K` floats.
/// Masked categories are 0. On error nothing is written.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); `out_ld < K`, a
/// misaligned `out` (INVALID_SHAPE); `(B - 1) * out_ld + K` overflowing
/// (SIZE_OVERFLOW); memory for the `B x K` temporary could not be reserved
/// (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` and `out` are
/// borrowed for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_probs(
    dist: *const relaxcat_dist_f32,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! { unsafe parameter(dist, out, out_ld, Dist::probs_into) }
}

/// Copies the normalised logits (`ln probs`, B x K) to `out` with leading
/// dimension `out_ld >= K`; `out` holds `(B - 1) * out_ld + K` floats.
/// Masked categories are `-inf`. On error nothing is written.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); `out_ld < K`, a
/// misaligned `out` (INVALID_SHAPE); `(B - 1) * out_ld + K` overflowing
/// (SIZE_OVERFLOW); memory for the `B x K` temporary could not be reserved
/// (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` and `out` are
/// borrowed for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_logits(
    dist: *const relaxcat_dist_f32,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! { unsafe parameter(dist, out, out_ld, Dist::logits_into) }
}

/// Writes the parameterisation the distribution was built from
/// (RELAXCAT_PARAM_PROBS or RELAXCAT_PARAM_LOGITS) to `*out`.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` is borrowed;
/// `out` must point to a writable `relaxcat_param`, not written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_param(
    dist: *const relaxcat_dist_f32,
    out: *mut relaxcat_param,
) -> relaxcat_status {
    entry! { unsafe attribute(dist, out, |d| param_code(d.param())) }
}

/// Writes whether parameter and `log_prob` values are validated (1) or not
/// (0, built with RELAXCAT_DIST_NO_VALIDATE) to `*out`.
///
/// Errors: a NULL `dist` or `out` (NULL_POINTER); a misaligned `out`
/// (INVALID_SHAPE).
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: `dist` is borrowed;
/// `out` must point to a writable `int32_t`, not written on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_validates(
    dist: *const relaxcat_dist_f32,
    out: *mut i32,
) -> relaxcat_status {
    entry! { unsafe attribute(dist, out, |d| i32::from(d.validates())) }
}

/// Draws `samples` x B relaxed samples `y` (points of the open simplex)
/// into `out`, a (samples * B) x K matrix with leading dimension
/// `out_ld >= K`: sample row `i` uses parameter row `i % B` and stream row
/// `position + i` of `generator`, which then advances by samples * B rows
/// (only on success). `out` holds `(samples * B - 1) * out_ld + K` floats
/// (none, NULL allowed, when `samples = 0`). Contiguous rows
/// (`out_ld == K`) are written in place and are fastest. Results depend
/// only on the seed and stream rows, never on threads or backend. On
/// error nothing is written and the generator does not move.
///
/// Errors: a NULL `dist` or `generator`, a NULL `out` with `samples > 0`
/// (NULL_POINTER); `out_ld < K`, a buffer misaligned for its element type
/// (INVALID_SHAPE); `samples * B` rows overflowing (SIZE_OVERFLOW); memory
/// for a strided output's temporary could not be reserved (OUT_OF_MEMORY).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: `dist`,
/// `generator` and `out` are borrowed for the call. Aliasing: `out` must
/// not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! { unsafe draw(draw_soft, dist, generator, samples, out, out_ld) }
}

/// A sample without gradient: the same values, sizes and rules as
/// `relaxcat_dist_f32_rsample` (a C caller has no autograd; the two names
/// mirror the Rust and Python APIs).
///
/// Errors: as `relaxcat_dist_f32_rsample`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: `dist`,
/// `generator` and `out` are borrowed for the call. Aliasing: `out` must
/// not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_sample(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! { unsafe draw(draw_soft, dist, generator, samples, out, out_ld) }
}

/// Log-space samples `x = ln y` (finite wherever the category is not
/// masked, even when `y` underflows at low temperature; masked categories
/// are `-inf`), with the sizes and rules of `relaxcat_dist_f32_rsample`.
/// Score them with `relaxcat_dist_f32_log_prob_x`.
///
/// Errors: as `relaxcat_dist_f32_rsample`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: `dist`,
/// `generator` and `out` are borrowed for the call. Aliasing: `out` must
/// not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_log(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! { unsafe draw(draw_log, dist, generator, samples, out, out_ld) }
}

/// Straight-through samples: `soft` gets the relaxed samples (as
/// `relaxcat_dist_f32_rsample`), `hard` the one-hot rows at each soft row's
/// largest component (ties: lowest index). Both are (samples * B) x K
/// matrices with their own leading dimension (>= K). On error nothing is
/// written and the generator does not move.
///
/// Errors: those of `relaxcat_dist_f32_rsample`, for `hard` and `soft`
/// each; `hard` and `soft` overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `hard` and `soft` must not
/// overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    hard: *mut f32,
    hard_ld: usize,
    soft: *mut f32,
    soft_ld: usize,
) -> relaxcat_status {
    entry! { unsafe draw_hard(dist, generator, samples, hard, hard_ld, soft, soft_ld) }
}

/// Stateless sampling: rows `[row_begin, row_end)` of the relaxed-sample
/// sequence of the stream `(seed, offset)`, where sample row `j` uses
/// parameter row `j % B` and stream index `offset + j`. Bit-identical to
/// the same rows of any larger call (so a draw can be split across calls,
/// threads or machines), and to `relaxcat_dist_f32_rsample` with a
/// generator of `seed` at position `offset`. `out` is a
/// (row_end - row_begin) x K matrix with leading dimension `out_ld >= K`.
/// A reversed range is INVALID_SHAPE. On error nothing is written.
///
/// Errors: a NULL `dist`, a NULL `out` with rows to write (NULL_POINTER);
/// `row_end < row_begin`, `out_ld < K`, a buffer misaligned for its element
/// type (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); memory for a
/// strided output's temporary could not be reserved (OUT_OF_MEMORY). Stream
/// indices `offset + j` wrap modulo 2^64 (no error), as in
/// `relaxcat_generator_take`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: `dist` and `out` are borrowed for the call. Aliasing:
/// `out` must not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_rows(
            draw_soft, dist, seed, offset, row_begin, row_end, out, out_ld,
        )
    }
}

/// Stateless log-space sampling: rows `[row_begin, row_end)` of the stream
/// `(seed, offset)` as in `relaxcat_dist_f32_rsample_rows`, written as
/// `x = ln y` as in `relaxcat_dist_f32_rsample_log`.
///
/// Errors: as `relaxcat_dist_f32_rsample_rows`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: `dist` and `out` are borrowed for the call. Aliasing:
/// `out` must not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_log_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_rows(
            draw_log, dist, seed, offset, row_begin, row_end, out, out_ld,
        )
    }
}

/// Stateless straight-through sampling: rows `[row_begin, row_end)` of the
/// stream `(seed, offset)` as in `relaxcat_dist_f32_rsample_rows`, one-hot
/// rows into `hard` and relaxed rows into `soft` as in
/// `relaxcat_dist_f32_rsample_hard`.
///
/// Errors: those of `relaxcat_dist_f32_rsample_rows`, for `hard` and `soft`
/// each; `hard` and `soft` overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `hard` and `soft` must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut f32,
    hard_ld: usize,
    soft: *mut f32,
    soft_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_hard_rows(
            dist, seed, offset, row_begin, row_end, hard, hard_ld, soft, soft_ld,
        )
    }
}

/// Log-density of each of `value_rows` (N) value rows: `value` is an N x K
/// matrix with leading dimension `value_ld >= K`, N a multiple of B (value
/// row `i` is scored against parameter row `i % B`: broadcasting over
/// sample dimensions); `out` receives N floats. A value with mass on a
/// masked category, or an exact 0 on an unmasked one, scores `-inf`.
/// Samples that underflowed are scored exactly on their log-space form by
/// `relaxcat_dist_f32_log_prob_x`.
///
/// Errors: a NULL `dist`, a NULL `value` or `out` with `value_rows > 0`
/// (NULL_POINTER); N not a multiple of B, `value_ld < K`, a buffer
/// misaligned for its element type (INVALID_SHAPE); sizes overflowing
/// (SIZE_OVERFLOW); `out` overlapping `value` (ALIASING); with validation
/// on, a value not finite, outside [0, 1], or a row not summing to 1 within
/// a tolerance scaled by K and the precision (INVALID_VALUE, naming the row
/// and category); memory for the results or a strided input's copy could
/// not be reserved (OUT_OF_MEMORY). On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `out` must not overlap `value` (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_log_prob(
    dist: *const relaxcat_dist_f32,
    value_rows: usize,
    value: *const f32,
    value_ld: usize,
    out: *mut f32,
) -> relaxcat_status {
    entry! { unsafe density(Dist::log_prob_into, dist, value_rows, value, value_ld, out) }
}

/// Log-density of log-space values `x = ln y` (the density of `x`, so
/// `log_prob(y) = log_prob_x(ln y) - sum_k ln y_k`), with the shapes,
/// broadcasting and rules of `relaxcat_dist_f32_log_prob`. The support is
/// `x = -inf` exactly on the masked categories and finite elsewhere; a
/// value off it (a finite `x` on a masked category, or `-inf` on an
/// unmasked one) is not an error: it scores `-inf` with RELAXCAT_OK, as
/// `relaxcat_dist_f32_log_prob` scores mass on a masked category. A
/// log-density whose exact value lies beyond the float range (for example
/// at `x = -1e308`) is `-inf`, not an error.
///
/// Errors: as `relaxcat_dist_f32_log_prob`, except that with validation on
/// a value must be <= 0 and not NaN, with `sum_k exp(x_k)` within
/// tolerance of 1 (else INVALID_VALUE, naming the row and category).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `out` must not overlap `value` (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_log_prob_x(
    dist: *const relaxcat_dist_f32,
    value_rows: usize,
    value: *const f32,
    value_ld: usize,
    out: *mut f32,
) -> relaxcat_status {
    entry! { unsafe density(Dist::log_prob_x_into, dist, value_rows, value, value_ld, out) }
}
