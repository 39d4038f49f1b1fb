//! The log-density of a value, on the simplex or in log space.
//!
//! With `l` the normalised logits, `t` the temperature, `K'` the number of
//! unmasked categories (`l > -inf`), sums over unmasked `k` only, and
//! `ly = ln y` (or the log-space value `x` itself):
//!
//! ```text
//! s_k = l_k - t ly_k
//! log_prob_x = C + sum_k (s_k - M) - K' ln sum_k exp(s_k - M),  M = max s
//! log_prob   = log_prob_x - sum_k ly_k
//! C = lgamma(K') + (K'-1) ln t                       (per parameter row)
//! ```
//!
//! which is docs/SPEC.md's formula with the shift `M` taken inside the sums, so
//! no large terms cancel. One `ln` and one `exp` per element: pass A computes
//! `s` into a buffer with its max and the other sums, pass B the shifted
//! sums against the max. A row of at most [`CHUNK`] elements is one chunk,
//! finished in `T` (eight rows at a time for short rows, see
//! [`finish8`]); a longer row is split into chunks whose results
//! `(M_c, E_c, D_c, n_c)` are merged in `f64`, in chunk order.
//!
//! A value outside the support has density 0 (`-inf`): mass on a masked
//! category, or a zero (`-inf` in log space) on an unmasked one, i.e. a
//! point on the boundary of the open simplex. With validation the kernel
//! also reports whether every element was in range and the row total
//! (`sum y`, or `sum exp x`).

use crate::simd::{LANES, Real, Vector, reduce_max};

/// Elements per chunk of a long row.
#[cfg(not(fuzzing))]
pub const CHUNK: usize = 1024;
/// The fuzz build (`cfg(fuzzing)`, set by cargo fuzz) splits rows of more
/// than 64 elements into chunks, so that its small inputs run the long-row
/// path (several chunks, their merge, masked and outside chunks) that a
/// normal build takes only past 1024 categories.
#[cfg(fuzzing)]
pub const CHUNK: usize = 8 * LANES;

const _: () = assert!(CHUNK.is_multiple_of(LANES));

/// The scores `s = (l - shift) - t ly` of one vector of categories, and a
/// 1 in each lane that makes the row's log-density `-inf` whatever the
/// other lanes hold (`masked = l == -inf`, `value_is_zero`: `y = 0` or
/// `x = -inf`):
///
/// - mass on a masked category (`masked` and not `value_is_zero`);
/// - an unmasked category whose `l - shift` overflowed to `-inf`: the row's
///   logits span more than the float range. Its exact `s - M` is then below
///   `-MAX` (unless `t |ly|` is as large), so the log-density, which adds
///   it, rounds to `-inf`; counting it as masked instead would give a
///   finite, wrong value, and where `t |ly|` overflows too its score would
///   be `+inf - inf = NaN`. Results there are `-inf`, with zero gradients,
///   never NaN (docs/SPEC.md section 5).
///
/// Both kinds of lane get `s = -inf`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn scores<V: Vector>(l: V, shift: V, ly: V, value_is_zero: V::Mask, neg_t: V) -> (V, V) {
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let shifted = l.sub(shift);
    // `shift` is finite, so every masked lane is in `dropped`.
    let dropped = shifted.eq(ninf);
    let s = V::select(dropped, ninf, ly.mul_add(neg_t, shifted));
    let harmless = V::mask_and(l.eq(ninf), value_is_zero);
    let ninf_term = V::select(dropped, V::select(harmless, zero, one), zero);
    (s, ninf_term)
}

/// Lanewise results of pass A over one chunk.
#[derive(Clone, Copy)]
pub struct PassA<V> {
    /// Max of `s` (masked: `-inf`; a zero on an unmasked category: `+inf`).
    pub s_max: V,
    /// Sum of `ln y` over unmasked categories (simplex values only).
    pub ly_sum: V,
    /// Count of the lanes that make the row `-inf` (see [`scores`]).
    pub ninf_terms: V,
    /// Count of elements out of range or NaN (validating only).
    pub bad: V,
    /// Sum of `y`, or of `exp x` (validating only).
    pub total: V,
}

/// Lanewise results of pass B over one chunk.
#[derive(Clone, Copy)]
pub struct PassB<V> {
    /// `sum exp(s - M)`.
    pub exp_sum: V,
    /// `sum (s - M)` over unmasked categories.
    pub shifted_sum: V,
    /// Number of unmasked categories.
    pub count: V,
}

/// Pass A over a chunk: `s` into `buf` (whole vectors, so `buf` holds the
/// chunk rounded up to 8; padding lanes get `-inf`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn pass_a<V: Vector, const LOG_SPACE: bool, const VALIDATE: bool>(
    logits: &[V::Elem],
    shift: V::Elem,
    temperature: V::Elem,
    value: &[V::Elem],
    buf: &mut [V::Elem],
) -> PassA<V> {
    let len = logits.len();
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let neg_t = V::splat(-temperature);
    let shift_v = V::splat(shift);
    let value_fill = if LOG_SPACE {
        V::Elem::NEG_INFINITY
    } else {
        V::Elem::ZERO
    };
    let mut acc = PassA {
        s_max: ninf,
        ly_sum: zero,
        ninf_terms: zero,
        bad: zero,
        total: zero,
    };
    let mut o = 0;
    while o < len {
        let (l, v) = if o + LANES <= len {
            (V::load(&logits[o..]), V::load(&value[o..]))
        } else {
            (
                V::load_partial(&logits[o..], V::Elem::NEG_INFINITY),
                V::load_partial(&value[o..len], value_fill),
            )
        };
        let masked = l.eq(ninf);
        let ly = if LOG_SPACE { v } else { V::Elem::ln_v(v) };
        let is_zero = if LOG_SPACE { v.eq(ninf) } else { v.eq(zero) };
        let (s, ninf_term) = scores(l, shift_v, ly, is_zero, neg_t);
        s.store(&mut buf[o..]);
        acc.s_max = s.max(acc.s_max);
        if !LOG_SPACE {
            acc.ly_sum = acc.ly_sum.add(V::select(masked, zero, ly));
        }
        acc.ninf_terms = acc.ninf_terms.add(ninf_term);
        if VALIDATE {
            let in_range = if LOG_SPACE {
                v.le(zero)
            } else {
                V::mask_and(zero.le(v), v.le(one))
            };
            acc.bad = acc.bad.add(V::select(in_range, zero, one));
            acc.total = acc.total.add(if LOG_SPACE { V::Elem::exp_v(v) } else { v });
        }
        o += LANES;
    }
    acc
}

/// Pass B over a chunk's `buf` (`len` elements, rounded up to 8) against
/// its max `m` (finite).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn pass_b<V: Vector>(buf: &[V::Elem], len: usize, m: V::Elem) -> PassB<V> {
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let mv = V::splat(m);
    let mut acc = PassB {
        exp_sum: zero,
        shifted_sum: zero,
        count: zero,
    };
    let mut o = 0;
    while o < len {
        let s = V::load(&buf[o..]);
        let is_masked = s.eq(ninf);
        let d = s.sub(mv);
        acc.exp_sum = acc.exp_sum.add(V::Elem::exp_v(d));
        acc.shifted_sum = acc.shifted_sum.add(V::select(is_masked, zero, d));
        acc.count = acc.count.add(V::select(is_masked, zero, one));
        o += LANES;
    }
    acc
}

/// The log-density of up to eight one-chunk rows at once, one row per lane:
/// `s_max`, `ly_sum`, `ninf_terms` are the rows' reduced pass-A results,
/// `pass_b` their reduced pass-B results (with `exp_sum = 0` where pass B
/// was skipped), `log_norm` and `unmasked` the rows' constants.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn finish8<V: Vector, const LOG_SPACE: bool>(
    s_max: V,
    ly_sum: V,
    ninf_terms: V,
    pass_b: PassB<V>,
    log_norm: V,
    unmasked: V,
) -> V {
    let zero = V::splat(V::Elem::ZERO);
    let inf = V::splat(V::Elem::INFINITY);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let ln_e = V::Elem::ln_v(pass_b.exp_sum);
    let mut lp = log_norm.add(pass_b.shifted_sum);
    if !LOG_SPACE {
        lp = lp.sub(ly_sum);
    }
    let lp = unmasked.neg().mul_add(ln_e, lp);
    // Outside the support: a zero on an unmasked category (s_max = +inf),
    // mass on a masked one, or nothing unmasked (s_max = -inf); or scores
    // beyond the float range (see `scores`).
    let outside = V::mask_or(
        V::mask_or(s_max.eq(inf), s_max.eq(ninf)),
        zero.lt(ninf_terms),
    );
    V::select(outside, ninf, lp)
}

/// Chunk results merged so far, in f64.
#[derive(Clone, Copy)]
struct Merged {
    max: f64,
    exp_sum: f64,
    shifted_sum: f64,
    count: f64,
}

impl Merged {
    fn merge(&mut self, max: f64, exp_sum: f64, shifted_sum: f64, count: f64) {
        if self.count == 0.0 {
            *self = Merged {
                max,
                exp_sum,
                shifted_sum,
                count,
            };
            return;
        }
        if max > self.max {
            let shift = self.max - max;
            self.exp_sum = self.exp_sum * shift.exp() + exp_sum;
            self.shifted_sum += self.count * shift + shifted_sum;
            self.max = max;
        } else {
            let shift = max - self.max;
            self.exp_sum += exp_sum * shift.exp();
            self.shifted_sum += shifted_sum + count * shift;
        }
        self.count += count;
    }
}

/// The log-density of one row longer than [`CHUNK`], and its check values
/// `(bad count, total)` (zeros unless validating). `buf` holds `CHUNK`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_density_long_row<V: Vector, const LOG_SPACE: bool, const VALIDATE: bool>(
    logits: &[V::Elem],
    shift: V::Elem,
    temperature: V::Elem,
    log_norm: f64,
    unmasked: usize,
    value: &[V::Elem],
    buf: &mut [V::Elem],
) -> (V::Elem, V::Elem, V::Elem) {
    let k = logits.len();
    let mut merged = Merged {
        max: f64::NEG_INFINITY,
        exp_sum: 0.0,
        shifted_sum: 0.0,
        count: 0.0,
    };
    let mut outside = false;
    let mut ly_total = 0.0f64;
    let (mut bad, mut total, mut ninf_terms) = (V::Elem::ZERO, V::Elem::ZERO, V::Elem::ZERO);
    let mut start = 0;
    while start < k {
        let end = (start + CHUNK).min(k);
        let a = pass_a::<V, LOG_SPACE, VALIDATE>(
            &logits[start..end],
            shift,
            temperature,
            &value[start..end],
            buf,
        );
        ly_total += a.ly_sum.reduce_add().to_f64();
        ninf_terms = ninf_terms + a.ninf_terms.reduce_add();
        bad = bad + a.bad.reduce_add();
        total = total + a.total.reduce_add();
        let m = reduce_max(a.s_max);
        if m == V::Elem::INFINITY {
            outside = true;
        } else if m > V::Elem::NEG_INFINITY {
            let b = pass_b::<V>(buf, end - start, m);
            merged.merge(
                m.to_f64(),
                b.exp_sum.reduce_add().to_f64(),
                b.shifted_sum.reduce_add().to_f64(),
                b.count.reduce_add().to_f64(),
            );
        }
        start = end;
    }
    if outside || ninf_terms > V::Elem::ZERO || merged.count == 0.0 {
        return (V::Elem::NEG_INFINITY, bad, total);
    }
    let mut lp = log_norm + merged.shifted_sum - unmasked as f64 * merged.exp_sum.ln();
    if !LOG_SPACE {
        lp -= ly_total;
    }
    (V::Elem::from_f64(lp), bad, total)
}

/// `lgamma(n) = ln((n-1)!)` for a category count `n >= 1`, in f64: exact
/// summation below 64, Stirling's series (to `1/n^7`) above, both within a
/// few ulps.
pub fn ln_gamma_count(n: usize) -> f64 {
    if n < 64 {
        return (2..n).map(|i| (i as f64).ln()).sum();
    }
    // ln Gamma(x) = (x - 1/2) ln x - x + ln(2 pi)/2 + 1/(12x) - 1/(360x^3)
    //               + 1/(1260x^5) - 1/(1680x^7)       (Abramowitz-Stegun 6.1.41)
    let x = n as f64;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * core::f64::consts::PI).ln() + series
}
