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
    HAVE_BOTH, HAVE_LOG, HAVE_SOFT, Have, LogProbPassA, LogProbRowScalars, RsamplePass1,
    exp_shift_into, log_prob_pass_a, log_prob_pass_b, log_prob_pass_c, probs_chain_row,
    rsample_backward_pass1, rsample_backward_pass2, value_check_row,
};
use super::sample::{argmax8, group_rows, log_finish_row, perturb_row, scale_row};
use crate::rng::RowRng;
use crate::simd::{Kernel, LANES, Real, Vector, reduce_add8, reduce_max8};
use std::ops::Range;

/// The parameter-row value of `values` (one value, or one per row).
#[inline(always)]
fn per_row<T: Copy>(values: &[T], b: usize) -> T {
    values[if values.len() == 1 { 0 } else { b }]
}

/// Up to `group` visits `(b, s)` of a tile, batch rows outer, samples inner.
struct Visits {
    batch: Range<usize>,
    samples: Range<usize>,
    b: usize,
    s: usize,
}

impl Visits {
    fn new(batch: Range<usize>, samples: Range<usize>) -> Visits {
        let (b, s) = (batch.start, samples.start);
        Visits {
            batch,
            samples,
            b,
            s,
        }
    }

    /// The next up-to-`group` visits and their count.
    #[inline(always)]
    fn next_group(&mut self, group: usize) -> ([(usize, usize); LANES], usize) {
        let mut out = [(0, 0); LANES];
        let mut n = 0;
        while n < group && self.b < self.batch.end && !self.samples.is_empty() {
            out[n] = (self.b, self.s);
            n += 1;
            self.s += 1;
            if self.s == self.samples.end {
                self.s = self.samples.start;
                self.b += 1;
            }
        }
        (out, n)
    }
}

/// Sample rows `first_row ..` as both `y` and `x = ln y` from the same
/// draw: the same bits as the soft and the log-space samplers.
pub struct RsampleWithLogRows<'a, T> {
    /// Normalised logits, `batch_rows x k`.
    pub logits: &'a [T],
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
}

impl<T: Real> Kernel<T> for RsampleWithLogRows<'_, T> {
    type Output = ();
    #[inline(always)]
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
            let range = |r: usize| (g0 + r) * k..(g0 + r + 1) * k;
            // Pass 1: z = (l + g) / t into the log rows, and its maxima.
            let mut acc = [V::splat(T::NEG_INFINITY); LANES];
            for (r, a) in acc.iter_mut().enumerate().take(n) {
                let logits = &self.logits[b * k..(b + 1) * k];
                *a = perturb_row::<V>(
                    logits,
                    per_row(self.inv_temperature, b),
                    rng.next_row(),
                    &mut self.log[range(r)],
                );
                b = if b + 1 == batch_rows { 0 } else { b + 1 };
            }
            let m = reduce_max8(acc).to_array();
            // Pass 2: e = exp(z - m) into the soft rows, and its sums.
            let mut sums = [zero; LANES];
            for (r, s) in sums.iter_mut().enumerate().take(n) {
                *s = exp_shift_into::<V>(&self.log[range(r)], &mut self.soft[range(r)], m[r]);
            }
            let s = reduce_add8(sums);
            // Pass 3: y = e / s, x = (z - m) - ln s.
            let inv = V::splat(T::ONE).div(s).to_array();
            let ln_s = T::ln_normal_v(s).to_array();
            for r in 0..n {
                scale_row::<V>(&mut self.soft[range(r)], inv[r]);
                log_finish_row::<V>(&mut self.log[range(r)], m[r], ln_s[r]);
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
    /// Which sample forms are given.
    pub have: Have,
    /// `y`, all `S B` rows (empty for [`Have::Log`]).
    pub soft: &'a [T],
    /// `x`, all `S B` rows (empty for [`Have::Soft`]).
    pub log: &'a [T],
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
}

impl<T: Real> Kernel<T> for RsampleBackwardTile<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        match (self.log_cotangent, self.have) {
            (false, Have::Soft) => self.rows::<V, false, HAVE_SOFT>(),
            (false, Have::Log) => self.rows::<V, false, HAVE_LOG>(),
            (false, Have::Both) => self.rows::<V, false, HAVE_BOTH>(),
            (true, Have::Soft) => self.rows::<V, true, HAVE_SOFT>(),
            (true, Have::Log) => self.rows::<V, true, HAVE_LOG>(),
            (true, Have::Both) => self.rows::<V, true, HAVE_BOTH>(),
        }
    }
}

impl<'a, T: Real> RsampleBackwardTile<'a, T> {
    #[inline(always)]
    fn rows<V: Vector<Elem = T>, const LOG_COT: bool, const HAVE: u8>(self) {
        let RsampleBackwardTile {
            soft,
            log,
            grad,
            inv_temperature,
            k,
            batch_rows,
            samples,
            batch,
            grad_logits,
            grad_temperature,
            ..
        } = self;
        let group = group_rows(k);
        let mut derived = vec![T::ZERO; if HAVE == HAVE_BOTH { 0 } else { group * k }];
        let want_l = !grad_logits.is_empty();
        let want_t = !grad_temperature.is_empty();
        let (b0, s0) = (batch.start, samples.start);
        let zero = V::splat(T::ZERO);
        // The pivot step needs exact float indices (below 2^24 in f32).
        let pivot = !LOG_COT && (k as f64) < 1.0 / T::EPSILON.to_f64();
        let one_sample = samples.len() == 1;
        let mut visits = Visits::new(batch, samples);
        loop {
            let (rows, n) = visits.next_group(group);
            if n == 0 {
                break;
            }
            let range = |r: usize| {
                let (b, s) = rows[r];
                let i = s * batch_rows + b;
                i * k..(i + 1) * k
            };
            let pick = |all: &'a [T], r: usize| -> &'a [T] {
                if all.is_empty() { all } else { &all[range(r)] }
            };
            let empty = RsamplePass1 {
                sum: zero,
                best: zero,
                best_index: zero,
            };
            let mut p1 = [empty; LANES];
            for (r, a) in p1.iter_mut().enumerate().take(n) {
                let d: &mut [T] = if HAVE == HAVE_BOTH {
                    &mut []
                } else {
                    &mut derived[r * k..(r + 1) * k]
                };
                *a = rsample_backward_pass1::<V, LOG_COT, HAVE>(
                    pick(soft, r),
                    pick(log, r),
                    &grad[range(r)],
                    d,
                    k,
                );
            }
            let c = reduce_add8(p1.map(|a| a.sum)).to_array();
            let pivots = if pivot {
                argmax8(p1.map(|a| a.best), p1.map(|a| a.best_index)).to_array()
            } else {
                [T::ZERO; LANES]
            };
            let mut sums = [[zero; 2]; LANES];
            let mut t_fix = [T::ZERO; LANES];
            for r in 0..n {
                let (b, s) = rows[r];
                let d = if HAVE == HAVE_BOTH {
                    &[][..]
                } else {
                    &derived[r * k..(r + 1) * k]
                };
                let (ys, xs) = match HAVE {
                    HAVE_SOFT => (pick(soft, r), d),
                    HAVE_LOG => (d, pick(log, r)),
                    _ => (pick(soft, r), pick(log, r)),
                };
                let g = &grad[range(r)];
                let gl: &mut [T] = if want_l {
                    &mut grad_logits[(b - b0) * k..(b - b0 + 1) * k]
                } else {
                    &mut []
                };
                let inv_t = per_row(inv_temperature, b);
                let accumulate = s != s0;
                let p = pivots[r].to_f64() as usize;
                let prev = if pivot && want_l { gl[p] } else { T::ZERO };
                sums[r] =
                    rsample_backward_pass2::<V, LOG_COT>(ys, xs, g, c[r], inv_t, gl, accumulate, k);
                if pivot && !one_sample {
                    // The next row may add to this batch row: fix the pivot now.
                    let z_sum = sums[r][1].reduce_add();
                    t_fix[r] = fix_pivot(
                        ys[p], g[p], xs[p], c[r], z_sum, inv_t, gl, p, accumulate, prev,
                    );
                }
            }
            if pivot && one_sample {
                // Every row of the group has its own batch row.
                let z_sum = reduce_add8(sums.map(|s| s[1])).to_array();
                for r in 0..n {
                    let (b, _) = rows[r];
                    let (ys, xs) = match HAVE {
                        HAVE_SOFT => (pick(soft, r), &derived[r * k..(r + 1) * k]),
                        HAVE_LOG => (&derived[r * k..(r + 1) * k], pick(log, r)),
                        _ => (pick(soft, r), pick(log, r)),
                    };
                    let gl: &mut [T] = if want_l {
                        &mut grad_logits[(b - b0) * k..(b - b0 + 1) * k]
                    } else {
                        &mut []
                    };
                    let p = pivots[r].to_f64() as usize;
                    let g = grad[range(r).start + p];
                    let inv_t = per_row(inv_temperature, b);
                    t_fix[r] = fix_pivot(
                        ys[p],
                        g,
                        xs[p],
                        c[r],
                        z_sum[r],
                        inv_t,
                        gl,
                        p,
                        false,
                        T::ZERO,
                    );
                }
            }
            if want_t {
                let t_sums = reduce_add8(sums.map(|s| s[0])).to_array();
                for (r, &(b, s)) in rows.iter().enumerate().take(n) {
                    let v = -per_row(inv_temperature, b) * (t_sums[r] + t_fix[r]);
                    let slot = &mut grad_temperature[b - b0];
                    *slot = if s == s0 { v } else { *slot + v };
                }
            }
        }
    }
}

/// The pivot step of the soft-cotangent backward pass for one row: with
/// `p = argmax y`, replaces `zbar_p = y_p (g_p - c)` (what pass 2 stored,
/// `z_sum` the row's `sum zbar` including it) by `-sum_{k != p} zbar_k`,
/// rewriting `lbar_p` (`prev` is its value before the row, if
/// `accumulate`); returns the change of `sum zbar x`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fix_pivot<T: Real>(
    y_p: T,
    g_p: T,
    x_p: T,
    c: T,
    z_sum: T,
    inv_t: T,
    grad_logits: &mut [T],
    p: usize,
    accumulate: bool,
    prev: T,
) -> T {
    let naive = y_p * (g_p - c);
    let zbar = naive - z_sum;
    if !grad_logits.is_empty() {
        let lbar = zbar * inv_t;
        grad_logits[p] = if accumulate { prev + lbar } else { lbar };
    }
    (zbar - naive) * x_p
}

/// The log-density backward pass (and the log-density) over one tile.
pub struct LogProbBackwardTile<'a, T> {
    /// Values are log-space samples `x = ln y`.
    pub log_space: bool,
    /// Normalised logits, `B x k`.
    pub logits: &'a [T],
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
}

impl<T: Real> Kernel<T> for LogProbBackwardTile<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        if self.log_space {
            self.rows::<V, true>()
        } else {
            self.rows::<V, false>()
        }
    }
}

impl<T: Real> LogProbBackwardTile<'_, T> {
    #[inline(always)]
    fn rows<V: Vector<Elem = T>, const LOG_SPACE: bool>(self) {
        let LogProbBackwardTile {
            logits,
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
            ..
        } = self;
        let group = group_rows(k);
        let mut s_buf = vec![T::ZERO; group * k];
        let mut ly_buf = vec![T::ZERO; if LOG_SPACE { 0 } else { group * k }];
        let want_l = !grad_logits.is_empty();
        let want_t = !grad_temperature.is_empty();
        let (b0, s0) = (batch.start, samples.start);
        let zero = V::splat(T::ZERO);
        let ninf = V::splat(T::NEG_INFINITY);
        let inf = V::splat(T::INFINITY);
        let mut visits = Visits::new(batch, samples);
        loop {
            let (rows, n) = visits.next_group(group);
            if n == 0 {
                break;
            }
            let row = |r: usize| {
                let (b, s) = rows[r];
                s * batch_rows + b
            };
            // Pass A: s, ly, and the checks of the support.
            let empty = LogProbPassA {
                s_max: ninf,
                ly_sum: zero,
                masked_mass: zero,
            };
            let mut a = [empty; LANES];
            for (r, a) in a.iter_mut().enumerate().take(n) {
                let b = rows[r].0;
                let i = row(r);
                let ly: &mut [T] = if LOG_SPACE {
                    &mut []
                } else {
                    &mut ly_buf[r * k..(r + 1) * k]
                };
                *a = log_prob_pass_a::<V, LOG_SPACE>(
                    &logits[b * k..(b + 1) * k],
                    per_row(temperature, b),
                    &value[i * k..(i + 1) * k],
                    &mut s_buf[r * k..(r + 1) * k],
                    ly,
                );
            }
            let s_max = reduce_max8(a.map(|a| a.s_max));
            let masked_mass = reduce_add8(a.map(|a| a.masked_mass));
            let outside_v = V::mask_or(
                V::mask_or(s_max.eq(inf), s_max.eq(ninf)),
                zero.lt(masked_mass),
            );
            let outside = V::select(outside_v, V::splat(T::ONE), zero).to_array();
            let m = s_max.to_array();
            // Pass B: e = exp(s - M) and the shifted sums.
            let mut pb = [[zero; 2]; LANES];
            for r in 0..n {
                if outside[r] == T::ZERO {
                    pb[r] = log_prob_pass_b::<V>(&mut s_buf[r * k..(r + 1) * k], k, m[r]);
                }
            }
            let exp_sum = reduce_add8(pb.map(|p| p[0]));
            let shifted_sum = reduce_add8(pb.map(|p| p[1]));
            // The log-densities, one row per lane.
            let mut consts = [[T::ZERO; LANES]; 2];
            for (r, &(b, _)) in rows.iter().enumerate().take(n) {
                consts[0][r] = T::from_f64(log_norm[b]);
                consts[1][r] = T::from_f64(unmasked[b] as f64);
            }
            let kp = V::load(&consts[1]);
            let mut lp = V::load(&consts[0]).add(shifted_sum);
            if !LOG_SPACE {
                lp = lp.sub(reduce_add8(a.map(|a| a.ly_sum)));
            }
            let lp = V::select(outside_v, ninf, kp.neg().mul_add(T::ln_v(exp_sum), lp)).to_array();
            let inv_e = V::splat(T::ONE).div(exp_sum).to_array();
            // Pass C: the gradients.
            let mut tacc = [zero; LANES];
            for (r, t_acc) in tacc.iter_mut().enumerate().take(n) {
                let (b, s) = rows[r];
                let i = row(r);
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
                    unmasked: consts[1][r],
                    t: per_row(temperature, b),
                    grad: grad_out[i],
                };
                let ly = if LOG_SPACE {
                    &[][..]
                } else {
                    &ly_buf[r * k..(r + 1) * k]
                };
                *t_acc = log_prob_pass_c::<V, LOG_SPACE>(
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
                for (r, &(b, s)) in rows.iter().enumerate().take(n) {
                    let t = per_row(temperature, b);
                    let v = if outside[r] != T::ZERO {
                        T::ZERO
                    } else {
                        grad_out[row(r)] * ((consts[1][r] - T::ONE) / t + sums[r])
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
    #[inline(always)]
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
    #[inline(always)]
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
