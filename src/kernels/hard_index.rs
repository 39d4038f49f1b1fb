//! The straight-through sample as an index: the position of the 1 in the
//! one-hot row [`SampleRows`](super::batch::SampleRows) writes for
//! `SampleKind::Hard`, from the same noise, in one pass and without the
//! soft sample.
//!
//! ```text
//! z_i = perturb(l_i - shift, g_i, 1/t)       the hard kernel's pass 1, bit for bit
//! m   = max z
//! hard picks the first i with y_i = max y, y_i = exp(z_i - m) * (1/s):
//!     exp(z_max - m) = exp(0) = 1, so max y = 1/s; and exp(x) <= 1 for x <= 0
//!     with rounding monotone, so y_i = 1/s  <=>  exp(z_i - m) = 1
//!     (e < 1 is at most 1 - eps/2, and (1 - eps/2)(1/s) rounds below 1/s)
//! index = the first i with exp(z_i - m) == 1, evaluated exactly for the
//!     candidates z_i >= m - delta (delta = 8 eps, where exp is already
//!     below 1: tested), tracked in one pass with the running maximum
//! ```
//!
//! The index is the hard kernel's in ties too: categories whose `z` differ
//! but whose `y` round to the same value (large `t`) are resolved as the
//! hard kernel resolves them, to the first.

use super::sample::{gumbel, perturb};
use crate::rng::RowRng;
use crate::simd::{Kernel, LANES, Real, Vector};

/// Straight-through indices of sample rows `first_row ..` of a
/// distribution: row `j` from parameter row `j % batch_rows`, stream index
/// `stream_offset + j` (the fields of `SampleRows`).
pub struct HardIndexRows<'a, T> {
    /// Log-weights, `batch_rows x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift of its log-weights.
    pub row_shift: &'a [T],
    /// `1/t` per parameter row (one value for a scalar temperature).
    pub inv_temperature: &'a [T],
    /// Row length.
    pub k: usize,
    /// The seed.
    pub seed: u64,
    /// Stream index of sample row 0.
    pub stream_offset: u64,
    /// Sample-row index of the task's first row.
    pub first_row: usize,
    /// One index per task row.
    pub out: &'a mut [i64],
}

impl<T: Real> Kernel<T> for HardIndexRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        let mut rng = RowRng::<V::Rng>::new(self.seed, first_stream_row, k, T::STEPS_PER_DRAW);
        let delta = T::EPSILON * T::from_f64(8.0);
        let mut candidates: Vec<(usize, T)> = Vec::new();
        let mut b = self.first_row % batch_rows;
        for out in self.out.iter_mut() {
            let lanes = rng.next_row();
            let inv_t = V::splat(
                self.inv_temperature[if self.inv_temperature.len() == 1 {
                    0
                } else {
                    b
                }],
            );
            let shift = V::splat(self.row_shift[b]);
            let row = &self.logits[b * k..(b + 1) * k];
            candidates.clear();
            let mut m = T::NEG_INFINITY;
            let mut near = m - delta;
            let full = k - k % LANES;
            let mut o = 0;
            while o < k {
                // Whole vectors in a loop of their own until one comes
                // near the running maximum; then the last, partial vector.
                let nv = V::splat(near);
                let mut hit = None;
                while o < full {
                    let l = V::load(&row[o..]);
                    let z = perturb(l.sub(shift), gumbel(V::uniform(lanes)), inv_t);
                    if V::mask_any(nv.le(z)) {
                        hit = Some(z);
                        break;
                    }
                    o += LANES;
                }
                if hit.is_none() && o < k {
                    let l = V::load_partial(&row[o..], T::NEG_INFINITY);
                    let z = perturb(l.sub(shift), gumbel(V::uniform(lanes)), inv_t);
                    if V::mask_any(nv.le(z)) {
                        hit = Some(z);
                    }
                }
                let Some(z) = hit else {
                    break;
                };
                let zs = z.to_array();
                for (lane, &zi) in zs.iter().enumerate().take(k - o) {
                    if zi > m {
                        m = zi;
                        near = m - delta;
                        candidates.retain(|c| c.1 >= near);
                    }
                    if zi >= near {
                        candidates.push((o + lane, zi));
                    }
                }
                o += LANES;
            }
            *out = first_at_one::<V>(&candidates, m) as i64;
            b = if b + 1 == batch_rows { 0 } else { b + 1 };
        }
    }
}

/// The first candidate (in index order) with `exp(z - m) == 1`, computed
/// with the vector `exp` the hard kernel uses; 0 if none (a row without an
/// unmasked category, which validation rejects).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn first_at_one<V: Vector>(candidates: &[(usize, V::Elem)], m: V::Elem) -> usize {
    let mv = V::splat(m);
    for chunk in candidates.chunks(LANES) {
        let mut z = [V::Elem::NEG_INFINITY; LANES];
        for (zj, c) in z.iter_mut().zip(chunk) {
            *zj = c.1;
        }
        let e = V::Elem::exp_v(V::load(&z).sub(mv)).to_array();
        if let Some(j) = (0..chunk.len()).find(|&j| e[j] == V::Elem::ONE) {
            return chunk[j].0;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::simd::dispatch::dispatch;
    use crate::simd::{Backend, Kernel, LANES, Real, Vector};

    /// `exp(x) < 1` for f64 `x <= -2^-51` (a quarter of the hard index's
    /// `delta = 8 eps`): the 2^16 floats from `-2^-51` down, and a
    /// geometric sweep (each point and its neighbour) to `-2^-10`, below
    /// which `exp` is far from 1. The f32 sweep, of every float, is in
    /// kernels::categorical.
    #[test]
    fn exp_f64_is_below_one_away_from_zero() {
        struct Max<'a>(&'a [f64]);
        impl Kernel<f64> for Max<'_> {
            type Output = f64;
            #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
            fn run<V: Vector<Elem = f64>>(self) -> f64 {
                let mut m = V::splat(0.0);
                for x in self.0.chunks_exact(LANES) {
                    m = f64::exp_v(V::load(x)).max(m);
                }
                crate::simd::reduce_max(m)
            }
        }
        let start = (-(2f64.powi(-51))).to_bits();
        let mut xs: Vec<f64> = (start..start + (1 << 16)).map(f64::from_bits).collect();
        let mut x = -(2f64.powi(-51));
        while x > -(2f64.powi(-10)) {
            xs.push(x);
            xs.push(f64::from_bits(x.to_bits() + 1));
            x *= 1.000_1;
        }
        while !xs.len().is_multiple_of(LANES) {
            xs.push(-1.0);
        }
        for backend in Backend::available() {
            let m = dispatch(backend, Max(&xs));
            assert!(m < 1.0, "{backend:?}: exp reaches 1 below -2^-51 ({m})");
        }
    }
}
