//! Gumbel noise and the Gumbel-softmax samples.
//!
//! ```text
//! u   8 uniforms per vector, strictly inside (0,1)      (see crate::rng)
//! g = -ln(-ln u)                 finite: |g| < 17.4 (f32), < 37.5 (f64)
//! z = (l + g) * (1/t)            pass 1, stored in the output row
//! m = max z;  e = exp(z - m);  s = sum e                 pass 2
//! soft  y = e * (1/s)                                    pass 3
//! log   x = (z - m) - ln s       (never underflows; masked: -inf)
//! hard  y as soft, then one-hot at the first index of max y
//! ```
//!
//! Rows are processed in groups of up to eight ([`group_rows`]): each pass
//! runs over every row of the group, and the per-row scalars (`m`, `s`,
//! `1/s`, `ln s`, the argmax) are computed for the whole group at once, one
//! row per lane, after a transpose. Short rows thus pay one vector operation
//! per group, not per row, for their horizontal steps; the results are the
//! same bits as row by row.
//!
//! A masked category (`l = -inf`) gives `z = -inf`, so `y = 0` and
//! `x = -inf` exactly. Every row takes `vectors_per_row(K)` vectors of
//! uniforms, masked or not, which keeps rows independent of each other.

use super::rowops::{map_in_place, map_in_place_sum_vec, sum_map_vec};
use crate::simd::{LANES, Real, Vector, map8};

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

/// Elements a group of rows may span: small enough that its passes stay in
/// L1 (16 KiB of f32).
const GROUP_ELEMENTS: usize = 4096;

/// Rows processed together for rows of `k` elements: eight when eight rows
/// fit in [`GROUP_ELEMENTS`], else one.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn group_rows(k: usize) -> usize {
    if k * LANES <= GROUP_ELEMENTS {
        LANES
    } else {
        1
    }
}

/// `-ln(-ln u)` for `u` strictly inside (0,1): both logarithms see positive
/// normal numbers.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn gumbel<V: Vector>(u: V) -> V {
    let e = V::Elem::ln_normal_v(u).neg();
    V::Elem::ln_normal_v(e).neg()
}

/// Calls `f(offset, g)` for each vector of Gumbel noise of a row of `k`,
/// taking `vectors_per_row(k)` vectors of uniforms.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn for_each_gumbel<V: Vector>(k: usize, rng: &mut V::Rng, mut f: impl FnMut(usize, V)) {
    let mut offset = 0;
    while offset < k {
        f(offset, gumbel(V::uniform(rng)));
        offset += LANES;
    }
}

/// Writes one row of Gumbel noise.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn gumbel_row<V: Vector>(rng: &mut V::Rng, out: &mut [V::Elem]) {
    let k = out.len();
    for_each_gumbel::<V>(
        k,
        rng,
        #[inline(always)]
        |o, g| {
            if o + LANES <= k {
                g.store(&mut out[o..]);
            } else {
                g.store_partial(&mut out[o..]);
            }
        },
    );
}

/// Pass 1: `out = ((logits - shift) + g) * inv_t`, `shift` the row's
/// maximum log-weight (so that `l - shift` is exact near the top and the
/// rounding of `l + g` does not grow with the logits' offset); returns the lanewise max of `out`
/// (reduce it with `reduce_max` / `reduce_max8`).
///
/// For unmasked categories `z` saturates at `+-MAX`, the largest finite
/// value: at temperatures so small that `(l + g) / t` overflows (below
/// about 1e-37 in f32), the categories that overflow tie instead of making
/// `inf - inf = NaN` in pass 2. Masked categories stay at `-inf`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn perturb_row<V: Vector>(
    logits: &[V::Elem],
    shift: V::Elem,
    inv_t: V::Elem,
    rng: &mut V::Rng,
    out: &mut [V::Elem],
) -> V {
    let k = logits.len();
    let inv_t = V::splat(inv_t);
    let shift = V::splat(shift);
    let mut m = V::splat(V::Elem::NEG_INFINITY);
    for_each_gumbel::<V>(
        k,
        rng,
        #[inline(always)]
        |o, g| {
            let full = o + LANES <= k;
            let l = if full {
                V::load(&logits[o..])
            } else {
                V::load_partial(&logits[o..], V::Elem::NEG_INFINITY)
            };
            let z = perturb(l.sub(shift), g, inv_t);
            if full {
                z.store(&mut out[o..]);
            } else {
                z.store_partial(&mut out[o..k]);
            }
            m = z.max(m);
        },
    );
    m
}

/// `z = (l + g) * inv_t`, saturated at `+-MAX` for unmasked categories and
/// `-inf` for masked ones (see [`perturb_row`]).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn perturb<V: Vector>(l: V, g: V, inv_t: V) -> V {
    let max = V::splat(V::Elem::MAX);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let z = max.min(max.neg().max(l.add(g).mul(inv_t)));
    V::select(l.eq(ninf), ninf, z)
}

/// Eight rows of at most 8 categories at once, one row per lane after a
/// transpose: `z[r]` holds row `r`'s perturbed logits (pass 1, `-inf`
/// beyond the row), and the rows of the result are the finished samples of
/// `kind` (soft or log; for hard, the soft sample and, in the second
/// array, the one-hot rows). The same bits as the row-by-row passes.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn finish_short_rows<V: Vector>(
    kind: SampleKind,
    k: usize,
    z: [V; LANES],
) -> ([V; LANES], [V; LANES]) {
    let cols = V::transpose8(z);
    let m = crate::simd::tree_max8(cols);
    let zero = V::splat(V::Elem::ZERO);
    if kind == SampleKind::Log {
        let e = map8(
            cols,
            #[inline(always)]
            |c| V::Elem::exp_v(c.sub(m)),
        );
        let ln_s = V::Elem::ln_normal_v(crate::simd::tree_add8(e));
        let x = map8(
            cols,
            #[inline(always)]
            |c| c.sub(m).sub(ln_s),
        );
        return (V::transpose8(x), [zero; LANES]);
    }
    let e = map8(
        cols,
        #[inline(always)]
        |c| V::Elem::exp_v(c.sub(m)),
    );
    let inv = V::splat(V::Elem::ONE).div(crate::simd::tree_add8(e));
    let y = map8(
        e,
        #[inline(always)]
        |e| e.mul(inv),
    );
    if kind == SampleKind::Soft {
        return (V::transpose8(y), [zero; LANES]);
    }
    // The first category of each row (lane) with the largest y.
    let (mut best, mut best_index) = (y[0], zero);
    for (j, &yj) in y.iter().enumerate().take(k).skip(1) {
        let greater = best.lt(yj);
        best = V::select(greater, yj, best);
        best_index = V::select(greater, V::splat(V::Elem::from_f64(j as f64)), best_index);
    }
    let one = V::splat(V::Elem::ONE);
    let mut hard = [zero; LANES];
    for (j, h) in hard.iter_mut().enumerate().take(k) {
        *h = V::select(
            best_index.eq(V::splat(V::Elem::from_f64(j as f64))),
            one,
            zero,
        );
    }
    (V::transpose8(y), V::transpose8(hard))
}

/// Pass 2: `row = exp(row - m)`; returns the lanewise sum (reduce it with
/// `reduce_add8`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exp_shift_row<V: Vector>(row: &mut [V::Elem], m: V::Elem) -> V {
    let m = V::splat(m);
    map_in_place_sum_vec::<V>(
        row,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |z| V::Elem::exp_v(z.sub(m)),
    )
}

/// Pass 2 of a log-space sample: the lanewise sum of `exp(row - m)`, row
/// unchanged.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exp_shift_sum<V: Vector>(row: &[V::Elem], m: V::Elem) -> V {
    let m = V::splat(m);
    sum_map_vec::<V>(
        row,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |z| V::Elem::exp_v(z.sub(m)),
    )
}

/// Pass 3 of a soft sample: `row *= inv`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn scale_row<V: Vector>(row: &mut [V::Elem], inv: V::Elem) {
    let inv = V::splat(inv);
    map_in_place::<V>(
        row,
        #[inline(always)]
        |e| e.mul(inv),
    );
}

/// Pass 3 of a log-space sample: `row = (row - m) - ln_s`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_finish_row<V: Vector>(row: &mut [V::Elem], m: V::Elem, ln_s: V::Elem) {
    let (m, ln_s) = (V::splat(m), V::splat(ln_s));
    map_in_place::<V>(
        row,
        #[inline(always)]
        |z| z.sub(m).sub(ln_s),
    );
}

/// Pass 3 of a hard sample: `row *= inv` and `hard = 0` (the caller then
/// sets the one); returns, per lane, the largest scaled value seen and its
/// first index (as a float; exact below 2^24).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn scale_argmax_row<V: Vector>(
    row: &mut [V::Elem],
    inv: V::Elem,
    hard: &mut [V::Elem],
) -> (V, V) {
    let k = row.len();
    let inv = V::splat(inv);
    let mut best = V::splat(V::Elem::NEG_INFINITY);
    let mut best_index = V::splat(V::Elem::ZERO);
    let iota: [V::Elem; LANES] = core::array::from_fn(|i| V::Elem::from_f64(i as f64));
    let mut index = V::load(&iota);
    let step = V::splat(V::Elem::from_f64(LANES as f64));
    let zero = V::splat(V::Elem::ZERO);
    let mut o = 0;
    while o < k {
        let y = if o + LANES <= k {
            let y = V::load(&row[o..]).mul(inv);
            y.store(&mut row[o..]);
            zero.store(&mut hard[o..]);
            y
        } else {
            // NaN in the missing lanes: never greater than `best`.
            let y = V::load_partial(&row[o..], V::Elem::NAN).mul(inv);
            y.store_partial(&mut row[o..]);
            zero.store_partial(&mut hard[o..k]);
            y
        };
        let greater = best.lt(y);
        best = V::select(greater, y, best);
        best_index = V::select(greater, index, best_index);
        index = index.add(step);
        o += LANES;
    }
    (best, best_index)
}

/// Elements per segment of [`scale_argmax_long_row`]: indices within a
/// segment are exact in any float type.
#[cfg(not(fuzzing))]
const ARGMAX_SEGMENT: usize = 1 << 20;
/// The fuzz build splits rows of more than 64 elements into segments, so
/// that its rows run the segment comparison.
#[cfg(fuzzing)]
const ARGMAX_SEGMENT: usize = 8 * LANES;

/// [`scale_argmax_row`] for one row of any length: the row is scanned in
/// segments whose lane indices stay exact as floats (f32 holds integers
/// only up to 2^24), and the segments' winners compared as `usize`.
/// Returns the first index of the largest scaled value.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn scale_argmax_long_row<V: Vector>(
    row: &mut [V::Elem],
    inv: V::Elem,
    hard: &mut [V::Elem],
) -> usize {
    let mut winner: Option<(V::Elem, usize)> = None;
    let mut start = 0;
    while start < row.len() {
        let end = (start + ARGMAX_SEGMENT).min(row.len());
        let (best, index) = scale_argmax_row::<V>(&mut row[start..end], inv, &mut hard[start..end]);
        let (values, indices) = (best.to_array(), index.to_array());
        for lane in 0..LANES {
            let (v, i) = (values[lane], start + indices[lane].to_f64() as usize);
            // Strictly greater, or equal at a smaller index: the first maximum.
            let better = match winner {
                None => v > V::Elem::NEG_INFINITY,
                Some((w, wi)) => v > w || (v == w && i < wi),
            };
            if better {
                winner = Some((v, i));
            }
        }
        start = end;
    }
    winner.map_or(0, |(_, i)| i)
}

/// For eight rows' `(best, best_index)` vectors, the first index of each
/// row's maximum, as lane `r` of the result: the lanes are compared in
/// order 0..8, a later lane winning on a larger value or an equal value at
/// a smaller index.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn argmax8<V: Vector>(best: [V; LANES], best_index: [V; LANES]) -> V {
    let (values, indices) = (V::transpose8(best), V::transpose8(best_index));
    let (mut w, mut wi) = (values[0], indices[0]);
    for lane in 1..LANES {
        let (v, i) = (values[lane], indices[lane]);
        let better = V::mask_or(w.lt(v), V::mask_and(v.eq(w), i.lt(wi)));
        w = V::select(better, v, w);
        wi = V::select(better, i, wi);
    }
    wi
}
