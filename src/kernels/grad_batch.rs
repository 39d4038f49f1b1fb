//! Runs of rows for the backward passes: the [`Kernel`] values that
//! [`crate::par`] and [`crate::par_reduce`] hand to a backend, one per task
//! or tile, looping over rows with the kernels of [`super::grad`].
//!
//! ```text
//! RsampleWithLogRows     rows of y and x = ln y from one draw (fused forward)
//! RsampleBackwardTile    a tile's rows -> its batch rows of lbar, tbar
//! LogProbBackwardTile    a tile's rows -> log_prob, value gradient (per row),
//!                        its batch rows of lbar, tbar
//! ProbsChainRows         lbar -> pbar, per batch row
//! ValueCheckRows         the log_prob value check, per row
//! ```
//!
//! A tile visits its rows batch row by batch row, samples in ascending
//! order, so each batch row's sum over samples has one order; short rows
//! go eight at a time (as the forward kernels), their per-row scalars
//! computed one row per lane after a transpose.

use super::grad::{
    LogProbRowScalars, SampleForm, exp_shift_into, log_prob_pass_a, log_prob_pass_b,
    log_prob_pass_c, probs_chain_row, rsample_backward_pass1, rsample_backward_pass2,
    rsample_backward_refine, value_check_row,
};
use super::sample::{
    argmax8, group_rows, log_finish_row, perturb_row, scale_argmax_row, scale_row,
};
use crate::rng::RowRng;
use crate::simd::{Kernel, LANES, Real, Vector, reduce_add8, reduce_max8};
use std::ops::Range;

/// The parameter-row value of `values` (one value, or one per row).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn per_row<T: Copy>(values: &[T], b: usize) -> T {
    values[if values.len() == 1 { 0 } else { b }]
}

/// The row `i` of `all` (rows of `k`), or `all` itself when it is empty
/// (a form that was not given).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn row_of<T>(all: &[T], i: usize, k: usize) -> &[T] {
    if all.is_empty() {
        all
    } else {
        &all[i * k..(i + 1) * k]
    }
}

/// Up to eight rows visited together.
struct Group {
    /// Batch row of each.
    b: [usize; LANES],
    /// Sample of each.
    s: [usize; LANES],
    /// Row index `s B + b` of each.
    i: [usize; LANES],
    /// How many.
    n: usize,
}

/// The visits `(b, s)` of a tile, batch rows outer, samples inner.
struct Visits {
    batch: Range<usize>,
    samples: Range<usize>,
    batch_rows: usize,
    b: usize,
    s: usize,
}

impl Visits {
    fn new(batch: Range<usize>, samples: Range<usize>, batch_rows: usize) -> Visits {
        let (b, s) = (batch.start, samples.start);
        Visits {
            batch,
            samples,
            batch_rows,
            b,
            s,
        }
    }

    /// The next up-to-`group` visits.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn next_group(&mut self, group: usize) -> Group {
        let mut g = Group {
            b: [0; LANES],
            s: [0; LANES],
            i: [0; LANES],
            n: 0,
        };
        while g.n < group && self.b < self.batch.end && !self.samples.is_empty() {
            g.b[g.n] = self.b;
            g.s[g.n] = self.s;
            g.i[g.n] = self.s * self.batch_rows + self.b;
            g.n += 1;
            self.s += 1;
            if self.s == self.samples.end {
                self.s = self.samples.start;
                self.b += 1;
            }
        }
        g
    }
}

/// Sample rows `first_row ..` as both `y` and `x = ln y` from the same
/// draw (and, if asked, the one-hot rows): the same bits as the soft, the
/// log-space and the straight-through samplers.
pub struct RsampleWithLogRows<'a, T> {
    /// Log-weights (logits, or `ln p`, up to a constant per row), `batch_rows x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift subtracted from its log-weights: the
    /// row's largest logit (the result is the same for any shift; this one
    /// keeps the rounding of the offset out of the sample and density).
    pub row_shift: &'a [T],
    /// `1 / t` per parameter row (one value for a scalar temperature).
    pub inv_temperature: &'a [T],
    /// Row length.
    pub k: usize,
    /// The seed.
    pub seed: u64,
    /// Stream index of sample row 0.
    pub stream_offset: u64,
    /// Sample-row index of the task's first row.
    pub first_row: usize,
    /// The task's rows of `y`.
    pub soft: &'a mut [T],
    /// The task's rows of `x`.
    pub log: &'a mut [T],
    /// The task's one-hot rows, or empty.
    pub hard: &'a mut [T],
}

impl<T: Real> Kernel<T> for RsampleWithLogRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    #[allow(clippy::needless_range_loop)] // r indexes the group's parallel arrays
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let rows = self.soft.len() / k;
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        let mut rng = RowRng::<V::Rng>::new(self.seed, first_stream_row, k, T::STEPS_PER_DRAW);
        let group = group_rows(k);
        let zero = V::splat(T::ZERO);
        let mut b = self.first_row % batch_rows;
        let mut g0 = 0;
        while g0 < rows {
            let n = group.min(rows - g0);
            // Pass 1: z = (l + g) / t into the log rows, and its maxima.
            let mut acc = [V::splat(T::NEG_INFINITY); LANES];
            for (r, a) in acc.iter_mut().enumerate().take(n) {
                let logits = &self.logits[b * k..(b + 1) * k];
                *a = perturb_row::<V>(
                    logits,
                    self.row_shift[b],
                    per_row(self.inv_temperature, b),
                    rng.next_row(),
                    &mut self.log[(g0 + r) * k..(g0 + r + 1) * k],
                );
                b = if b + 1 == batch_rows { 0 } else { b + 1 };
            }
            let m = reduce_max8(acc).to_array();
            // Pass 2: e = exp(z - m) into the soft rows, and its sums.
            let mut sums = [zero; LANES];
            for (r, s) in sums.iter_mut().enumerate().take(n) {
                let row = (g0 + r) * k..(g0 + r + 1) * k;
                *s = exp_shift_into::<V>(&self.log[row.clone()], &mut self.soft[row], m[r]);
            }
            let s = reduce_add8(sums);
            // Pass 3: y = e / s, x = (z - m) - ln s.
            let inv = V::splat(T::ONE).div(s).to_array();
            let ln_s = T::ln_normal_v(s).to_array();
            if self.hard.is_empty() {
                for r in 0..n {
                    scale_row::<V>(&mut self.soft[(g0 + r) * k..(g0 + r + 1) * k], inv[r]);
                }
            } else {
                let mut best = [V::splat(T::NEG_INFINITY); LANES];
                let mut best_index = [zero; LANES];
                for r in 0..n {
                    let row = (g0 + r) * k..(g0 + r + 1) * k;
                    (best[r], best_index[r]) = scale_argmax_row::<V>(
                        &mut self.soft[row.clone()],
                        inv[r],
                        &mut self.hard[row],
                    );
                }
                let index = argmax8(best, best_index).to_array();
                for r in 0..n {
                    self.hard[(g0 + r) * k + index[r].to_f64() as usize] = T::ONE;
                }
            }
            for r in 0..n {
                log_finish_row::<V>(&mut self.log[(g0 + r) * k..(g0 + r + 1) * k], m[r], ln_s[r]);
            }
            g0 += n;
        }
    }
}

/// The rsample backward pass over one tile: rows `s B + b` for `b` in
/// `batch`, `s` in `samples`.
pub struct RsampleBackwardTile<'a, T> {
    /// The upstream gradient is w.r.t. `x = ln y` (else w.r.t. `y`).
    pub log_cotangent: bool,
    /// The sample, all `S B` rows, in the form(s) given.
    pub sample: SampleForm<'a, T>,
    /// The upstream gradient, all `S B` rows.
    pub grad: &'a [T],
    /// `1 / t` per parameter row (one value for a scalar temperature).
    pub inv_temperature: &'a [T],
    /// Row length.
    pub k: usize,
    /// `B`.
    pub batch_rows: usize,
    /// The tile's samples.
    pub samples: Range<usize>,
    /// The tile's batch rows.
    pub batch: Range<usize>,
    /// The tile's batch rows of `lbar` (`batch.len() x k`), or empty.
    pub grad_logits: &'a mut [T],
    /// The tile's batch rows of `tbar` (`batch.len()`), or empty.
    pub grad_temperature: &'a mut [T],
    /// [`scratch_len`](Self::scratch_len) elements of scratch, any content.
    pub scratch: &'a mut [T],
}

impl<T: Real> RsampleBackwardTile<'_, T> {
    /// The scratch a tile needs: the form of the sample not given, for a
    /// group of rows.
    pub fn scratch_len(k: usize, sample: SampleForm<'_, T>) -> usize {
        if matches!(sample, SampleForm::Both { .. }) {
            0
        } else {
            group_rows(k) * k
        }
    }
}

impl<T: Real> Kernel<T> for RsampleBackwardTile<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        match (self.log_cotangent, self.sample) {
            (false, SampleForm::Soft(_)) => self.rows::<V, false, true, false>(),
            (false, SampleForm::Log(_)) => self.rows::<V, false, false, true>(),
            (false, SampleForm::Both { .. }) => self.rows::<V, false, true, true>(),
            (true, SampleForm::Soft(_)) => self.rows::<V, true, true, false>(),
            (true, SampleForm::Log(_)) => self.rows::<V, true, false, true>(),
            (true, SampleForm::Both { .. }) => self.rows::<V, true, true, true>(),
        }
    }
}

impl<T: Real> RsampleBackwardTile<'_, T> {
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    #[allow(clippy::needless_range_loop)] // r indexes the group's parallel arrays
    fn rows<V: Vector<Elem = T>, const LOG_COT: bool, const SOFT: bool, const LOG: bool>(self) {
        let RsampleBackwardTile {
            sample,
            grad,
            inv_temperature,
            k,
            batch_rows,
            samples,
            batch,
            grad_logits,
            grad_temperature,
            scratch,
            ..
        } = self;
        let (soft, log) = sample.slices();
        let both = SOFT && LOG;
        let group = group_rows(k);
        let derived = &mut scratch[..if both { 0 } else { group * k }];
        let want_l = !grad_logits.is_empty();
        let want_t = !grad_temperature.is_empty();
        let (b0, s0) = (batch.start, samples.start);
        let zero = V::splat(T::ZERO);
        let mut visits = Visits::new(batch, samples, batch_rows);
        loop {
            let g = visits.next_group(group);
            let n = g.n;
            if n == 0 {
                break;
            }
            let mut acc = [zero; LANES];
            for r in 0..n {
                let i = g.i[r];
                let d: &mut [T] = if both {
                    &mut []
                } else {
                    &mut derived[r * k..(r + 1) * k]
                };
                acc[r] = rsample_backward_pass1::<V, LOG_COT, SOFT, LOG>(
                    row_of(soft, i, k),
                    row_of(log, i, k),
                    row_of(grad, i, k),
                    d,
                    k,
                );
            }
            let c = reduce_add8(acc).to_array();
            let mut refine = [T::ZERO; LANES];
            if !LOG_COT {
                for r in 0..n {
                    let (ys, _) = forms::<T, SOFT, LOG>(soft, log, derived, r, g.i[r], k);
                    acc[r] = rsample_backward_refine::<V>(ys, row_of(grad, g.i[r], k), c[r], k);
                }
                refine = reduce_add8(acc).to_array();
            }
            for r in 0..n {
                let (b, s, i) = (g.b[r], g.s[r], g.i[r]);
                let (ys, xs) = forms::<T, SOFT, LOG>(soft, log, derived, r, i, k);
                let gl: &mut [T] = if want_l {
                    &mut grad_logits[(b - b0) * k..(b - b0 + 1) * k]
                } else {
                    &mut []
                };
                let inv_t = per_row(inv_temperature, b);
                acc[r] = rsample_backward_pass2::<V, LOG_COT>(
                    ys,
                    xs,
                    row_of(grad, i, k),
                    c[r],
                    refine[r],
                    inv_t,
                    gl,
                    s != s0,
                    k,
                );
            }
            if want_t {
                let sums = reduce_add8(acc).to_array();
                for r in 0..n {
                    let (b, s) = (g.b[r], g.s[r]);
                    let v = -per_row(inv_temperature, b) * sums[r];
                    let slot = &mut grad_temperature[b - b0];
                    *slot = if s == s0 { v } else { *slot + v };
                }
            }
        }
    }
}

/// Row `i` of `y` and of `x` for a backward pass given `y` (`SOFT`) and/or
/// `x` (`LOG`): the missing one is row `r` of `derived` (rows of `k`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn forms<'s, T, const SOFT: bool, const LOG: bool>(
    soft: &'s [T],
    log: &'s [T],
    derived: &'s [T],
    r: usize,
    i: usize,
    k: usize,
) -> (&'s [T], &'s [T]) {
    match (SOFT, LOG) {
        (true, false) => (row_of(soft, i, k), &derived[r * k..(r + 1) * k]),
        (false, true) => (&derived[r * k..(r + 1) * k], row_of(log, i, k)),
        _ => (row_of(soft, i, k), row_of(log, i, k)),
    }
}

/// The log-density backward pass (and the log-density) over one tile.
pub struct LogProbBackwardTile<'a, T> {
    /// Values are log-space samples `x = ln y`.
    pub log_space: bool,
    /// Log-weights (logits, or `ln p`, up to a constant per row), `B x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift subtracted from its log-weights: the
    /// row's largest logit (the result is the same for any shift; this one
    /// keeps the rounding of the offset out of the sample and density).
    pub row_shift: &'a [T],
    /// Temperature per parameter row (one value for a scalar temperature).
    pub temperature: &'a [T],
    /// `lgamma(K') + (K'-1) ln t` per parameter row.
    pub log_norm: &'a [f64],
    /// `K'` per parameter row.
    pub unmasked: &'a [usize],
    /// Row length.
    pub k: usize,
    /// `B`.
    pub batch_rows: usize,
    /// The tile's samples.
    pub samples: Range<usize>,
    /// The tile's batch rows.
    pub batch: Range<usize>,
    /// The values, all `S B` rows.
    pub value: &'a [T],
    /// The upstream gradient, one per value row (all `S B`).
    pub grad_out: &'a [T],
    /// The tile's batch rows of `lbar` (`batch.len() x k`), or empty.
    pub grad_logits: &'a mut [T],
    /// The tile's batch rows of `tbar` (`batch.len()`), or empty.
    pub grad_temperature: &'a mut [T],
    /// Per sample of the tile: its rows of the value gradient
    /// (`batch.len() x k`), or empty.
    pub grad_value: Vec<&'a mut [T]>,
    /// Per sample of the tile: its log-densities (`batch.len()`), or empty.
    pub log_prob: Vec<&'a mut [T]>,
    /// [`scratch_len`](Self::scratch_len) elements of scratch, any content.
    pub scratch: &'a mut [T],
}

impl<T: Real> LogProbBackwardTile<'_, T> {
    /// The scratch a tile needs: `s` (and `ln y` for values given as `y`)
    /// for a group of rows.
    pub fn scratch_len(k: usize, log_space: bool) -> usize {
        group_rows(k) * k * if log_space { 1 } else { 2 }
    }
}

impl<T: Real> Kernel<T> for LogProbBackwardTile<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        if self.log_space {
            self.rows::<V, true>()
        } else {
            self.rows::<V, false>()
        }
    }
}

impl<T: Real> LogProbBackwardTile<'_, T> {
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    #[allow(clippy::needless_range_loop)] // r indexes the group's parallel arrays
    fn rows<V: Vector<Elem = T>, const LOG_SPACE: bool>(self) {
        let LogProbBackwardTile {
            logits,
            row_shift,
            temperature,
            log_norm,
            unmasked,
            k,
            batch_rows,
            samples,
            batch,
            value,
            grad_out,
            grad_logits,
            grad_temperature,
            mut grad_value,
            mut log_prob,
            scratch,
            ..
        } = self;
        let group = group_rows(k);
        let (s_buf, ly_buf) = scratch.split_at_mut(group * k);
        let ly_buf = &mut ly_buf[..if LOG_SPACE { 0 } else { group * k }];
        let want_l = !grad_logits.is_empty();
        let want_t = !grad_temperature.is_empty();
        let (b0, s0) = (batch.start, samples.start);
        let zero = V::splat(T::ZERO);
        let ninf = V::splat(T::NEG_INFINITY);
        let inf = V::splat(T::INFINITY);
        let mut visits = Visits::new(batch, samples, batch_rows);
        loop {
            let g = visits.next_group(group);
            let n = g.n;
            if n == 0 {
                break;
            }
            // Pass A: s, ly, and the checks of the support.
            let (mut s_max, mut ly_sum, mut ninf_terms) =
                ([ninf; LANES], [zero; LANES], [zero; LANES]);
            for r in 0..n {
                let (b, i) = (g.b[r], g.i[r]);
                let ly: &mut [T] = if LOG_SPACE {
                    &mut []
                } else {
                    &mut ly_buf[r * k..(r + 1) * k]
                };
                let a = log_prob_pass_a::<V, LOG_SPACE>(
                    &logits[b * k..(b + 1) * k],
                    row_shift[b],
                    per_row(temperature, b),
                    &value[i * k..(i + 1) * k],
                    &mut s_buf[r * k..(r + 1) * k],
                    ly,
                );
                (s_max[r], ly_sum[r], ninf_terms[r]) = (a.s_max, a.ly_sum, a.ninf_terms);
            }
            let s_max = reduce_max8(s_max);
            let ninf_terms = reduce_add8(ninf_terms);
            let outside_v = V::mask_or(
                V::mask_or(s_max.eq(inf), s_max.eq(ninf)),
                zero.lt(ninf_terms),
            );
            let outside = V::select(outside_v, V::splat(T::ONE), zero).to_array();
            let m = s_max.to_array();
            // Pass B: e = exp(s - M) and the shifted sums.
            let (mut exp_sum, mut shifted_sum) = ([zero; LANES], [zero; LANES]);
            for r in 0..n {
                if outside[r] == T::ZERO {
                    [exp_sum[r], shifted_sum[r]] =
                        log_prob_pass_b::<V>(&mut s_buf[r * k..(r + 1) * k], k, m[r]);
                }
            }
            let exp_sum = reduce_add8(exp_sum);
            let shifted_sum = reduce_add8(shifted_sum);
            // The log-densities, one row per lane.
            let (mut norm, mut count) = ([T::ZERO; LANES], [T::ZERO; LANES]);
            for r in 0..n {
                norm[r] = T::from_f64(log_norm[g.b[r]]);
                count[r] = T::from_f64(unmasked[g.b[r]] as f64);
            }
            let kp = V::load(&count);
            let mut lp = V::load(&norm).add(shifted_sum);
            let ly_sum = reduce_add8(ly_sum);
            if !LOG_SPACE {
                lp = lp.sub(ly_sum);
            }
            let center = ly_sum.div(kp).to_array();
            let lp = V::select(outside_v, ninf, kp.neg().mul_add(T::ln_v(exp_sum), lp)).to_array();
            let inv_e = V::splat(T::ONE).div(exp_sum).to_array();
            // Pass C: the gradients.
            let mut tacc = [zero; LANES];
            for r in 0..n {
                let (b, s, i) = (g.b[r], g.s[r], g.i[r]);
                let j = s - s0;
                if !log_prob[j].is_empty() {
                    log_prob[j][b - b0] = lp[r];
                }
                let gv: &mut [T] = if grad_value[j].is_empty() {
                    &mut []
                } else {
                    &mut grad_value[j][(b - b0) * k..(b - b0 + 1) * k]
                };
                let gl: &mut [T] = if want_l {
                    &mut grad_logits[(b - b0) * k..(b - b0 + 1) * k]
                } else {
                    &mut []
                };
                if outside[r] != T::ZERO {
                    gv.fill(T::ZERO);
                    if s == s0 {
                        gl.fill(T::ZERO);
                    }
                    continue;
                }
                let c = LogProbRowScalars {
                    inv_e: inv_e[r],
                    unmasked: count[r],
                    t: per_row(temperature, b),
                    grad: grad_out[i],
                    center: center[r],
                };
                let ly = if LOG_SPACE {
                    &[][..]
                } else {
                    &ly_buf[r * k..(r + 1) * k]
                };
                tacc[r] = log_prob_pass_c::<V, LOG_SPACE>(
                    &logits[b * k..(b + 1) * k],
                    &value[i * k..(i + 1) * k],
                    &s_buf[r * k..(r + 1) * k],
                    ly,
                    c,
                    gl,
                    s != s0,
                    gv,
                );
            }
            if want_t {
                let sums = reduce_add8(tacc).to_array();
                for r in 0..n {
                    let (b, s) = (g.b[r], g.s[r]);
                    let v = if outside[r] != T::ZERO {
                        T::ZERO
                    } else {
                        grad_out[g.i[r]] * ((count[r] - T::ONE) / per_row(temperature, b) + sums[r])
                    };
                    let slot = &mut grad_temperature[b - b0];
                    *slot = if s == s0 { v } else { *slot + v };
                }
            }
        }
    }
}

/// `pbar` rows from `lbar` rows (see [`probs_chain_row`]).
pub struct ProbsChainRows<'a, T> {
    /// The probs the distribution was built from, the task's rows.
    pub probs: &'a [T],
    /// The logits gradient, the task's rows.
    pub grad_logits: &'a [T],
    /// The probs gradient, the task's rows.
    pub out: &'a mut [T],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for ProbsChainRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        for ((p, g), out) in self
            .probs
            .chunks_exact(k)
            .zip(self.grad_logits.chunks_exact(k))
            .zip(self.out.chunks_exact_mut(k))
        {
            probs_chain_row::<V>(p, g, out);
        }
    }
}

/// The value check of `log_prob` per row: the row total (`sum y`, or
/// `sum exp x`), NaN if some element was out of range.
pub struct ValueCheckRows<'a, T> {
    /// Values are log-space samples.
    pub log_space: bool,
    /// The task's value rows.
    pub value: &'a [T],
    /// Row length.
    pub k: usize,
    /// Elements per chunk of the density kernel (its check's order).
    pub chunk: usize,
    /// One total per row.
    pub totals: &'a mut [T],
}

impl<T: Real> Kernel<T> for ValueCheckRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        for (row, total) in self.value.chunks_exact(self.k).zip(self.totals.iter_mut()) {
            let (bad, sum) = if self.log_space {
                value_check_row::<V, true>(row, self.chunk)
            } else {
                value_check_row::<V, false>(row, self.chunk)
            };
            *total = if bad > T::ZERO { T::NAN } else { sum };
        }
    }
}
