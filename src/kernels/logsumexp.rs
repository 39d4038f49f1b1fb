//! Row-wise `logsumexp`, `softmax` and `log_softmax`.
//!
//! ```text
//! m = max_k v_k
//! s = sum_k exp(v_k - m)            (fixed order, see rowops)
//! logsumexp = m + ln s              softmax_k = exp(v_k - m) / s
//! log_softmax_k = (v_k - m) - ln s
//! ```
//!
//! `logsumexp` itself runs eight short rows at a time (see
//! `batch::LogSumExpRows`). A row whose maximum is not finite takes a scalar
//! path: `logsumexp` is
//! NaN if the row holds a NaN, else the maximum (`-inf` for a row of
//! `-inf`, `+inf` if any element is `+inf`); `softmax` and `log_softmax` of
//! such a row are NaN, as they are undefined.

use super::rowops::{ln_scalar, map_in_place, map_into, map_into_sum, max, sum_map};

use crate::simd::{Real, Vector};

/// `out = softmax(row)`; `out` as long as `row`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn softmax_row<V: Vector>(row: &[V::Elem], out: &mut [V::Elem]) {
    let m = max::<V>(row);
    if !m.is_finite() {
        out[..row.len()].fill(V::Elem::NAN);
        return;
    }
    let mv = V::splat(m);
    let s = map_into_sum::<V>(
        row,
        out,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |v| V::Elem::exp_v(v.sub(mv)),
    );
    let inv = V::splat(V::Elem::ONE / s);
    map_in_place::<V>(
        &mut out[..row.len()],
        #[inline(always)]
        |e| e.mul(inv),
    );
}

/// `out = log_softmax(row) = row - logsumexp(row)`, computed as
/// `(v - m) - ln s` so that the largest entry is exactly `-ln s`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_softmax_row<V: Vector>(row: &[V::Elem], out: &mut [V::Elem]) {
    let m = max::<V>(row);
    if !m.is_finite() {
        out[..row.len()].fill(V::Elem::NAN);
        return;
    }
    let mv = V::splat(m);
    let s = sum_map::<V>(
        row,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |v| V::Elem::exp_v(v.sub(mv)),
    );
    let ln_s = V::splat(ln_scalar::<V>(s));
    map_into::<V>(
        row,
        out,
        #[inline(always)]
        |v| v.sub(mv).sub(ln_s),
    );
}
