//! Passes over a row shared by the kernels: a fixed-order sum, a maximum,
//! and in-place maps. The order of every sum is fixed by the row length
//! alone, so every backend adds in the same order: within a block of
//! [`SUM_BLOCK`] elements, four accumulators over blocks of 32, the rest in
//! turn, then the shared lane tree; a longer row adds its block sums up a
//! fixed tree ([`blocked`]).

use crate::simd::{LANES, Real, Vector, reduce_max};
use std::ops::Range;

/// Elements of a row summed in one flat pass. Each of the 32 f32 lanes
/// then adds at most 512 terms; a longer row's block sums go up a fixed
/// tree ([`blocked`]), so a lane's sum is a chain of at most
/// `512 + 64 + 64 + K / 2^26` additions (704 at `K = 2^32`; a flat f32
/// sum of 2^28 ones stops growing at 2^24 per lane). A multiple of `4 * LANES`, so only a row's
/// last block has a tail.
#[cfg(not(fuzzing))]
pub const SUM_BLOCK: usize = 1 << 14;
/// The fuzz build (`cfg(fuzzing)`, set by cargo fuzz) uses small blocks
/// and fan-out, so that its rows (K at most 1100) run every level of the
/// tree; the order still depends on K alone, the same on every backend.
#[cfg(fuzzing)]
pub const SUM_BLOCK: usize = 8 * LANES;

/// Sums of a level of [`blocked`]'s tree added before they go up a level.
#[cfg(not(fuzzing))]
const FANOUT: usize = 64;
#[cfg(fuzzing)]
const FANOUT: usize = 2;

const _: () = assert!(SUM_BLOCK.is_multiple_of(4 * LANES));

/// The lanewise sums of `block(range)` over the [`SUM_BLOCK`] blocks of a
/// row of `k`, added up a fixed tree: 64 block sums make a group, 64 groups
/// a supergroup, and the supergroups add in turn. A row of one block is that
/// block's sum, bit for bit. `block` is called at one place, so each
/// kernel inlines its flat loop once.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn blocked<V: Vector, const N: usize>(
    k: usize,
    mut block: impl FnMut(Range<usize>) -> [V; N],
) -> [V; N] {
    let zero = [V::splat(V::Elem::ZERO); N];
    // level[0]: blocks of the current group; level[1]: groups of the
    // current supergroup; level[2]: the supergroups.
    let mut level = [zero; 3];
    let mut count = [0usize; 2];
    let mut o = 0;
    loop {
        let end = (o + SUM_BLOCK).min(k);
        let v = block(o..end);
        if o == 0 && end == k {
            return v;
        }
        add(&mut level[0], v);
        count[0] += 1;
        o = end;
        let last = o == k;
        if count[0] == FANOUT || last {
            let group = core::mem::replace(&mut level[0], zero);
            add(&mut level[1], group);
            count = [0, count[1] + 1];
        }
        if count[1] == FANOUT || last {
            let supergroup = core::mem::replace(&mut level[1], zero);
            add(&mut level[2], supergroup);
            count[1] = 0;
        }
        if last {
            return level[2];
        }
    }
}

/// `acc += v`, lanewise, for each of `N` sums carried at once.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn add<V: Vector, const N: usize>(acc: &mut [V; N], v: [V; N]) {
    for (a, v) in acc.iter_mut().zip(v) {
        *a = a.add(v);
    }
}

/// `sum_k f(row[k])`, with missing lanes of the last vector set to `fill`
/// (choose `fill` so that `f(fill) = 0`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn sum_map<V: Vector>(row: &[V::Elem], fill: V::Elem, f: impl Fn(V) -> V) -> V::Elem {
    sum_map_vec(row, fill, f).reduce_add()
}

/// [`sum_map`] before its final horizontal sum (for [`reduce_add8`]).
///
/// [`reduce_add8`]: crate::simd::reduce_add8
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn sum_map_vec<V: Vector>(row: &[V::Elem], fill: V::Elem, f: impl Fn(V) -> V) -> V {
    let [s] = blocked::<V, 1>(
        row.len(),
        #[inline(always)]
        |r| [flat_sum_map_vec(&row[r], fill, &f)],
    );
    s
}

/// [`sum_map_vec`] of one block.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn flat_sum_map_vec<V: Vector>(row: &[V::Elem], fill: V::Elem, f: &impl Fn(V) -> V) -> V {
    let zero = V::splat(V::Elem::ZERO);
    let mut acc = [zero; 4];
    let mut blocks = row.chunks_exact(4 * LANES);
    for b in &mut blocks {
        acc[0] = acc[0].add(f(V::load(&b[0..])));
        acc[1] = acc[1].add(f(V::load(&b[LANES..])));
        acc[2] = acc[2].add(f(V::load(&b[2 * LANES..])));
        acc[3] = acc[3].add(f(V::load(&b[3 * LANES..])));
    }
    let mut vectors = blocks.remainder().chunks_exact(LANES);
    let mut i = 0;
    for v in &mut vectors {
        acc[i] = acc[i].add(f(V::load(v)));
        i += 1;
    }
    let tail = vectors.remainder();
    if !tail.is_empty() {
        acc[i] = acc[i].add(f(V::load_partial(tail, fill)));
    }
    acc[0].add(acc[1]).add(acc[2].add(acc[3]))
}

/// Largest element (`-inf` for an empty row); a NaN may or may not win.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn max<V: Vector>(row: &[V::Elem]) -> V::Elem {
    reduce_max(max_vec::<V>(row))
}

/// [`max`] before its final horizontal maximum.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn max_vec<V: Vector>(row: &[V::Elem]) -> V {
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let mut acc = [ninf; 2];
    let mut blocks = row.chunks_exact(2 * LANES);
    for b in &mut blocks {
        acc[0] = V::load(&b[0..]).max(acc[0]);
        acc[1] = V::load(&b[LANES..]).max(acc[1]);
    }
    let rest = blocks.remainder();
    if rest.len() >= LANES {
        acc[0] = V::load(rest).max(acc[0]);
        acc[1] = V::load_partial(&rest[LANES..], V::Elem::NEG_INFINITY).max(acc[1]);
    } else {
        acc[0] = V::load_partial(rest, V::Elem::NEG_INFINITY).max(acc[0]);
    }
    acc[0].max(acc[1])
}

/// `row[k] = f(row[k])` for every element.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn map_in_place<V: Vector>(row: &mut [V::Elem], f: impl Fn(V) -> V) {
    let mut vectors = row.chunks_exact_mut(LANES);
    for v in &mut vectors {
        f(V::load(v)).store(v);
    }
    let tail = vectors.into_remainder();
    if !tail.is_empty() {
        f(V::load_partial(tail, V::Elem::ZERO)).store_partial(tail);
    }
}

/// `out[k] = f(src[k])` for every element; `out` as long as `src`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn map_into<V: Vector>(src: &[V::Elem], out: &mut [V::Elem], f: impl Fn(V) -> V) {
    let out = &mut out[..src.len()];
    let mut outs = out.chunks_exact_mut(LANES);
    let mut ins = src.chunks_exact(LANES);
    for (o, i) in (&mut outs).zip(&mut ins) {
        f(V::load(i)).store(o);
    }
    let (o, i) = (outs.into_remainder(), ins.remainder());
    if !i.is_empty() {
        f(V::load_partial(i, V::Elem::ZERO)).store_partial(o);
    }
}

/// `out[k] = f(src[k])` and returns the fixed-order sum of the stored values;
/// `f(fill)` must be 0.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn map_into_sum<V: Vector>(
    src: &[V::Elem],
    out: &mut [V::Elem],
    fill: V::Elem,
    f: impl Fn(V) -> V,
) -> V::Elem {
    let out = &mut out[..src.len()];
    let [s] = blocked::<V, 1>(
        src.len(),
        #[inline(always)]
        |r| [flat_map_into_sum(&src[r.clone()], &mut out[r], fill, &f)],
    );
    s.reduce_add()
}

/// [`map_into_sum`] of one block, before the horizontal sum.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn flat_map_into_sum<V: Vector>(
    src: &[V::Elem],
    out: &mut [V::Elem],
    fill: V::Elem,
    f: &impl Fn(V) -> V,
) -> V {
    let zero = V::splat(V::Elem::ZERO);
    let mut acc = [zero; 4];
    let n = src.len();
    let out = &mut out[..n];
    let full = n / (4 * LANES) * (4 * LANES);
    let mut k = 0;
    while k < full {
        for (j, a) in acc.iter_mut().enumerate() {
            let o = k + j * LANES;
            let y = f(V::load(&src[o..]));
            y.store(&mut out[o..]);
            *a = a.add(y);
        }
        k += 4 * LANES;
    }
    let mut i = 0;
    while k + LANES <= n {
        let y = f(V::load(&src[k..]));
        y.store(&mut out[k..]);
        acc[i] = acc[i].add(y);
        i += 1;
        k += LANES;
    }
    if k < n {
        let y = f(V::load_partial(&src[k..], fill));
        y.store_partial(&mut out[k..]);
        acc[i] = acc[i].add(y);
    }
    acc[0].add(acc[1]).add(acc[2].add(acc[3]))
}

/// `row[k] = f(row[k])` and returns the fixed-order lanewise sum of the new
/// values (the order of [`map_into_sum`]); `f(fill)` must be 0.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn map_in_place_sum_vec<V: Vector>(
    row: &mut [V::Elem],
    fill: V::Elem,
    f: impl Fn(V) -> V,
) -> V {
    let [s] = blocked::<V, 1>(
        row.len(),
        #[inline(always)]
        |r| [flat_map_in_place_sum_vec(&mut row[r], fill, &f)],
    );
    s
}

/// [`map_in_place_sum_vec`] of one block.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn flat_map_in_place_sum_vec<V: Vector>(
    row: &mut [V::Elem],
    fill: V::Elem,
    f: &impl Fn(V) -> V,
) -> V {
    let zero = V::splat(V::Elem::ZERO);
    let mut acc = [zero; 4];
    let n = row.len();
    let full = n / (4 * LANES) * (4 * LANES);
    let mut k = 0;
    while k < full {
        for (j, a) in acc.iter_mut().enumerate() {
            let o = k + j * LANES;
            let y = f(V::load(&row[o..]));
            y.store(&mut row[o..]);
            *a = a.add(y);
        }
        k += 4 * LANES;
    }
    let mut i = 0;
    while k + LANES <= n {
        let y = f(V::load(&row[k..]));
        y.store(&mut row[k..]);
        acc[i] = acc[i].add(y);
        i += 1;
        k += LANES;
    }
    if k < n {
        let y = f(V::load_partial(&row[k..], fill));
        y.store_partial(&mut row[k..]);
        acc[i] = acc[i].add(y);
    }
    acc[0].add(acc[1]).add(acc[2].add(acc[3]))
}

/// `ln x` of one number with the backend's vector code (lane 0), so scalar
/// steps of a kernel round exactly as its vector steps do.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn ln_scalar<V: Vector>(x: V::Elem) -> V::Elem {
    V::Elem::ln_v(V::splat(x)).to_array()[0]
}
