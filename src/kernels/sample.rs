//! Gumbel noise and the Gumbel-softmax samples.
//!
//! ```text
//! u   16 uniforms per draw, strictly inside (0,1)       (see crate::rng)
//! g = -ln(-ln u)                 finite: |g| < 17.4 (f32), < 37.5 (f64)
//! z = (l + g) * (1/t)            pass 1, stored in the output row
//! m = max z;  e = exp(z - m);  s = sum e                 pass 2
//! soft  y = e * (1/s)                                    pass 3
//! log   x = (z - m) - ln s       (never underflows; masked: -inf)
//! hard  y as soft, then one-hot at the first index of max y
//! ```
//!
//! A masked category (`l = -inf`) gives `z = -inf`, so `y = 0` and
//! `x = -inf` exactly. Every row consumes `draws_per_row(K)` draws whether or
//! not all uniforms are used, which keeps rows independent of each other.

use super::rowops::{ln_scalar, map_in_place, map_in_place_sum, sum_map};
use crate::simd::{LANES, Real, Vector};

/// Which sample a row kernel writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleKind {
    /// The relaxed sample `y` on the simplex.
    Soft,
    /// `ln y`, computed without forming `y`.
    Log,
    /// The one-hot straight-through sample, with the soft `y` beside it.
    Hard,
}

/// `-ln(-ln u)` for `u` strictly inside (0,1): both logarithms see positive
/// normal numbers.
#[inline(always)]
fn gumbel<V: Vector>(u: V) -> V {
    let e = V::Elem::ln_normal_v(u).neg();
    V::Elem::ln_normal_v(e).neg()
}

/// Calls `f(offset, g)` for each vector of Gumbel noise of a row of `k`,
/// drawing `draws_per_row(k)` times; vectors past the row are not computed.
#[inline(always)]
fn for_each_gumbel<V: Vector>(k: usize, rng: &mut V::Rng, mut f: impl FnMut(usize, V)) {
    let mut offset = 0;
    while offset < k {
        let [u0, u1] = V::uniforms(rng);
        f(offset, gumbel(u0));
        if offset + LANES < k {
            f(offset + LANES, gumbel(u1));
        }
        offset += 2 * LANES;
    }
}

/// Writes one row of Gumbel noise.
#[inline(always)]
pub fn gumbel_row<V: Vector>(rng: &mut V::Rng, out: &mut [V::Elem]) {
    let k = out.len();
    for_each_gumbel::<V>(k, rng, #[inline(always)] |o, g| {
        if o + LANES <= k {
            g.store(&mut out[o..]);
        } else {
            g.store_partial(&mut out[o..]);
        }
    });
}

/// Pass 1: `out = (logits + g) * inv_t`; returns `max out`.
#[inline(always)]
fn perturb_row<V: Vector>(logits: &[V::Elem], inv_t: V::Elem, rng: &mut V::Rng, out: &mut [V::Elem]) -> V::Elem {
    let k = logits.len();
    let inv_t = V::splat(inv_t);
    let mut m = V::splat(V::Elem::NEG_INFINITY);
    for_each_gumbel::<V>(k, rng, #[inline(always)] |o, g| {
        if o + LANES <= k {
            let z = V::load(&logits[o..]).add(g).mul(inv_t);
            z.store(&mut out[o..]);
            m = z.max(m);
        } else {
            let z = V::load_partial(&logits[o..], V::Elem::NEG_INFINITY).add(g).mul(inv_t);
            z.store_partial(&mut out[o..k]);
            m = z.max(m);
        }
    });
    crate::simd::reduce_max(m)
}

/// One sample row of `kind` from normalised `logits`; `out` (and `hard`
/// for [`SampleKind::Hard`]) as long as `logits`.
#[inline(always)]
pub fn sample_row<V: Vector>(
    kind: SampleKind,
    logits: &[V::Elem],
    inv_t: V::Elem,
    rng: &mut V::Rng,
    out: &mut [V::Elem],
    hard: &mut [V::Elem],
) {
    let k = logits.len();
    let out = &mut out[..k];
    let m = V::splat(perturb_row::<V>(logits, inv_t, rng, out));
    match kind {
        SampleKind::Log => {
            let s = sum_map::<V>(out, V::Elem::NEG_INFINITY, #[inline(always)] |z| V::Elem::exp_v(z.sub(m)));
            let ln_s = V::splat(ln_scalar::<V>(s));
            map_in_place::<V>(out, #[inline(always)] |z| z.sub(m).sub(ln_s));
        }
        SampleKind::Soft => {
            let s = map_in_place_sum::<V>(out, V::Elem::NEG_INFINITY, #[inline(always)] |z| V::Elem::exp_v(z.sub(m)));
            let inv = V::splat(V::Elem::ONE / s);
            map_in_place::<V>(out, #[inline(always)] |e| e.mul(inv));
        }
        SampleKind::Hard => {
            let s = map_in_place_sum::<V>(out, V::Elem::NEG_INFINITY, #[inline(always)] |z| V::Elem::exp_v(z.sub(m)));
            let inv = V::splat(V::Elem::ONE / s);
            let index = scale_and_argmax::<V>(out, inv);
            let hard = &mut hard[..k];
            hard.fill(V::Elem::ZERO);
            hard[index] = V::Elem::ONE;
        }
    }
}

/// `row *= inv` and the first index of the largest scaled value.
#[inline(always)]
fn scale_and_argmax<V: Vector>(row: &mut [V::Elem], inv: V) -> usize {
    let k = row.len();
    let mut best = V::splat(V::Elem::NEG_INFINITY);
    let mut best_index = V::splat(V::Elem::ZERO);
    let iota: [V::Elem; LANES] = core::array::from_fn(#[inline(always)] |i| V::Elem::from_f64(i as f64));
    let mut index_v = V::load(&iota);
    let step = V::splat(V::Elem::from_f64(LANES as f64));
    let mut o = 0;
    while o < k {
        let y = if o + LANES <= k {
            let y = V::load(&row[o..]).mul(inv);
            y.store(&mut row[o..]);
            y
        } else {
            // NaN in the missing lanes: never greater than `best`.
            let y = V::load_partial(&row[o..], V::Elem::NAN).mul(inv);
            y.store_partial(&mut row[o..]);
            y
        };
        let greater = best.lt(y);
        best = V::select(greater, y, best);
        best_index = V::select(greater, index_v, best_index);
        index_v = index_v.add(step);
        o += LANES;
    }
    let (values, indices) = (best.to_array(), best_index.to_array());
    let mut winner = 0;
    for lane in 1..LANES {
        let better = values[lane] > values[winner]
            || (values[lane] == values[winner] && indices[lane] < indices[winner]);
        if better {
            winner = lane;
        }
    }
    indices[winner].to_f64() as usize
}
