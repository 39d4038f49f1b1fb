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
//! which is SPEC.md's formula with the shift `M` taken inside the sums, so
//! no large terms cancel. One `ln` and one `exp` per element: the row is
//! processed in chunks of [`CHUNK`] elements whose `s` is kept on the stack;
//! chunk results `(M_c, E_c, D_c, n_c)` are merged in `f64` in chunk order.
//!
//! A value outside the support has density 0 (`-inf`): mass on a masked
//! category, or a zero (`-inf` in log space) on an unmasked one, i.e. a
//! point on the boundary of the open simplex. With validation the kernel
//! also reports whether every element was in range and the row total
//! (`sum y`, or `sum exp x`).

use crate::simd::{LANES, Real, Vector, reduce_max};

/// Elements per chunk; the chunk's `s` lives in a stack buffer this long.
pub const CHUNK: usize = 1024;

/// What the validating kernel saw in a value row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueCheck {
    /// Some element was NaN or out of range (`[0,1]`, or `<= 0` in log space).
    pub out_of_range: bool,
    /// `sum y`, or `sum exp x` in log space.
    pub total: f64,
}

/// Chunk results merged so far.
#[derive(Clone, Copy)]
struct Merged {
    max: f64,
    exp_sum: f64,
    shifted_sum: f64,
    count: f64,
}

impl Merged {
    fn merge(&mut self, max: f64, exp_sum: f64, shifted_sum: f64, count: f64) {
        if max > self.max {
            let shift = self.max - max;
            let scale = if self.count == 0.0 { 0.0 } else { shift.exp() };
            self.exp_sum = self.exp_sum * scale + exp_sum;
            self.shifted_sum = if self.count == 0.0 { shifted_sum } else { self.shifted_sum + self.count * shift + shifted_sum };
            self.max = max;
        } else {
            let shift = max - self.max;
            self.exp_sum += exp_sum * shift.exp();
            self.shifted_sum += shifted_sum + count * shift;
        }
        self.count += count;
    }
}

/// The log-density of one value row (`LOG_SPACE`: the value is `x = ln y`),
/// and, if `VALIDATE`, what the value check saw.
#[inline(always)]
pub fn log_density_row<V: Vector, const LOG_SPACE: bool, const VALIDATE: bool>(
    logits: &[V::Elem],
    temperature: V::Elem,
    log_norm: f64,
    unmasked: usize,
    value: &[V::Elem],
) -> (V::Elem, ValueCheck) {
    let k = logits.len();
    let value = &value[..k];
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let neg_t = V::splat(-temperature);
    let value_fill = if LOG_SPACE { V::Elem::NEG_INFINITY } else { V::Elem::ZERO };

    let mut buf = [V::Elem::ZERO; CHUNK];
    let mut merged = Merged { max: f64::NEG_INFINITY, exp_sum: 0.0, shifted_sum: 0.0, count: 0.0 };
    let mut outside = false;
    let mut log_value_sum = 0.0f64;
    let mut masked_mass = zero;
    let mut bad = zero;
    let mut total = zero;

    let mut start = 0;
    while start < k {
        let end = (start + CHUNK).min(k);
        let (l_c, v_c) = (&logits[start..end], &value[start..end]);
        let len = end - start;

        // Pass A: s into the buffer, its max, sum of ln y, checks.
        let mut s_max = ninf;
        let mut ly_sum = zero;
        let mut o = 0;
        while o < len {
            let (l, v) = if o + LANES <= len {
                (V::load(&l_c[o..]), V::load(&v_c[o..]))
            } else {
                (
                    V::load_partial(&l_c[o..], V::Elem::NEG_INFINITY),
                    V::load_partial(&v_c[o..], value_fill),
                )
            };
            let masked = l.eq(ninf);
            let ly = if LOG_SPACE { v } else { V::Elem::ln_v(v) };
            let s = V::select(masked, ninf, ly.mul_add(neg_t, l));
            s.store(&mut buf[o..]);
            s_max = s.max(s_max);
            if !LOG_SPACE {
                ly_sum = ly_sum.add(V::select(masked, zero, ly));
            }
            let is_zero = if LOG_SPACE { v.eq(ninf) } else { v.eq(zero) };
            masked_mass = masked_mass.add(V::select(masked, V::select(is_zero, zero, one), zero));
            if VALIDATE {
                let in_range = if LOG_SPACE { v.le(zero) } else { V::mask_and(zero.le(v), v.le(one)) };
                bad = bad.add(V::select(in_range, zero, one));
                total = total.add(if LOG_SPACE { V::Elem::exp_v(v) } else { v });
            }
            o += LANES;
        }
        if !LOG_SPACE {
            log_value_sum += ly_sum.reduce_add().to_f64();
        }
        let m_c = reduce_max(s_max);
        if m_c == V::Elem::INFINITY {
            // A zero on an unmasked category: outside the open simplex.
            outside = true;
        } else if m_c > V::Elem::NEG_INFINITY {
            // Pass B: shifted sums against the chunk's max.
            let mv = V::splat(m_c);
            let (mut e_acc, mut d_acc, mut n_acc) = (zero, zero, zero);
            let mut o = 0;
            while o < len {
                let s = V::load(&buf[o..]);
                let is_masked = s.eq(ninf);
                let d = s.sub(mv);
                e_acc = e_acc.add(V::Elem::exp_v(d));
                d_acc = d_acc.add(V::select(is_masked, zero, d));
                n_acc = n_acc.add(V::select(is_masked, zero, one));
                o += LANES;
            }
            merged.merge(
                m_c.to_f64(),
                e_acc.reduce_add().to_f64(),
                d_acc.reduce_add().to_f64(),
                n_acc.reduce_add().to_f64(),
            );
        }
        start = end;
    }

    let check = ValueCheck {
        out_of_range: VALIDATE && bad.reduce_add() > V::Elem::ZERO,
        total: total.reduce_add().to_f64(),
    };
    if outside || masked_mass.reduce_add() > V::Elem::ZERO || merged.count == 0.0 {
        return (V::Elem::NEG_INFINITY, check);
    }
    let kp = unmasked as f64;
    let log_prob = log_norm + merged.shifted_sum - log_value_sum - kp * merged.exp_sum.ln();
    (V::Elem::from_f64(log_prob), check)
}

/// `lgamma(n) = ln((n-1)!)` for a category count `n >= 1`, in f64: exact
/// summation below 64, Stirling's series (to `1/n^7`) above, both within a
/// few ulps.
pub fn ln_gamma_count(n: usize) -> f64 {
    if n < 64 {
        return (2..n).map(#[inline(always)] |i| (i as f64).ln()).sum();
    }
    // ln Gamma(x) = (x - 1/2) ln x - x + ln(2 pi)/2 + 1/(12x) - 1/(360x^3)
    //               + 1/(1260x^5) - 1/(1680x^7)       (Abramowitz-Stegun 6.1.41)
    let x = n as f64;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * core::f64::consts::PI).ln() + series
}
