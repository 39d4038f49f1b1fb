//! Categorical sampling from raw logits (`relaxcat_categorical_sample_T`),
//! and the straight-through sample of a distribution as indices
//! (`relaxcat_dist_T_rsample_hard_index(_rows)`).
//!
//! ```text
//! relaxcat_categorical_sample_f32(ctx, B, K, logits, logits_ld, temperature, t_len,
//!                                 top_k, flags, seed, offset, begin, end, out, log_prob)
//!     out[i] in [0, K): sample row begin + i, from parameter row (begin + i) % B
//! relaxcat_dist_f32_rsample_hard_index(dist, generator, samples, out)
//! relaxcat_dist_f32_rsample_hard_index_rows(dist, seed, offset, begin, end, out)
//! ```
//!
//! The outputs are `int64_t` vectors, one index per sample row, and for
//! the categorical sampler an optional `log_prob` vector (NULL: not
//! wanted). The logits are read in place (contiguous rows) or gathered
//! (`logits_ld > K`); nothing is written on error.

use super::buffer::{all_disjoint, handle, matrix, mul, row_range, vector};
use super::context::{exec_of, relaxcat_context};
use super::dist::{DistHandle, RELAXCAT_DIST_NO_VALIDATE, relaxcat_dist_f32, relaxcat_dist_f64};
use super::generator::relaxcat_generator;
use super::status::{guard, relaxcat_status};
use crate::Float;
use crate::categorical::{CategoricalParams, sample_rows};
use crate::error::{Error, ErrorKind, Result};
use crate::rng::Stream;

/// `top_k` for `relaxcat_categorical_sample_*` that restricts nothing
/// (`SIZE_MAX`): every unmasked category can be drawn. Any `top_k` at least
/// the number of unmasked categories of a row does the same; 0 is
/// RELAXCAT_ERROR_INVALID_OPTION. (The header spells it `SIZE_MAX`,
/// through cbindgen.toml's `after_includes`.)
///
/// cbindgen:ignore
pub const RELAXCAT_TOP_K_ALL: usize = usize::MAX;

/// The categorical sampler over raw pointers.
///
/// # Safety
/// The pointers address the documented extents (the extern functions'
/// contract).
#[allow(clippy::too_many_arguments)]
unsafe fn categorical<T: Float>(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    logits: *const T,
    logits_ld: usize,
    temperature: *const T,
    temperature_len: usize,
    top_k: usize,
    flags: u32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
    log_prob: *mut T,
) -> Result<()> {
    if flags & !RELAXCAT_DIST_NO_VALIDATE != 0 {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!(
                "flags: unknown bits {:#x}; only RELAXCAT_DIST_NO_VALIDATE (1) is defined",
                flags & !RELAXCAT_DIST_NO_VALIDATE
            ),
        ));
    }
    if k == 0 {
        return Err(Error::shape("num_categories is 0; K must be at least 1"));
    }
    if batch_rows == 0 {
        return Err(Error::shape(
            "batch_rows is 0; a draw needs at least one parameter row",
        ));
    }
    let logits = matrix("logits", logits, batch_rows, k, logits_ld)?;
    let temperature = vector("temperature", temperature, temperature_len)?;
    let rows = row_range(row_begin, row_end)?;
    let n = rows.len();
    let out = vector("out", out, n)?;
    let log_prob = if log_prob.is_null() {
        None
    } else {
        Some(vector("log_prob", log_prob, n)?)
    };
    let mut outputs = vec![&out.span];
    outputs.extend(log_prob.as_ref().map(|m| &m.span));
    all_disjoint(&outputs, &[&logits.span, &temperature.span])?;
    // SAFETY: extents, NULL and alignment checked; the outputs are disjoint
    // from the inputs and each other; readable / exclusive per contract.
    let (dense, t) = unsafe { (logits.gather(), temperature.slice()) };
    let params = CategoricalParams {
        k,
        logits: &dense,
        temperature: t,
        top_k: (top_k != RELAXCAT_TOP_K_ALL).then_some(top_k),
        validate: flags & RELAXCAT_DIST_NO_VALIDATE == 0,
    };
    // SAFETY: as above; `sample_rows` writes nothing unless it succeeds.
    let (out, log_prob) = unsafe { (out.slice_mut(), log_prob.map(|m| m.slice_mut())) };
    sample_rows(
        &exec_of(ctx),
        params,
        Stream::new(seed, offset),
        rows,
        out,
        log_prob,
    )
}

/// Draws one index per sample row from `softmax(logits / T)` (`f32`):
/// rows `[row_begin, row_end)` of the `S x B` sample sequence of the stream
/// `(seed, offset)`, where sample row `j` uses logits row `j % B` and stream
/// index `offset + j`. Exact, not approximate (an exponential race over the
/// categories, its uniforms resolved to float precision near 0 with no
/// fixed grid: docs/SPEC.md, section 6), and
/// bit-identical for every context, backend, thread count and split of the
/// rows between calls.
///
/// Inputs: `logits`, B x K raw logits with leading dimension `logits_ld >=
/// K` (`-inf` masks a category, which is never drawn); `temperature`,
/// `temperature_len` values (1 shared, or B one per row), `T >= 0`, with
/// probabilities proportional to `exp(l / T)` and `T = 0` drawing the
/// first index of the largest logit; `top_k`: only the `top_k` largest
/// logits of a row can be drawn (ties at the `top_k`-th largest value go to
/// the lowest indices), RELAXCAT_TOP_K_ALL (or any value at least the
/// row's unmasked count) for no restriction, 0 is an error; `flags`: 0 or
/// RELAXCAT_DIST_NO_VALIDATE.
///
/// Outputs: `out`, `row_end - row_begin` indices in `[0, K)`; `log_prob`,
/// NULL (not wanted) or `row_end - row_begin` floats: the log-probability
/// of each drawn index under the tempered, top-k-restricted distribution
/// (0 at `T = 0`). NULL is allowed for either when the range is empty.
///
/// Errors: K = 0, B = 0, `temperature_len` not 1 or B, `logits_ld < K`, a
/// reversed range (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); a
/// NULL `logits`, `temperature` or `out` that must hold elements
/// (NULL_POINTER); `top_k = 0` or unknown flag bits (INVALID_OPTION); with
/// validation on, a temperature negative, NaN or infinite
/// (INVALID_TEMPERATURE), logits NaN or `+inf`, or a row all `-inf`
/// (INVALID_LOGITS, naming the row and category; every row is checked,
/// also those the range does not draw from). With RELAXCAT_DIST_NO_VALIDATE
/// such values give unspecified indices in `[0, K)`, never undefined
/// behaviour. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and the inputs. Ownership: every pointer is borrowed for the call;
/// nothing is kept. Aliasing: `out` and `log_prob` must not overlap each
/// other, `logits` or `temperature` (RELAXCAT_ERROR_ALIASING); the inputs
/// may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_categorical_sample_f32(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    logits: *const f32,
    logits_ld: usize,
    temperature: *const f32,
    temperature_len: usize,
    top_k: usize,
    flags: u32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
    log_prob: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_categorical_sample_f32", || unsafe {
        categorical(
            ctx,
            batch_rows,
            k,
            logits,
            logits_ld,
            temperature,
            temperature_len,
            top_k,
            flags,
            seed,
            offset,
            row_begin,
            row_end,
            out,
            log_prob,
        )
    })
}

/// `f64` form of `relaxcat_categorical_sample_f32`; `logits`,
/// `temperature` and `log_prob` hold doubles. Each precision draws from its
/// own stream layout (that of its relaxed samplers), so the indices are
/// not those of the `f32` function.
///
/// # Safety
/// Thread safety: safe from any thread; concurrent calls may share `ctx`
/// and the inputs. Ownership: every pointer is borrowed for the call;
/// nothing is kept. Aliasing: `out` and `log_prob` must not overlap each
/// other, `logits` or `temperature` (RELAXCAT_ERROR_ALIASING); the inputs
/// may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_categorical_sample_f64(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    logits: *const f64,
    logits_ld: usize,
    temperature: *const f64,
    temperature_len: usize,
    top_k: usize,
    flags: u32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
    log_prob: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_categorical_sample_f64", || unsafe {
        categorical(
            ctx,
            batch_rows,
            k,
            logits,
            logits_ld,
            temperature,
            temperature_len,
            top_k,
            flags,
            seed,
            offset,
            row_begin,
            row_end,
            out,
            log_prob,
        )
    })
}

/// `samples * B` straight-through indices from `generator`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
unsafe fn hard_index<H: DistHandle>(
    dist: *const H,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut i64,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let generator = handle("generator", generator)?;
    let rows = mul("samples x batch rows", samples, dist.batch_rows())?;
    let out = vector("out", out, rows)?;
    let mut generator = generator.lock();
    // SAFETY: checked extent; exclusive per contract; written only on
    // success.
    let out = unsafe { out.slice_mut() };
    dist.rsample_hard_index_into(&mut generator, samples, out)
}

/// Straight-through indices of rows `[begin, end)` of a stream.
///
/// # Safety
/// Pointers live / addressing the documented extents.
unsafe fn hard_index_rows<H: DistHandle>(
    dist: *const H,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let rows = row_range(row_begin, row_end)?;
    let out = vector("out", out, rows.len())?;
    // SAFETY: checked extent; exclusive per contract; written only on
    // success.
    let out = unsafe { out.slice_mut() };
    dist.rsample_hard_index_rows_into(Stream::new(seed, offset), rows, out)
}

/// Straight-through samples as indices: `out` (samples * B `int64_t`)
/// receives, for each sample row, the position of the 1 that
/// `relaxcat_dist_f32_rsample_hard` would write with the generator at the
/// same position (ties included: the first index of the largest soft
/// component), without computing the soft sample. Sample row `i` uses
/// parameter row `i % B`; the generator then advances by samples * B rows
/// (only on success). The indices are distributed as the categorical of
/// the distribution's probs, at any temperature. `out` may be NULL when
/// `samples = 0`. On error nothing is written and the generator does not
/// move.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `out` must not be read or
/// written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_index(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut i64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_hard_index", || unsafe {
        hard_index(dist, generator, samples, out)
    })
}

/// Stateless straight-through indices: rows `[row_begin, row_end)` of the
/// stream `(seed, offset)`, `out[i]` the position of the 1 in row `i` of
/// `relaxcat_dist_f32_rsample_hard_rows` for the same arguments, bit for
/// bit. `out` holds `row_end - row_begin` `int64_t`. A reversed range is
/// INVALID_SHAPE. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: `dist` and `out` are borrowed for the call. Aliasing:
/// `out` must not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_index_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_hard_index_rows", || unsafe {
        hard_index_rows(dist, seed, offset, row_begin, row_end, out)
    })
}

/// `f64` form of `relaxcat_dist_f32_rsample_hard_index`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `out` must not be read or
/// written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_hard_index(
    dist: *const relaxcat_dist_f64,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut i64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_hard_index", || unsafe {
        hard_index(dist, generator, samples, out)
    })
}

/// `f64` form of `relaxcat_dist_f32_rsample_hard_index_rows`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: `dist` and `out` are borrowed for the call. Aliasing:
/// `out` must not be read or written by anyone else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_hard_index_rows(
    dist: *const relaxcat_dist_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_hard_index_rows", || unsafe {
        hard_index_rows(dist, seed, offset, row_begin, row_end, out)
    })
}
