//! Runs of rows: the [`Kernel`] values that [`crate::par`] hands to a
//! backend, one per task. Each holds the task's rows and output slices and
//! loops over the rows with the row kernels.

use super::density::{CHUNK, PassA, PassB, finish8, log_density_long_row, pass_a, pass_b, scores};
use super::logsumexp::{log_softmax_row, softmax_row};
use super::rowops::max_vec;
use super::sample::{
    SampleKind, argmax8, exp_shift_row, exp_shift_sum, finish_short_rows, group_rows, gumbel,
    gumbel_row, log_finish_row, perturb, perturb_row, scale_argmax_long_row, scale_argmax_row,
    scale_row,
};
use crate::rng::RowRng;
use crate::simd::{
    Kernel, LANES, Real, Vector, map8, reduce_add8, reduce_max8, tree_add8, tree_max8,
};

/// Which row-to-row map a [`RowMap`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMapKind {
    /// `softmax`.
    Softmax,
    /// `log_softmax`.
    LogSoftmax,
}

/// `out` row `i` = softmax (or log_softmax) of `input` row `i`.
pub struct RowMap<'a, T> {
    /// Which map.
    pub kind: RowMapKind,
    /// The task's input rows.
    pub input: &'a [T],
    /// The task's output rows, as long as `input`.
    pub out: &'a mut [T],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for RowMap<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        for (row, out) in self
            .input
            .chunks_exact(self.k)
            .zip(self.out.chunks_exact_mut(self.k))
        {
            match self.kind {
                RowMapKind::Softmax => softmax_row::<V>(row, out),
                RowMapKind::LogSoftmax => log_softmax_row::<V>(row, out),
            }
        }
    }
}

/// `out[i]` = logsumexp of `input` row `i`.
pub struct LogSumExpRows<'a, T> {
    /// The task's input rows.
    pub input: &'a [T],
    /// One output per row.
    pub out: &'a mut [T],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for LogSumExpRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        // Eight rows at a time for short rows: their maxima, sums and
        // logarithms are computed one row per lane.
        let k = self.k;
        let rows = self.out.len();
        let group = group_rows(k);
        let mut g0 = 0;
        while g0 < rows {
            let n = group.min(rows - g0);
            let row = |r: usize| &self.input[(g0 + r) * k..(g0 + r + 1) * k];
            let (m, lse) = if k <= LANES {
                // Rows of one vector: transpose the rows themselves, so the
                // max and the sum are lanewise trees (the same bits as below).
                let mut rows_v = [V::splat(T::NEG_INFINITY); LANES];
                for (r, v) in rows_v.iter_mut().enumerate().take(n) {
                    *v = V::load_partial_or_full(row(r), T::NEG_INFINITY);
                }
                let cols = V::transpose8(rows_v);
                let m = tree_max8(cols);
                let e = map8(
                    cols,
                    #[inline(always)]
                    |c| T::exp_v(c.sub(m)),
                );
                (m.to_array(), m.add(T::ln_v(tree_add8(e))).to_array())
            } else {
                let mut acc = [V::splat(T::NEG_INFINITY); LANES];
                for (r, a) in acc.iter_mut().enumerate().take(n) {
                    *a = max_vec::<V>(row(r));
                }
                let m = reduce_max8(acc).to_array();
                let mut sums = [V::splat(T::ZERO); LANES];
                for r in 0..n {
                    if m[r].is_finite() {
                        sums[r] = exp_shift_sum::<V>(row(r), m[r]);
                    }
                }
                (m, V::load(&m).add(T::ln_v(reduce_add8(sums))).to_array())
            };
            for r in 0..n {
                self.out[g0 + r] = if m[r].is_finite() {
                    lse[r]
                } else if row(r).iter().any(|v| v.is_nan()) {
                    T::NAN
                } else {
                    m[r]
                };
            }
            g0 += n;
        }
    }
}

/// Gumbel noise for stream rows `first_stream_row ..`.
pub struct GumbelRows<'a, T> {
    /// The seed.
    pub seed: u64,
    /// Stream index of the task's first row.
    pub first_stream_row: u64,
    /// Row length.
    pub k: usize,
    /// The task's output rows.
    pub out: &'a mut [T],
}

impl<T: Real> Kernel<T> for GumbelRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let mut rng =
            RowRng::<V::Rng>::new(self.seed, self.first_stream_row, self.k, T::STEPS_PER_DRAW);
        for out in self.out.chunks_exact_mut(self.k) {
            gumbel_row::<V>(rng.next_row(), out);
        }
    }
}

/// Sample rows `first_row ..` of a distribution: row `j` uses parameter row
/// `j % batch_rows` and stream index `stream_offset + j`.
pub struct SampleRows<'a, T> {
    /// Which sample.
    pub kind: SampleKind,
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
    /// The task's output rows (soft, log or — for hard — soft).
    pub out: &'a mut [T],
    /// The task's one-hot rows (hard only; empty otherwise).
    pub hard: &'a mut [T],
}

impl<T: Real> Kernel<T> for SampleRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let rows = self.out.len() / k;
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        let mut rng = RowRng::<V::Rng>::new(self.seed, first_stream_row, k, T::STEPS_PER_DRAW);
        let group = group_rows(k);
        let zero = V::splat(T::ZERO);
        // The parameter row of the next sample row, advanced without `%`.
        let mut b = self.first_row % batch_rows;
        if k <= LANES {
            // Rows of one vector: eight at a time, transposed.
            let mut g0 = 0;
            while g0 < rows {
                let n = LANES.min(rows - g0);
                let mut z = [V::splat(T::NEG_INFINITY); LANES];
                for z in z.iter_mut().take(n) {
                    let inv_t = self.inv_temperature[if self.inv_temperature.len() == 1 {
                        0
                    } else {
                        b
                    }];
                    let l =
                        V::load_partial_or_full(&self.logits[b * k..(b + 1) * k], T::NEG_INFINITY)
                            .sub(V::splat(self.row_shift[b]));
                    *z = perturb(l, gumbel(V::uniform(rng.next_row())), V::splat(inv_t));
                    b = if b + 1 == batch_rows { 0 } else { b + 1 };
                }
                let (out, hard) = finish_short_rows(self.kind, k, z);
                for r in 0..n {
                    let row = (g0 + r) * k..(g0 + r + 1) * k;
                    out[r].store_partial_or_full(&mut self.out[row.clone()]);
                    if self.kind == SampleKind::Hard {
                        hard[r].store_partial_or_full(&mut self.hard[row]);
                    }
                }
                g0 += n;
            }
            return;
        }
        let mut g0 = 0;
        while g0 < rows {
            let n = group.min(rows - g0);
            let range = |r: usize| (g0 + r) * k..(g0 + r + 1) * k;
            // Pass 1: perturbed logits and their maxima.
            let mut acc = [V::splat(T::NEG_INFINITY); LANES];
            for (r, a) in acc.iter_mut().enumerate().take(n) {
                let inv_t = self.inv_temperature[if self.inv_temperature.len() == 1 {
                    0
                } else {
                    b
                }];
                *a = perturb_row::<V>(
                    &self.logits[b * k..(b + 1) * k],
                    self.row_shift[b],
                    inv_t,
                    rng.next_row(),
                    &mut self.out[range(r)],
                );
                b = if b + 1 == batch_rows { 0 } else { b + 1 };
            }
            let m = reduce_max8(acc).to_array();
            // Pass 2: exponentials and their sums.
            let mut sums = [zero; LANES];
            for (r, s) in sums.iter_mut().enumerate().take(n) {
                *s = match self.kind {
                    SampleKind::Log => exp_shift_sum::<V>(&self.out[range(r)], m[r]),
                    _ => exp_shift_row::<V>(&mut self.out[range(r)], m[r]),
                };
            }
            let s = reduce_add8(sums);
            // Pass 3.
            match self.kind {
                SampleKind::Soft => {
                    let inv = V::splat(T::ONE).div(s).to_array();
                    for (r, &inv) in inv.iter().enumerate().take(n) {
                        scale_row::<V>(&mut self.out[range(r)], inv);
                    }
                }
                SampleKind::Log => {
                    let ln_s = T::ln_normal_v(s).to_array();
                    for (r, (&m, &ln_s)) in m.iter().zip(&ln_s).enumerate().take(n) {
                        log_finish_row::<V>(&mut self.out[range(r)], m, ln_s);
                    }
                }
                SampleKind::Hard if group == 1 => {
                    let inv = V::splat(T::ONE).div(s).to_array()[0];
                    let row = range(0);
                    let i = scale_argmax_long_row::<V>(
                        &mut self.out[row.clone()],
                        inv,
                        &mut self.hard[row.clone()],
                    );
                    self.hard[row][i] = T::ONE;
                }
                SampleKind::Hard => {
                    // Rows of at most GROUP_ELEMENTS / 8 elements: float
                    // indices are exact.
                    let inv = V::splat(T::ONE).div(s).to_array();
                    let mut best = [V::splat(T::NEG_INFINITY); LANES];
                    let mut best_index = [zero; LANES];
                    for r in 0..n {
                        (best[r], best_index[r]) = scale_argmax_row::<V>(
                            &mut self.out[range(r)],
                            inv[r],
                            &mut self.hard[range(r)],
                        );
                    }
                    let index = argmax8(best, best_index).to_array();
                    for (r, &i) in index.iter().enumerate().take(n) {
                        self.hard[range(r)][i.to_f64() as usize] = T::ONE;
                    }
                }
            }
            g0 += n;
        }
    }
}

/// Log-densities of value rows `first_row ..`: value row `i` is scored
/// against parameter row `i % batch_rows`.
pub struct DensityRows<'a, T> {
    /// `true`: values are log-space samples `x = ln y`.
    pub log_space: bool,
    /// `true`: check each value row (range and total).
    pub validate: bool,
    /// Log-weights (logits, or `ln p`, up to a constant per row), `batch_rows x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift subtracted from its log-weights: the
    /// row's largest logit (the result is the same for any shift; this one
    /// keeps the rounding of the offset out of the sample and density).
    pub row_shift: &'a [T],
    /// Temperature per parameter row (one value for a scalar temperature).
    pub temperature: &'a [T],
    /// `lgamma(K') + (K'-1) ln t` per parameter row.
    pub log_norm: &'a [f64],
    /// Unmasked categories `K'` per parameter row.
    pub unmasked: &'a [usize],
    /// Row length.
    pub k: usize,
    /// Value-row index of the task's first row.
    pub first_row: usize,
    /// The task's value rows.
    pub value: &'a [T],
    /// One log-density per value row.
    pub out: &'a mut [T],
    /// Per value row, when validating: the row total (`sum y`, or
    /// `sum exp x`), or NaN if some element was out of range. Empty otherwise.
    pub totals: &'a mut [T],
}

impl<T: Real> Kernel<T> for DensityRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        match (self.log_space, self.validate) {
            (false, false) => self.rows::<V, false, false>(),
            (false, true) => self.rows::<V, false, true>(),
            (true, false) => self.rows::<V, true, false>(),
            (true, true) => self.rows::<V, true, true>(),
        }
    }
}

impl<T: Real> DensityRows<'_, T> {
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn rows<V: Vector<Elem = T>, const LOG_SPACE: bool, const VALIDATE: bool>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let rows = self.out.len();
        let t_of = |b: usize| self.temperature[if self.temperature.len() == 1 { 0 } else { b }];
        let padded = k.div_ceil(LANES) * LANES;
        if k > CHUNK {
            let mut buf = vec![T::ZERO; CHUNK];
            for i in 0..rows {
                let b = (self.first_row + i) % batch_rows;
                let (lp, bad, total) = log_density_long_row::<V, LOG_SPACE, VALIDATE>(
                    &self.logits[b * k..(b + 1) * k],
                    self.row_shift[b],
                    t_of(b),
                    self.log_norm[b],
                    self.unmasked[b],
                    &self.value[i * k..(i + 1) * k],
                    &mut buf,
                );
                self.out[i] = lp;
                if VALIDATE {
                    self.totals[i] = if bad > T::ZERO { T::NAN } else { total };
                }
            }
            return;
        }
        if k <= LANES {
            self.short_rows::<V, LOG_SPACE, VALIDATE>();
            return;
        }
        // One-chunk rows, up to eight at a time; each row's `s` stays in its
        // slot of `buf` between the passes.
        let group = group_rows(k);
        let mut buf = vec![T::ZERO; padded * group];
        let zero = V::splat(T::ZERO);
        let ninf = V::splat(T::NEG_INFINITY);
        // Parameter rows of the group, advanced without `%`.
        let mut next_b = self.first_row % batch_rows;
        let mut g0 = 0;
        while g0 < rows {
            let n = group.min(rows - g0);
            let mut params = [0usize; LANES];
            for p in params.iter_mut().take(n) {
                *p = next_b;
                next_b = if next_b + 1 == batch_rows {
                    0
                } else {
                    next_b + 1
                };
            }
            let param = |r: usize| params[r];
            let empty = PassA {
                s_max: ninf,
                ly_sum: zero,
                ninf_terms: zero,
                bad: zero,
                total: zero,
            };
            let mut a = [empty; LANES];
            for (r, a) in a.iter_mut().enumerate().take(n) {
                let b = param(r);
                *a = pass_a::<V, LOG_SPACE, VALIDATE>(
                    &self.logits[b * k..(b + 1) * k],
                    self.row_shift[b],
                    t_of(b),
                    &self.value[(g0 + r) * k..(g0 + r + 1) * k],
                    &mut buf[r * padded..(r + 1) * padded],
                );
            }
            let s_max = reduce_max8(map8(
                a,
                #[inline(always)]
                |a| a.s_max,
            ));
            let m = s_max.to_array();
            let mut pb = [PassB {
                exp_sum: zero,
                shifted_sum: zero,
                count: zero,
            }; LANES];
            for r in 0..n {
                if m[r].is_finite() {
                    pb[r] = pass_b::<V>(&buf[r * padded..(r + 1) * padded], k, m[r]);
                }
            }
            let reduced = PassB {
                exp_sum: reduce_add8(map8(
                    pb,
                    #[inline(always)]
                    |b| b.exp_sum,
                )),
                shifted_sum: reduce_add8(map8(
                    pb,
                    #[inline(always)]
                    |b| b.shifted_sum,
                )),
                count: zero,
            };
            let mut log_norm = [T::ZERO; LANES];
            let mut unmasked = [T::ZERO; LANES];
            for r in 0..n {
                log_norm[r] = T::from_f64(self.log_norm[param(r)]);
                unmasked[r] = T::from_f64(self.unmasked[param(r)] as f64);
            }
            let lp = finish8::<V, LOG_SPACE>(
                s_max,
                reduce_add8(map8(
                    a,
                    #[inline(always)]
                    |a| a.ly_sum,
                )),
                reduce_add8(map8(
                    a,
                    #[inline(always)]
                    |a| a.ninf_terms,
                )),
                reduced,
                V::load(&log_norm),
                V::load(&unmasked),
            )
            .to_array();
            self.out[g0..g0 + n].copy_from_slice(&lp[..n]);
            if VALIDATE {
                let bad = reduce_add8(map8(
                    a,
                    #[inline(always)]
                    |a| a.bad,
                ))
                .to_array();
                let total = reduce_add8(map8(
                    a,
                    #[inline(always)]
                    |a| a.total,
                ))
                .to_array();
                for r in 0..n {
                    self.totals[g0 + r] = if bad[r] > T::ZERO { T::NAN } else { total[r] };
                }
            }
            g0 += n;
        }
    }

    /// Rows of at most 8 categories, eight at a time: values and logits
    /// are transposed so that each vector holds one category of eight rows,
    /// and every per-row sum is a lanewise tree (the bits of `pass_a`,
    /// `pass_b` and the `reduce_*8` of the general path).
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn short_rows<V: Vector<Elem = T>, const LOG_SPACE: bool, const VALIDATE: bool>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let rows = self.out.len();
        let zero = V::splat(T::ZERO);
        let one = V::splat(T::ONE);
        let ninf = V::splat(T::NEG_INFINITY);
        let value_fill = if LOG_SPACE { T::NEG_INFINITY } else { T::ZERO };
        let mut b = self.first_row % batch_rows;
        let mut g0 = 0;
        while g0 < rows {
            let n = LANES.min(rows - g0);
            let mut values = [V::splat(value_fill); LANES];
            let mut logits = [ninf; LANES];
            let mut shift = [T::ZERO; LANES];
            let mut temperature = [T::ONE; LANES];
            let mut log_norm = [T::ZERO; LANES];
            let mut unmasked = [T::ZERO; LANES];
            for r in 0..n {
                values[r] = V::load_partial_or_full(
                    &self.value[(g0 + r) * k..(g0 + r + 1) * k],
                    value_fill,
                );
                logits[r] =
                    V::load_partial_or_full(&self.logits[b * k..(b + 1) * k], T::NEG_INFINITY);
                shift[r] = self.row_shift[b];
                temperature[r] = self.temperature[if self.temperature.len() == 1 { 0 } else { b }];
                log_norm[r] = T::from_f64(self.log_norm[b]);
                unmasked[r] = T::from_f64(self.unmasked[b] as f64);
                b = if b + 1 == batch_rows { 0 } else { b + 1 };
            }
            let (v, l) = (V::transpose8(values), V::transpose8(logits));
            let neg_t = V::load(&temperature).neg();
            let shift = V::load(&shift);
            let mut s = [ninf; LANES];
            let mut ly_terms = [zero; LANES];
            let mut ninf_terms = [zero; LANES];
            let mut bad_terms = [zero; LANES];
            let mut total_terms = [zero; LANES];
            for j in 0..LANES {
                let masked = l[j].eq(ninf);
                let ly = if LOG_SPACE { v[j] } else { T::ln_v(v[j]) };
                let is_zero = if LOG_SPACE {
                    v[j].eq(ninf)
                } else {
                    v[j].eq(zero)
                };
                (s[j], ninf_terms[j]) = scores(l[j], shift, ly, is_zero, neg_t);
                if !LOG_SPACE {
                    ly_terms[j] = V::select(masked, zero, ly);
                }
                if VALIDATE {
                    let in_range = if LOG_SPACE {
                        v[j].le(zero)
                    } else {
                        V::mask_and(zero.le(v[j]), v[j].le(one))
                    };
                    bad_terms[j] = V::select(in_range, zero, one);
                    total_terms[j] = if LOG_SPACE { T::exp_v(v[j]) } else { v[j] };
                }
            }
            let s_max = tree_max8(s);
            let mut e = [zero; LANES];
            let mut d = [zero; LANES];
            for j in 0..LANES {
                let shifted = s[j].sub(s_max);
                e[j] = T::exp_v(shifted);
                d[j] = V::select(s[j].eq(ninf), zero, shifted);
            }
            let pass_b = PassB {
                exp_sum: tree_add8(e),
                shifted_sum: tree_add8(d),
                count: zero,
            };
            let lp = finish8::<V, LOG_SPACE>(
                s_max,
                tree_add8(ly_terms),
                tree_add8(ninf_terms),
                pass_b,
                V::load(&log_norm),
                V::load(&unmasked),
            )
            .to_array();
            self.out[g0..g0 + n].copy_from_slice(&lp[..n]);
            if VALIDATE {
                let bad = tree_add8(bad_terms).to_array();
                let total = tree_add8(total_terms).to_array();
                for r in 0..n {
                    self.totals[g0 + r] = if bad[r] > T::ZERO { T::NAN } else { total[r] };
                }
            }
            g0 += n;
        }
    }
}
