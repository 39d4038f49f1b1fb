//! A distribution's parameters from what the user gave, in one kernel: the
//! normalised logits and the probabilities are written together, the
//! unmasked categories counted and the rows validation must reject flagged,
//! in three passes over a logits row (two over a probs row) where separate
//! softmax, log_softmax, count and validation passes took eight.
//!
//! ```text
//! from logits x:  m = max x,  s = sum exp(x - m)     (the order of rowops)
//!                 logits = (x - m) - ln s,  probs = exp(x - m) / s
//!                 flagged: m or s not finite (a NaN, +inf, all -inf)
//! from probs p:   s = sum p
//!                 logits = ln p - ln s,  probs = p / s
//!                 flagged: s not finite, not > 0 or above MAX / 2, or
//!                          some p < 0
//! unmasked = #{k : logits_k > -inf}
//! ```
//!
//! The numbers are bit for bit those of the separate row maps
//! (`softmax_row`, `log_softmax_row`, and `p / s`, `ln p - ln s`): the same
//! operations in the same order. Every invalid row is flagged; so is a
//! probs row whose sum is near overflow, where the validator's own
//! rounding of the sum decides. The caller runs the scalar validator
//! (`crate::validate`) when a row is flagged, which names the first bad
//! row and category, or finds none and counts the flagged rows itself. A
//! flagged row's outputs are whatever the formulas give (NaN for a logits
//! row without a finite maximum).

use super::rowops::{ln_scalar, map_into_sum, max, sum_map};
use crate::simd::{Kernel, LANES, Real, Vector, reduce_max};

/// Which parameter a distribution was built from, and so which one its
/// input rows hold (re-exported as `relaxcat::Param`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Probabilities: normalised per row, so any positive scale.
    Probs,
    /// Logits: unnormalised log-probabilities, so any real shift.
    Logits,
}

/// The count of a row the caller must check (see the module docs).
pub const FLAGGED_ROW: usize = usize::MAX;

/// Elements per count block: a lane of an `f32` count stays exact (below
/// 2^24) within a block, and blocks are added as integers.
const COUNT_BLOCK: usize = 1 << 16;

/// Normalised logits, probabilities and unmasked counts of `input` rows.
pub struct ParamRows<'a, T> {
    /// What `input` holds.
    pub kind: Param,
    /// The task's input rows.
    pub input: &'a [T],
    /// Its normalised logits, as long as `input`.
    pub logits: &'a mut [T],
    /// Its probabilities, as long as `input`.
    pub probs: &'a mut [T],
    /// One count per row: unmasked categories, or [`FLAGGED_ROW`].
    pub unmasked: &'a mut [usize],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for ParamRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let rows = self
            .input
            .chunks_exact(k)
            .zip(self.logits.chunks_exact_mut(k))
            .zip(self.probs.chunks_exact_mut(k))
            .zip(self.unmasked.iter_mut());
        for (((x, logits), probs), unmasked) in rows {
            *unmasked = match self.kind {
                Param::Logits => from_logits_row::<V>(x, logits, probs),
                Param::Probs => from_probs_row::<V>(x, logits, probs),
            };
        }
    }
}

/// What building a distribution needs of its parameters as given: the
/// unmasked count of each row (or [`FLAGGED_ROW`]), and for probs `ln p`,
/// the log-weights the kernels read. One pass per row; for logits it
/// evaluates no transcendental function and writes nothing but the counts.
///
/// ```text
/// logits x:  unmasked = #{x > -inf};  flagged: some x NaN or +inf, or none > -inf
/// probs p:   unmasked = #{p > 0};  ln_probs = ln p (ln 0 = -inf);
///            flagged: some p NaN, < 0 or +inf, none > 0, or sum p > MAX / 2
/// ```
///
/// The flags are those of [`ParamRows`] (the caller's scalar validator then
/// names the first bad row and category, or accepts a probs row near
/// overflow); the counts equal `#{normalised logits > -inf}` of every
/// valid row.
pub struct ParamCheckRows<'a, T> {
    /// What `input` holds.
    pub kind: Param,
    /// The task's input rows.
    pub input: &'a [T],
    /// Probs only: `ln p`, as long as `input`. Empty for logits.
    pub ln_probs: &'a mut [T],
    /// One value per row: its largest log-weight (`max x`, or `max ln p`),
    /// or 0 where that is not finite; the kernels' per-row shift.
    pub row_shift: &'a mut [T],
    /// One count per row: unmasked categories, or [`FLAGGED_ROW`].
    pub unmasked: &'a mut [usize],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for ParamCheckRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        if k <= LANES {
            self.short_rows::<V>();
            return;
        }
        match self.kind {
            Param::Logits => {
                let rows = self
                    .input
                    .chunks_exact(k)
                    .zip(self.row_shift.iter_mut())
                    .zip(self.unmasked.iter_mut());
                for ((x, shift), unmasked) in rows {
                    (*unmasked, *shift) = check_logits_row::<V>(x);
                }
            }
            Param::Probs => {
                let rows = self
                    .input
                    .chunks_exact(k)
                    .zip(self.ln_probs.chunks_exact_mut(k))
                    .zip(self.row_shift.iter_mut())
                    .zip(self.unmasked.iter_mut());
                for (((p, ln_p), shift), unmasked) in rows {
                    (*unmasked, *shift) = check_probs_row::<V>(p, ln_p);
                }
            }
        }
    }
}

impl<T: Real> ParamCheckRows<'_, T> {
    /// Rows of at most 8 categories, eight at a time: the rows are loaded
    /// (and, for probs, their `ln p` stored) one vector each, then
    /// transposed, so that each row's count, check and maximum is one lane
    /// of lanewise operations instead of horizontal reductions per row. The
    /// same counts, flags and shifts as the row-by-row path.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn short_rows<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let rows = self.unmasked.len();
        let probs = self.kind == Param::Probs;
        let zero = V::splat(T::ZERO);
        let one = V::splat(T::ONE);
        let ninf = V::splat(T::NEG_INFINITY);
        let inf = V::splat(T::INFINITY);
        let fill = if probs { T::ZERO } else { T::NEG_INFINITY };
        let mut g0 = 0;
        while g0 < rows {
            let n = LANES.min(rows - g0);
            let mut x = [V::splat(fill); LANES];
            let mut lw = [ninf; LANES];
            for r in 0..n {
                let row = (g0 + r) * k..(g0 + r + 1) * k;
                x[r] = V::load_partial_or_full(&self.input[row.clone()], fill);
                lw[r] = if probs {
                    let l = T::ln_v(x[r]);
                    l.store_partial_or_full(&mut self.ln_probs[row]);
                    l
                } else {
                    x[r]
                };
            }
            let (x, lw) = (V::transpose8(x), V::transpose8(lw));
            let (mut count, mut bad, mut sum, mut m) = (zero, zero, zero, ninf);
            for j in 0..k {
                let v = x[j];
                let ok = if probs {
                    V::mask_and(zero.le(v), v.lt(inf))
                } else {
                    v.lt(inf)
                };
                bad = bad.add(V::select(ok, zero, one));
                let unmasked = if probs { zero.lt(v) } else { ninf.lt(v) };
                count = count.add(V::select(unmasked, one, zero));
                if probs {
                    sum = sum.add(v);
                }
                m = lw[j].max(m);
            }
            let (count, bad, sum, m) = (
                count.to_array(),
                bad.to_array(),
                sum.to_array(),
                m.to_array(),
            );
            let half_max = T::MAX / (T::ONE + T::ONE);
            for r in 0..n {
                let c = count[r].to_f64() as usize;
                // A sum above MAX / 2, or NaN, is flagged (the validator decides).
                let near_overflow = probs
                    && !matches!(
                        sum[r].partial_cmp(&half_max),
                        Some(core::cmp::Ordering::Less | core::cmp::Ordering::Equal)
                    );
                let flagged = c == 0 || bad[r] > T::ZERO || near_overflow;
                self.unmasked[g0 + r] = if flagged { FLAGGED_ROW } else { c };
                self.row_shift[g0 + r] = shift_of(m[r]);
            }
            g0 += n;
        }
    }
}

/// Calls `f(v, full)` for each vector of `x` in count blocks (missing lanes
/// of the last vector read `fill`), adding the lane counts `f` returns
/// exactly; returns the total.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn count_blocks<V: Vector>(
    x: &[V::Elem],
    fill: V::Elem,
    mut f: impl FnMut(usize, V, bool) -> V,
) -> usize {
    let n = x.len();
    let mut total = 0usize;
    let mut start = 0;
    while start < n {
        let end = (start + COUNT_BLOCK).min(n);
        let mut count = V::splat(V::Elem::ZERO);
        let mut o = start;
        while o + LANES <= end {
            count = count.add(f(o, V::load(&x[o..]), true));
            o += LANES;
        }
        if o < end {
            count = count.add(f(o, V::load_partial(&x[o..end], fill), false));
        }
        total += count.reduce_add().to_f64() as usize;
        start = end;
    }
    total
}

/// The shift of a row whose largest log-weight is `m`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn shift_of<T: Real>(m: T) -> T {
    if m.is_finite() { m } else { T::ZERO }
}

/// One logits row as given: its unmasked count or [`FLAGGED_ROW`], and its
/// shift.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn check_logits_row<V: Vector>(x: &[V::Elem]) -> (usize, V::Elem) {
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let inf = V::splat(V::Elem::INFINITY);
    // Lanes that are NaN or +inf (`x < inf` is false for both).
    let mut bad = zero;
    let mut m = ninf;
    let unmasked = count_blocks::<V>(
        x,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |_, v, _| {
            bad = bad.add(V::select(v.lt(inf), zero, one));
            m = v.max(m);
            V::select(ninf.lt(v), one, zero)
        },
    );
    let shift = shift_of(reduce_max(m));
    if unmasked == 0 || bad.reduce_add() > V::Elem::ZERO {
        (FLAGGED_ROW, shift)
    } else {
        (unmasked, shift)
    }
}

/// One probs row as given: `ln p` into `ln_p`; its unmasked count or
/// [`FLAGGED_ROW`], and its shift.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn check_probs_row<V: Vector>(p: &[V::Elem], ln_p: &mut [V::Elem]) -> (usize, V::Elem) {
    let n = p.len();
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let inf = V::splat(V::Elem::INFINITY);
    let mut bad = zero;
    let mut sum = zero;
    let mut m = V::splat(V::Elem::NEG_INFINITY);
    let unmasked = count_blocks::<V>(
        p,
        V::Elem::ZERO,
        #[inline(always)]
        |o, v, full| {
            // `0 <= p < inf` is false for NaN, negatives and +inf; -0.0
            // passes, and is a zero probability.
            let ok = V::mask_and(zero.le(v), v.lt(inf));
            bad = bad.add(V::select(ok, zero, one));
            sum = sum.add(v);
            let l = V::Elem::ln_v(v);
            m = l.max(m);
            if full {
                l.store(&mut ln_p[o..]);
            } else {
                l.store_partial(&mut ln_p[o..n]);
            }
            V::select(zero.lt(v), one, zero)
        },
    );
    let s = sum.reduce_add();
    // Far below MAX, the validator's f64 sum is finite in this precision too.
    let far_from_overflow = s <= V::Elem::MAX / (V::Elem::ONE + V::Elem::ONE);
    let shift = shift_of(reduce_max(m));
    if unmasked == 0 || bad.reduce_add() > V::Elem::ZERO || !far_from_overflow {
        (FLAGGED_ROW, shift)
    } else {
        (unmasked, shift)
    }
}

/// One logits row; returns its unmasked count or [`FLAGGED_ROW`].
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn from_logits_row<V: Vector>(
    x: &[V::Elem],
    logits: &mut [V::Elem],
    probs: &mut [V::Elem],
) -> usize {
    let m = max::<V>(x);
    if !m.is_finite() {
        // No finite maximum: softmax and log_softmax are undefined.
        logits.fill(V::Elem::NAN);
        probs.fill(V::Elem::NAN);
        return FLAGGED_ROW;
    }
    let mv = V::splat(m);
    let s = map_into_sum::<V>(
        x,
        probs,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |v| V::Elem::exp_v(v.sub(mv)),
    );
    let ln_s = V::splat(ln_scalar::<V>(s));
    let inv = V::splat(V::Elem::ONE / s);
    // Missing lanes of the last vector read -inf: logits -inf, not counted.
    let (unmasked, _) = finish_pass::<V, true>(
        x,
        logits,
        probs,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |v, e| (v.sub(mv).sub(ln_s), e.mul(inv)),
    );
    // A NaN makes s NaN (the maximum may have skipped it), a +inf makes it
    // +inf or NaN; otherwise every term is at most 1.
    if s.is_finite() { unmasked } else { FLAGGED_ROW }
}

/// One probs row; returns its unmasked count or [`FLAGGED_ROW`].
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn from_probs_row<V: Vector>(
    p: &[V::Elem],
    logits: &mut [V::Elem],
    probs: &mut [V::Elem],
) -> usize {
    let s = sum_map::<V>(
        p,
        V::Elem::ZERO,
        #[inline(always)]
        |p| p,
    );
    let ln_s = V::splat(ln_scalar::<V>(s));
    let sv = V::splat(s);
    // Missing lanes read 0: logits -inf, not counted, minimum unchanged.
    let (unmasked, lowest) = finish_pass::<V, false>(
        p,
        logits,
        probs,
        V::Elem::ZERO,
        #[inline(always)]
        |p, _| (V::Elem::ln_v(p).sub(ln_s), p.div(sv)),
    );
    // A NaN makes s NaN and an infinity makes it infinite or NaN; s > 0
    // with no negative entry means some p > 0. Far below MAX, the
    // validator's f64 sum is finite in this precision too.
    let far_from_overflow = s <= V::Elem::MAX / (V::Elem::ONE + V::Elem::ONE);
    if s.is_finite() && s > V::Elem::ZERO && far_from_overflow && lowest >= V::Elem::ZERO {
        unmasked
    } else {
        FLAGGED_ROW
    }
}

/// The output pass: `(logits, probs) = f(x, probs)` per vector (`probs`
/// read only when `READ_PROBS`), storing both; returns the count of
/// `logits > -inf` and the smallest `x` (NaN lanes may or may not count).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn finish_pass<V: Vector, const READ_PROBS: bool>(
    x: &[V::Elem],
    logits: &mut [V::Elem],
    probs: &mut [V::Elem],
    fill: V::Elem,
    f: impl Fn(V, V) -> (V, V),
) -> (usize, V::Elem) {
    let n = x.len();
    let (logits, probs) = (&mut logits[..n], &mut probs[..n]);
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let mut lowest = V::splat(V::Elem::INFINITY);
    let mut unmasked = 0usize;
    let mut start = 0;
    while start < n {
        let end = (start + COUNT_BLOCK).min(n);
        let mut count = zero;
        let mut k = start;
        while k + LANES <= end {
            let v = V::load(&x[k..]);
            let e = if READ_PROBS {
                V::load(&probs[k..])
            } else {
                zero
            };
            let (l, q) = f(v, e);
            l.store(&mut logits[k..]);
            q.store(&mut probs[k..]);
            count = count.add(V::select(ninf.lt(l), one, zero));
            lowest = lowest.min(v);
            k += LANES;
        }
        if k < end {
            let v = V::load_partial(&x[k..end], fill);
            let e = if READ_PROBS {
                V::load_partial(&probs[k..end], V::Elem::ZERO)
            } else {
                zero
            };
            let (l, q) = f(v, e);
            l.store_partial(&mut logits[k..end]);
            q.store_partial(&mut probs[k..end]);
            count = count.add(V::select(ninf.lt(l), one, zero));
            lowest = lowest.min(v);
        }
        unmasked += count.reduce_add().to_f64() as usize;
        start = end;
    }
    let lowest = lowest
        .to_array()
        .into_iter()
        .fold(V::Elem::INFINITY, |a, b| if b < a { b } else { a });
    (unmasked, lowest)
}

#[cfg(test)]
mod tests {
    //! The fused kernel against the separate row maps (bits), a scalar
    //! count (rows longer than a count block included) and the validator
    //! (which rows are flagged), on every backend this CPU has.

    use super::*;
    use crate::Float;
    use crate::ops::{log_softmax_rows, softmax_rows};
    use crate::par::Exec;
    use crate::simd::Backend;
    use crate::validate;

    fn run<T: Float>(backend: Backend, kind: Param, input: &[T], k: usize) -> [Vec<T>; 2] {
        let mut logits = vec![T::ZERO; input.len()];
        let mut probs = vec![T::ZERO; input.len()];
        let mut unmasked = vec![0; input.len() / k];
        T::param_rows(
            backend,
            ParamRows {
                kind,
                input,
                logits: &mut logits,
                probs: &mut probs,
                unmasked: &mut unmasked,
                k,
            },
        );
        // A row is flagged exactly when validation would reject it, or
        // (probs) its sum is near overflow; otherwise its count is exact.
        for (row, &count) in unmasked.iter().enumerate() {
            let x = &input[row * k..(row + 1) * k];
            let valid = match kind {
                Param::Logits => validate::logits(x, k).is_ok(),
                Param::Probs => validate::probs(x, k).is_ok(),
            };
            let huge = kind == Param::Probs
                && x.iter().map(|p| p.to_f64()).sum::<f64>() > T::MAX.to_f64() / 2.0;
            if count == FLAGGED_ROW {
                assert!(
                    !valid || huge,
                    "{backend:?} K={k} row {row}: valid row flagged"
                );
            } else {
                assert!(
                    valid,
                    "{backend:?} K={k} row {row}: invalid row not flagged"
                );
                let want = logits[row * k..(row + 1) * k]
                    .iter()
                    .filter(|&&l| l > T::NEG_INFINITY)
                    .count();
                assert_eq!(count, want, "{backend:?} K={k} row {row}: count");
            }
        }
        // The construction kernel flags the same rows, gives the same
        // counts, the rows' largest log-weights and (probs) ln p.
        let mut ln_probs = vec![T::ZERO; if kind == Param::Probs { input.len() } else { 0 }];
        let mut shift = vec![T::ZERO; input.len() / k];
        let mut check = vec![0; input.len() / k];
        T::param_check_rows(
            backend,
            ParamCheckRows {
                kind,
                input,
                ln_probs: &mut ln_probs,
                row_shift: &mut shift,
                unmasked: &mut check,
                k,
            },
        );
        assert_eq!(check, unmasked, "{backend:?} K={k}: check counts");
        for (row, x) in input.chunks_exact(k).enumerate() {
            let lw: Vec<f64> = match kind {
                Param::Logits => x.iter().map(|v| v.to_f64()).collect(),
                Param::Probs => {
                    let got = &ln_probs[row * k..(row + 1) * k];
                    for (c, (&p, &l)) in x.iter().zip(got).enumerate() {
                        if p.to_f64() > 0.0 && p.is_finite() {
                            let want = p.to_f64().ln();
                            assert!(
                                (l.to_f64() - want).abs()
                                    <= 4.0 * T::EPSILON.to_f64() * want.abs().max(1.0),
                                "{backend:?} K={k} row {row} ln p[{c}]"
                            );
                        } else if p.to_f64() == 0.0 {
                            assert_eq!(l.to_f64(), f64::NEG_INFINITY);
                        }
                    }
                    got.iter().map(|v| v.to_f64()).collect()
                }
            };
            if unmasked[row] != FLAGGED_ROW {
                let m = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert_eq!(shift[row].to_f64(), m, "{backend:?} K={k} row {row}: shift");
            }
        }
        [logits, probs]
    }

    fn bits<T: Float>(xs: &[T]) -> Vec<u64> {
        xs.iter().map(|x| x.to_f64().to_bits()).collect()
    }

    /// Rows of length `k`: a spread of finite values with every fifth
    /// category masked (`masked`), then the special rows.
    fn rows<T: Float>(k: usize, kind: Param) -> Vec<T> {
        let mut out = Vec::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ k as u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (masked, special): (T, &[f64]) = match kind {
            Param::Logits => (
                T::NEG_INFINITY,
                &[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e30],
            ),
            Param::Probs => (T::ZERO, &[f64::NAN, f64::INFINITY, -1e-30, 0.0, 1e-45]),
        };
        for c in 0..k {
            let v = next();
            out.push(match kind {
                Param::Logits => T::from_f64(20.0 * v - 10.0),
                Param::Probs => T::from_f64(v),
            });
            if c % 5 == 4 {
                *out.last_mut().unwrap() = masked;
            }
        }
        // One special value at category 0, at the last category, and a row
        // of it.
        for &s in special {
            let s = T::from_f64(s);
            for at in [0, k - 1] {
                let mut row: Vec<T> = (0..k).map(|_| T::from_f64(next())).collect();
                row[at] = s;
                out.extend(row);
            }
            out.extend(std::iter::repeat_n(s, k));
        }
        out
    }

    fn check<T: Float>() {
        for backend in Backend::available() {
            let exec = Exec::serial().with_backend(backend).unwrap();
            for k in [1, 2, 3, 7, 8, 9, 16, 17, 64, 100, 2 * COUNT_BLOCK + 13] {
                let x = rows::<T>(k, Param::Logits);
                let [logits, probs] = run(backend, Param::Logits, &x, k);
                let mut want = vec![T::ZERO; x.len()];
                log_softmax_rows(&exec, &x, k, &mut want).unwrap();
                assert_eq!(bits(&logits), bits(&want), "{backend:?} K={k} logits");
                softmax_rows(&exec, &x, k, &mut want).unwrap();
                assert_eq!(bits(&probs), bits(&want), "{backend:?} K={k} probs");

                let p = rows::<T>(k, Param::Probs);
                let [logits, probs] = run(backend, Param::Probs, &p, k);
                for (row, ((p, l), q)) in p
                    .chunks_exact(k)
                    .zip(logits.chunks_exact(k))
                    .zip(probs.chunks_exact(k))
                    .enumerate()
                {
                    if validate::probs(p, k).is_err() {
                        continue;
                    }
                    let s: f64 = p.iter().map(|v| v.to_f64()).sum();
                    for c in 0..k {
                        // Rounded to T first: subnormal quotients are coarse.
                        let want_q = T::from_f64(p[c].to_f64() / s).to_f64();
                        let got_q = q[c].to_f64();
                        assert!(
                            (got_q - want_q).abs() <= 1e-5 * want_q,
                            "{backend:?} K={k} row {row} probs[{c}] {got_q} vs {want_q}"
                        );
                        assert_eq!(l[c] == T::NEG_INFINITY, p[c] == T::ZERO);
                    }
                }
            }
            // A probs row whose sum is within a factor 2 of overflow is
            // flagged; the validator decides (accepted here).
            let near = [T::MAX / T::from_f64(1.5), T::MAX / T::from_f64(4.0)];
            assert!(validate::probs(&near, 2).is_ok());
            run(backend, Param::Probs, &near, 2);
        }
    }

    #[test]
    fn fused_parameters_match_row_maps_f32() {
        check::<f32>();
    }

    #[test]
    fn fused_parameters_match_row_maps_f64() {
        check::<f64>();
    }
}
