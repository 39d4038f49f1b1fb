//! The C functions of categorical sampling and hard indices
//! (`relaxcat_categorical_sample_f32`,
//! `relaxcat_dist_f32_rsample_hard_index*`), over `f32`: each a typed shim
//! over a generic body in `src/ffi/categorical.rs`. Their `f64` twins,
//! `exports_f64.rs`, are generated from this file by tests/all/header.rs:
//! edit this one, then run
//! `RELAXCAT_BLESS=1 cargo test --release --test all header::`.

use super::*;
use crate::ffi::status::entry;

/// Draws one index per sample row from `softmax(logits / T)` (`f32`):
/// rows `[row_begin, row_end)` of the `S x B` sample sequence of the stream
/// `(seed, offset)`, where sample row `j` uses logits row `j % B` and stream
/// index `offset + j`. Exact, not approximate (an exponential race over the
/// categories, its uniforms resolved to float precision near 0 with no
/// fixed grid: docs/SPEC.md, section 6), and
/// bit-identical for every context, backend, thread count and split of the
/// rows between calls. Each precision draws from its own stream layout
/// (that of its relaxed samplers), so the two precisions draw different
/// indices from one stream.
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
/// reversed range, a buffer misaligned for its element type
/// (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); a NULL `logits`,
/// `temperature` or `out` that must hold elements (NULL_POINTER); `out` or
/// `log_prob` overlapping each other or an input (ALIASING); memory for
/// the per-row preparation or the results could not be reserved
/// (OUT_OF_MEMORY); `top_k = 0` or unknown flag bits (INVALID_OPTION); with
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
    entry! {
        unsafe categorical(
            ctx, batch_rows, k, logits, logits_ld, temperature, temperature_len, top_k, flags, seed,
            offset, row_begin, row_end, out, log_prob,
        )
    }
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
/// Errors: a NULL `dist` or `generator`, a NULL `out` with `samples > 0`
/// (NULL_POINTER); a misaligned `out` (INVALID_SHAPE); `samples * B`
/// overflowing (SIZE_OVERFLOW).
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
    entry! { unsafe hard_index(dist, generator, samples, out) }
}

/// Stateless straight-through indices: rows `[row_begin, row_end)` of the
/// stream `(seed, offset)`, `out[i]` the position of the 1 in row `i` of
/// `relaxcat_dist_f32_rsample_hard_rows` for the same arguments, bit for
/// bit. `out` holds `row_end - row_begin` `int64_t`. A reversed range is
/// INVALID_SHAPE. On error nothing is written.
///
/// Errors: a NULL `dist`, a NULL `out` with rows to write (NULL_POINTER);
/// `row_end < row_begin`, a misaligned `out` (INVALID_SHAPE). Stream
/// indices wrap modulo 2^64 as in `relaxcat_dist_f32_rsample_rows`.
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
    entry! { unsafe hard_index_rows(dist, seed, offset, row_begin, row_end, out) }
}
