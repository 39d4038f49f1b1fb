//! Categorical sampling from raw logits, at vocabulary scale: one index
//! per row from `softmax(l / T)`, optionally only among the `k` largest
//! logits, with the log-probability of each drawn index if asked for.
//!
//! ```text
//! params  = (logits B x K, -inf masks;  temperature 1 or B values, T = 0 greedy;
//!            top_k: None = every category;  validate)
//! sample_rows(exec, params, stream, rows, out, log_prob)    rows [a, b) of the S x B rows
//! sample(exec, params, generator, samples, out, log_prob)    samples x B rows from a generator
//! sample row j: parameter row j % B, stream index offset + j
//! ```
//!
//! Exact, not approximate: an exponential race (the Gumbel-max trick in
//! the form `argmin E_i / p_i`, `E_i ~ Exp(1)`) whose uniforms keep the
//! element type's relative precision near 0 (no fixed grid), with a
//! filter that skips, without any transcendental function, only the
//! categories that cannot win (`kernels::categorical` has the algorithm;
//! docs/SPEC.md, section 6, the argument). Without
//! top-k and `log_prob` a row is one pass over its logits; top-k adds one
//! pass per parameter row (a threshold found by selection, no sort) after
//! which the race runs over the `k` candidates only; `log_prob` adds one
//! pass per parameter row (its log-normaliser), shared by its samples.
//!
//! Results are a pure function of `(seed, stream index)` and the
//! parameters: the same bits for every backend, thread count and row
//! range. The noise is not that of the relaxed samplers; for the index of
//! [`RelaxedOneHotCategorical::rsample_hard`](crate::RelaxedOneHotCategorical::rsample_hard)'s
//! one-hot rows, see
//! [`Draw::Index`](crate::Draw::Index).

use crate::alloc;
use crate::error::{Error, ErrorKind, Result, checked_product};
use crate::kernels::categorical::{CategoricalPrep, CategoricalRows};
use crate::kernels::params::{FLAGGED_ROW, ParamCheckRows};
use crate::par::{Exec, RowSplit, Slices, run_row_parts};
use crate::rng::{Generator, Stream, rows_per_block};
use crate::{Float, validate};
use std::ops::Range;

/// The parameters of a categorical draw.
#[derive(Clone, Copy, Debug)]
pub struct CategoricalParams<'a, T> {
    /// The categories per row, `K`.
    pub k: usize,
    /// Logits, `B x K` row-major, any shift per row; `-inf` masks a category.
    pub logits: &'a [T],
    /// One sampling temperature, or one per row: probabilities are
    /// proportional to `exp(l / T)`; `T = 0` draws the first index of the
    /// largest logit.
    pub temperature: &'a [T],
    /// Only the `k` largest logits of a row can be drawn (ties at the
    /// `k`-th largest value go to the lowest indices); `None`, or any
    /// `k` at least the row's unmasked count, restricts nothing. `Some(0)`
    /// is an error.
    pub top_k: Option<usize>,
    /// Check the temperatures (finite, `>= 0`) and logits (no NaN or
    /// `+inf`, not all `-inf`); shapes and `top_k` are always checked.
    /// Unchecked bad values give unspecified indices in `0..K`, never UB.
    pub validate: bool,
}

impl<'a, T: Float> CategoricalParams<'a, T> {
    /// Logits with a temperature, every category allowed, validation on.
    pub fn new(k: usize, logits: &'a [T], temperature: &'a [T]) -> Self {
        CategoricalParams {
            k,
            logits,
            temperature,
            top_k: None,
            validate: true,
        }
    }

    /// The same parameters, drawing only among the `k` largest logits.
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = Some(k);
        self
    }

    /// The same parameters with validation on or off.
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }
}

/// Checks the sampling temperatures: 1 or `batch_rows` values, each finite
/// and `>= 0` when `validate`.
fn check_temperature<T: Float>(t: &[T], batch_rows: usize, validate: bool) -> Result<()> {
    if t.len() != 1 && t.len() != batch_rows {
        return Err(Error::shape(format!(
            "temperature has {} values, expected 1 (scalar) or {batch_rows} (one per batch row)",
            t.len()
        )));
    }
    if validate
        && let Some((row, &v)) = t
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= T::ZERO))
    {
        return Err(Error::new(
            ErrorKind::InvalidTemperature,
            format!(
                "temperature: row {row} is {v:?}; sampling temperatures must be finite and >= 0 (0 draws the largest logit)"
            ),
        ));
    }
    Ok(())
}

/// The parameter rows sample rows `rows` (of `n`) draw from, as at most two
/// ranges of `0..batch_rows`.
#[allow(clippy::single_range_in_vec_init)]
fn touched(rows: &Range<usize>, batch_rows: usize) -> Vec<Range<usize>> {
    let n = rows.end - rows.start;
    if n >= batch_rows {
        return vec![0..batch_rows];
    }
    let first = rows.start % batch_rows;
    if first + n <= batch_rows {
        vec![first..first + n]
    } else {
        vec![first..batch_rows, 0..first + n - batch_rows]
    }
}

/// The parameter rows not in `touched` (at most three ranges).
fn untouched(touched: &[Range<usize>], batch_rows: usize) -> Vec<Range<usize>> {
    let mut sorted = touched.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out = Vec::new();
    let mut at = 0;
    for r in sorted {
        if r.start > at {
            out.push(at..r.start);
        }
        at = at.max(r.end);
    }
    if at < batch_rows {
        out.push(at..batch_rows);
    }
    out
}

/// Whether any row of `rows` breaks the logits rules (the check kernel of
/// distribution building).
fn any_bad_rows<T: Float>(exec: &Exec, logits: &[T], k: usize, rows: Range<usize>) -> Result<bool> {
    let n = rows.len();
    let mut shift = alloc::filled(n, T::ZERO, "row shifts")?;
    let mut unmasked = alloc::filled(n, 0usize, "unmasked counts")?;
    let split = RowSplit {
        rows: n,
        row_elements: k,
        first_stream_row: 0,
        block_rows: 1,
    };
    let input = &logits[rows.start * k..rows.end * k];
    run_row_parts(
        exec,
        split,
        (
            Slices([&mut shift[..]], [1]),
            Slices([&mut unmasked[..]], [1]),
        ),
        |task, (Slices([row_shift], _), Slices([unmasked], _))| {
            T::param_check_rows(
                exec.backend(),
                ParamCheckRows {
                    kind: crate::Param::Logits,
                    input: &input[task.start * k..task.end * k],
                    ln_probs: &mut [],
                    row_shift,
                    unmasked,
                    k,
                },
            )
        },
    );
    Ok(unmasked.contains(&FLAGGED_ROW))
}

/// Categorical indices: rows `rows` of the stream's `S x B` sample rows
/// (row `j` from parameter row `j % B`, stream index `stream.offset + j`)
/// into `out` (`rows.len()` indices in `0..K`), and their log-probabilities
/// under the tempered, top-k-restricted distribution into `log_prob` if
/// given (`rows.len()` values; `0` at `T = 0`). Equal, bit for bit, to
/// the same rows of any larger call.
///
/// Errors, with nothing written: `K = 0`, a logits length not a positive
/// multiple of `K`, a reversed range, an output of the wrong length, a
/// temperature count not 1 or `B` (`InvalidShape`); `top_k` of 0
/// (`InvalidOption`); with validation on, a temperature negative or not
/// finite (`InvalidTemperature`), logits NaN or `+inf` or a row all `-inf`
/// (`InvalidLogits`, naming the row and category). Every parameter row is
/// checked, also those the rows do not draw from.
pub fn sample_rows<T: Float>(
    exec: &Exec,
    params: CategoricalParams<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    out: &mut [i64],
    log_prob: Option<&mut [T]>,
) -> Result<()> {
    let CategoricalParams {
        k,
        logits,
        temperature,
        top_k,
        validate,
    } = params;
    if k == 0 {
        return Err(Error::shape("k is 0; K must be at least 1"));
    }
    if logits.is_empty() || !logits.len().is_multiple_of(k) {
        return Err(Error::shape(format!(
            "logits has {} elements, not a positive multiple of K = {k}",
            logits.len()
        )));
    }
    let batch_rows = logits.len() / k;
    let n = rows
        .end
        .checked_sub(rows.start)
        .ok_or_else(|| Error::shape(format!("rows {rows:?} is reversed")))?;
    if out.len() != n {
        return Err(Error::length("index output", out.len(), n));
    }
    if let Some(lp) = &log_prob
        && lp.len() != n
    {
        return Err(Error::length("log_prob output", lp.len(), n));
    }
    check_temperature(temperature, batch_rows, false)?;
    if top_k == Some(0) {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            "top_k is 0; at least one category must be drawable (None, or in C RELAXCAT_TOP_K_ALL, restricts nothing)",
        ));
    }
    check_temperature(temperature, batch_rows, validate)?;

    // 1/T saturates at the largest finite value (a subnormal T); T = 0
    // rows are greedy and never read theirs.
    let inv_t = temperature.iter().map(|&t| {
        if t == T::ZERO {
            T::ZERO
        } else {
            (T::ONE / t).min_finite()
        }
    });
    let inv_temperature = alloc::collected(temperature.len(), inv_t, "1 / temperature")?;
    let k_top = top_k.unwrap_or(k).min(k);
    let restrict = k_top < k;
    let wants_log_prob = log_prob.is_some();
    let touched = touched(&rows, batch_rows);
    let stride = if restrict { k_top } else { 0 };

    // Per parameter row, computed for the rows drawn from.
    let prep_rows = if restrict || wants_log_prob {
        batch_rows
    } else {
        0
    };
    let count_len = if restrict { prep_rows } else { 0 };
    let mut count = alloc::filled(count_len, 0usize, "top-k counts")?;
    let mut prep_flags = alloc::filled(prep_rows, 0usize, "row flags")?;
    // prep_rows * stride <= B * K: it fits, as the logits do.
    let mut cand_index = alloc::filled(prep_rows * stride, 0usize, "top-k indices")?;
    let mut cand_logit = alloc::filled(prep_rows * stride, T::ZERO, "top-k logits")?;
    let lp_width = usize::from(wants_log_prob);
    let mut shift = alloc::filled(prep_rows * lp_width, T::ZERO, "row shifts")?;
    let mut lse = alloc::filled(prep_rows * lp_width, T::ZERO, "log normalisers")?;
    if prep_rows > 0 {
        for range in &touched {
            let span = |w: usize| range.start * w..range.end * w;
            let count_w = usize::from(restrict);
            let outputs = (
                Slices(
                    [
                        &mut count[span(count_w)],
                        &mut prep_flags[range.clone()],
                        &mut cand_index[span(stride)],
                    ],
                    [count_w, 1, stride],
                ),
                Slices(
                    [
                        &mut cand_logit[span(stride)],
                        &mut shift[span(lp_width)],
                        &mut lse[span(lp_width)],
                    ],
                    [stride, lp_width, lp_width],
                ),
            );
            let split = RowSplit {
                rows: range.len(),
                row_elements: k,
                first_stream_row: 0,
                block_rows: 1,
            };
            let base = range.start;
            run_row_parts(
                exec,
                split,
                outputs,
                |task,
                 (
                    Slices([count, flags, cand_index], _),
                    Slices([cand_logit, shift, lse], _),
                )| {
                    let first = base + task.start;
                    T::categorical_prep(
                        exec.backend(),
                        CategoricalPrep {
                            logits: &logits[first * k..(base + task.end) * k],
                            k,
                            k_top,
                            temperature,
                            inv_temperature: &inv_temperature,
                            first_row: first,
                            log_normalizer: wants_log_prob,
                            count,
                            flags,
                            cand_index,
                            cand_logit,
                            shift,
                            lse,
                        },
                    )
                },
            );
        }
    }

    // The draws, into temporaries: nothing reaches the caller before every
    // check has passed.
    let mut index = alloc::filled(n, 0i64, "index result")?;
    let mut lp = alloc::filled(n * lp_width, T::ZERO, "log-probability result")?;
    let mut flags = alloc::filled(n, 0usize, "row flags")?;
    let split = RowSplit {
        rows: n,
        row_elements: k,
        first_stream_row: stream.offset.wrapping_add(rows.start as u64),
        block_rows: rows_per_block(k),
    };
    run_row_parts(
        exec,
        split,
        (
            Slices([&mut index[..]], [1]),
            (
                Slices([&mut lp[..]], [lp_width]),
                Slices([&mut flags[..]], [1]),
            ),
        ),
        |task, (Slices([out], _), (Slices([log_prob], _), Slices([flags], _)))| {
            T::categorical_rows(
                exec.backend(),
                CategoricalRows {
                    logits,
                    k,
                    temperature,
                    inv_temperature: &inv_temperature,
                    k_top: stride,
                    count: &count,
                    cand_index: &cand_index,
                    cand_logit: &cand_logit,
                    shift: &shift,
                    lse: &lse,
                    seed: stream.seed,
                    stream_offset: stream.offset,
                    first_row: rows.start + task.start,
                    out,
                    log_prob,
                    flags,
                },
            )
        },
    );
    if validate {
        let mut bad = prep_flags.contains(&1) || flags.contains(&1);
        for r in untouched(&touched, batch_rows) {
            bad = bad || any_bad_rows(exec, logits, k, r)?;
        }
        if bad {
            validate::logits(logits, k)?;
        }
    }
    out.copy_from_slice(&index);
    if let Some(out_lp) = log_prob {
        out_lp.copy_from_slice(&lp);
    }
    Ok(())
}

/// `samples x B` categorical indices (row `i` from parameter row `i % B`)
/// drawn from `generator`, which then advances by `samples * B` rows (only
/// on success). See [`sample_rows`].
pub fn sample<T: Float>(
    exec: &Exec,
    params: CategoricalParams<'_, T>,
    generator: &mut Generator,
    samples: usize,
    out: &mut [i64],
    log_prob: Option<&mut [T]>,
) -> Result<()> {
    let stream = Stream::new(generator.seed(), generator.position());
    let (k, len) = (params.k, params.logits.len());
    if k == 0 || len == 0 || !len.is_multiple_of(k) {
        // The shape error, naming what is wrong.
        return sample_rows(exec, params, stream, 0..0, out, log_prob);
    }
    let rows = checked_product("samples x batch rows", samples, len / k)?;
    sample_rows(exec, params, stream, 0..rows, out, log_prob)?;
    generator.take(rows as u64);
    Ok(())
}
