//! Categorical sampling: one index per row, drawn from `softmax(l / T)`
//! (optionally restricted to the `k` largest logits) by an exponential race
//! that evaluates no transcendental function for almost every category.
//!
//! ```text
//! noise     V_i uniform in (0, 1), from the row's stream (crate::rng):
//!             f64: (k + 1/2) 2^-52, the f64 uniform of the samplers
//!             f32: (k + h) 2^-24, k the top 24 bits of the f32 stream's
//!                  32-bit word, h in (0, 1) from 52 further bits
//!                  (rng::refine_bits), drawn only for the categories
//!                  that reach the exact comparison; rounded to f32,
//!                  at most 1 - 2^-24
//!           E_i = -ln(1 - V_i)       Exp(1); log1p form, exact near V = 0
//!           L_i = ln E_i
//! index     argmax_i  l_i / T - L_i  = argmin_i E_i / p_i  (the race)
//! scan      in index order against the best j so far:
//!             i beats j  <=>  (l_i - l_j) (1/T)  >  L_i - L_j
//!           no shift by the row's maximum, so no pass before the race
//! filter    E >= V >= F >= 2^e  (F = Vector::uniform_floor, e its binary
//!           exponent) gives L_i >= e ln 2; per vector of 8:
//!             i cannot beat j  if  (l_i - l_j)/T + L_j + mu < e ln 2
//!           (mu = 2048 eps bounds every rounding); only a vector with a
//!           lane that may beat j computes V, E and L, exactly
//! T = 0     the first index of the largest logit (no noise)
//! top-k     candidates: the k largest logits, ties at the k-th value to
//!           the lowest indices, found from block maxima and a threshold
//!           buffer cut by selection (no sort of the row; [`top_k_row`]);
//!           the race runs over them, candidate r (in index order) taking
//!           the row's uniform r
//! log_prob  (l_i - m)/T - ln sum_c exp((l_c - m)/T), m the largest logit,
//!           c over the candidates (every unmasked category without top-k)
//! ```
//!
//! Why this is the categorical distribution: with `E_i` independent
//! `Exp(1)`, `P(argmin_i E_i / p_i = i) = p_i / sum p` exactly (the race
//! of exponential clocks with rates `p_i`), and `-ln E_i` is the Gumbel
//! noise of the Gumbel-max trick. The filter skips only categories whose
//! exact comparison would lose (see [`race_row`]), so the index is the
//! naive tournament's bit for bit (tested). The remaining departures are
//! the resolution of `V` (the element type's relative precision near 0, no
//! absolute grid: docs/SPEC.md, section 6) and the rounding of the
//! comparisons.
//!
//! Every row takes `vectors_per_row(K)` vectors of the stream (the layout
//! of the relaxed samplers), drawn or skipped, so rows stay independent.

use super::rowops::{ln_scalar, sum_map};
use crate::rng::{RowRng, refine_base, refine_bits, rows_per_block, vectors_per_row};
use crate::simd::{Kernel, LANES, Real, Vector, reduce_max, uniform_f64_from_bits};

/// The margin of the race's filter in units of `eps`: the filter's bound
/// leaves out rounding errors of at most about 300 eps (see [`race_row`]);
/// 2048 is almost seven times that.
const MARGIN_EPS: f64 = 2048.0;

/// `E = -ln(1 - v)` for `v` in `(0, 1)`, by Goldberg's `log1p`:
/// `w = 1 - v`, `E = v ln(w) / (w - 1)` (`w - 1` is exact), and `E = v`
/// where `w` rounds to 1. Relative error a few `eps` for every `v`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exponential<V: Vector>(v: V) -> V {
    let one = V::splat(V::Elem::ONE);
    let w = one.sub(v);
    let e = V::Elem::ln_normal_v(w).mul(v.div(w.sub(one)));
    V::select(w.eq(one), v, e)
}

/// Whether `T`'s race uniforms are refined below the stream's `2^-24`
/// (f32; f64 uniforms have `2^-52` resolution as drawn).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn refines<T: Real>() -> bool {
    T::EPSILON.to_f64() > 1e-10
}

/// The race's uniform `V` of element `element` of a row (refinement base
/// `base`) whose [`Vector::uniform_floor`] lane is `floor`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn race_uniform<T: Real>(floor: T, base: u64, element: usize) -> T {
    if !refines::<T>() {
        return floor;
    }
    let h = uniform_f64_from_bits(refine_bits(base, element as u64));
    let v = T::from_f64(floor.to_f64() + h * (1.0 / 16_777_216.0));
    let top = T::ONE - T::EPSILON * T::from_f64(0.5);
    if v < top { v } else { top }
}

/// `L = ln E` of the eight race uniforms of the vector at element `o`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn ln_exponentials<V: Vector>(floor: V, base: u64, o: usize) -> [V::Elem; LANES] {
    let f = floor.to_array();
    let mut v = f;
    for (lane, v) in v.iter_mut().enumerate() {
        *v = race_uniform(f[lane], base, o + lane);
    }
    V::Elem::ln_normal_v(exponential(V::load(&v))).to_array()
}

/// The best category of a race so far.
#[derive(Clone, Copy, Debug)]
struct Best<T> {
    /// Its logit (`-inf` before any).
    l: T,
    /// Its `ln E`.
    ln_e: T,
    /// Its index in the row (0 before any).
    index: usize,
}

/// What a row of a draw found: the index and whether the row breaks the
/// logits rules (a NaN or `+inf`, or no category above `-inf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drawn {
    /// The drawn index (0 for a row without an unmasked category).
    pub index: usize,
    /// The row holds a NaN or `+inf`, or only `-inf`.
    pub bad: bool,
}

/// Whether every lane of a vector of logits `l` with race-uniform lower
/// bounds `floor` loses to the best (logit `best_l`, `reach = L_best +
/// mu`): the filter of [`race_row`]. False also for a NaN or `+inf`
/// logit, which the exact path then flags. (`split_exponent` of an f32
/// floor of 0 reads the exponent field, `-127` on every backend: still a
/// lower bound, as `V >= 2^-77`.)
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn all_lose<V: Vector>(l: V, floor: V, best_l: V, reach: V, inv_t: V, ln2: V) -> bool {
    let d = l.sub(best_l).mul(inv_t);
    let (e, _) = V::split_exponent(floor);
    V::mask_all(d.add(reach).lt(e.mul(ln2)))
}

/// One race over `logits` (a row, or a row's top-k candidates) at `1/T =
/// inv_t`, drawing `vectors_per_row(logits.len())` vectors from `rng`;
/// `base` is the row's [`refine_base`].
///
/// The filter's bound. Let `d = fl(fl(l_i - l_j) inv_t)`, the same bits in
/// the filter and in the exact comparison `d > fl(L_i - L_j)`. `E >= V >=
/// F >= 2^e` gives `ln E >= e ln 2` (for `F = 0`, f32's `e = -127`, and
/// `V >= 2^-77`). The computed `L_i` is within about 40 eps of `ln E`
/// (log1p and ln, each a few eps relative, `|L| < 54`), and
/// `fl(L_i - L_j)`, `fl(d + R)`, `R = fl(L_j + mu)` and `fl(e ln 2)` each
/// round by at most 64 eps (all below 128 in size). So
/// `fl(d + R) < fl(e ln 2)` implies `d < fl(L_i - L_j)` whenever
/// `mu > ~300 eps`: such a category cannot beat `j`, and skipping it
/// changes nothing. A masked category has `d = -inf` (or NaN against the
/// initial best), never a winner.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn race_row<V: Vector>(
    logits: &[V::Elem],
    inv_t: V::Elem,
    rng: &mut V::Rng,
    base: u64,
) -> Drawn {
    let k = logits.len();
    let mu = V::Elem::EPSILON * V::Elem::from_f64(MARGIN_EPS);
    let ln2 = V::splat(V::Elem::from_f64(core::f64::consts::LN_2));
    let inv_tv = V::splat(inv_t);
    let mut bad = false;
    let mut best = Best {
        l: V::Elem::NEG_INFINITY,
        ln_e: V::Elem::ZERO,
        index: 0,
    };
    let (mut best_l, mut reach) = (V::splat(best.l), V::splat(mu));
    let full = k - k % LANES;
    let mut o = 0;
    while o < k {
        // The filter over whole vectors, in a loop of its own (no calls,
        // its state in registers) until a vector may hold a winner; then
        // the last, partial vector.
        let mut hit = None;
        while o < full {
            let l = V::load(&logits[o..]);
            let floor = V::uniform_floor(rng);
            if !all_lose(l, floor, best_l, reach, inv_tv, ln2) {
                hit = Some((l, floor));
                break;
            }
            o += LANES;
        }
        if hit.is_none() && o < k {
            let l = V::load_partial(&logits[o..], V::Elem::NEG_INFINITY);
            let floor = V::uniform_floor(rng);
            if !all_lose(l, floor, best_l, reach, inv_tv, ln2) {
                hit = Some((l, floor));
            }
        }
        let Some((l, floor)) = hit else {
            break;
        };
        // Some lane may beat the best: every lane, exactly, in order.
        let ln_e = ln_exponentials(floor, base, o);
        let ls = l.to_array();
        for lane in 0..LANES.min(k - o) {
            let x = ls[lane];
            bad |= x.is_nan() || x == V::Elem::INFINITY;
            let d = (x - best.l) * inv_t;
            if d > ln_e[lane] - best.ln_e {
                best = Best {
                    l: x,
                    ln_e: ln_e[lane],
                    index: o + lane,
                };
            }
        }
        best_l = V::splat(best.l);
        reach = V::splat(best.ln_e + mu);
        o += LANES;
    }
    Drawn {
        index: best.index,
        bad: bad || best.l == V::Elem::NEG_INFINITY,
    }
}

/// The race of [`race_row`] without its filter: every category's `V`, `E`
/// and `L`, compared in order. The oracle the filtered race must match bit
/// for bit (unit tests).
#[cfg(test)]
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn naive_race_row<V: Vector>(
    logits: &[V::Elem],
    inv_t: V::Elem,
    rng: &mut V::Rng,
    base: u64,
) -> usize {
    let mut best = Best {
        l: V::Elem::NEG_INFINITY,
        ln_e: V::Elem::ZERO,
        index: 0,
    };
    for (o, chunk) in logits.chunks(LANES).enumerate() {
        let ln_e = ln_exponentials(V::uniform_floor(rng), base, o * LANES);
        for (lane, &l) in chunk.iter().enumerate() {
            if (l - best.l) * inv_t > ln_e[lane] - best.ln_e {
                best = Best {
                    l,
                    ln_e: ln_e[lane],
                    index: o * LANES + lane,
                };
            }
        }
    }
    best.index
}

/// `T = 0`: the first index of the largest logit, and the row check.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn greedy_row<V: Vector>(logits: &[V::Elem]) -> Drawn {
    let zero = V::splat(V::Elem::ZERO);
    let inf = V::splat(V::Elem::INFINITY);
    let mut ok = V::splat(V::Elem::ONE);
    let mut m = V::splat(V::Elem::NEG_INFINITY);
    let mut o = 0;
    while o < logits.len() {
        let l = V::load_partial_or_full(&logits[o..], V::Elem::NEG_INFINITY);
        ok = V::select(l.lt(inf), ok, zero);
        // NaN lanes of `l` never replace `m`.
        m = l.max(m);
        o += LANES;
    }
    let m = reduce_max(m);
    let bad = ok.to_array().iter().any(|&x| x != V::Elem::ONE) || m == V::Elem::NEG_INFINITY;
    let index = if m == V::Elem::NEG_INFINITY {
        0
    } else {
        logits.iter().position(|&x| x == m).unwrap_or(0)
    };
    Drawn { index, bad }
}

/// The rank key of top-k: larger logit first, then lower index, as one
/// integer (the logit's bits, ordered as unsigned, above the complemented
/// index), so the selection compares integers. `-0` ranks as `+0` (they
/// tie, as logits); NaN never enters the buffer.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn rank_key<T: Real>(x: T, index: usize) -> u128 {
    let b = (x.to_f64() + 0.0).to_bits();
    let ordered = if b >> 63 == 1 { !b } else { b | 1 << 63 };
    (u128::from(ordered) << 64) | u128::from(!(index as u64))
}

/// The logit and index of a [`rank_key`].
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn unrank<T: Real>(key: u128) -> (T, usize) {
    let ordered = (key >> 64) as u64;
    let b = if ordered >> 63 == 1 {
        ordered & !(1 << 63)
    } else {
        !ordered
    };
    (T::from_f64(f64::from_bits(b)), !(key as u64) as usize)
}

/// Elements per block of [`top_k_row`]'s first pass.
const TOP_K_BLOCK: usize = 8 * LANES;

/// Scratch of [`top_k_row`], kept across the rows of a task.
#[derive(Default)]
pub struct TopKScratch<T> {
    /// Rank keys of the candidates kept so far.
    keys: Vec<u128>,
    /// The largest logit of each block.
    maxima: Vec<T>,
    /// A copy of `maxima` to select in.
    order: Vec<T>,
}

/// A value strictly below `x` and close to it (`-inf` stays `-inf`; `+inf`
/// gives the largest finite value).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn below<T: Real>(x: T) -> T {
    if x == T::NEG_INFINITY {
        return x;
    }
    if x.is_nan() || x == T::INFINITY {
        return T::MAX;
    }
    let a = if x < T::ZERO { -x } else { x };
    // At least one ulp of x (and of 1) below it.
    x - (a * T::EPSILON + T::EPSILON)
}

/// The `k_top` largest logits of a row (ties at the `k_top`-th value to
/// the lowest indices), in index order, into `index` and `logit` (each
/// `k_top` long). Returns `(restricted, bad)`: `restricted` is false when
/// at most `k_top` categories are above `-inf` (then nothing is written:
/// every unmasked category is a candidate); `bad` is the row check.
///
/// ```text
/// pass 1   per block of 64: its largest logit; the unmasked count; the check
///          theta = just below the k_top-th largest block maximum (k_top blocks
///          each hold a logit at least that large, so the top k_top are above)
/// pass 2   only the blocks whose maximum is above theta: a logit enters the
///          buffer if above theta; a full buffer (2 k_top + 8) is cut to its
///          k_top best by selection (linear), raising theta
/// ```
///
/// A logit equal to `theta` after a cut comes after the kept one of that
/// value (it has a larger index), so it never ranks in the top `k_top`. No
/// sort of the row; the second pass reads about `k_top` blocks.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn top_k_row<V: Vector>(
    logits: &[V::Elem],
    k_top: usize,
    scratch: &mut TopKScratch<V::Elem>,
    index: &mut [usize],
    logit: &mut [V::Elem],
) -> (bool, bool) {
    let k = logits.len();
    let zero = V::splat(V::Elem::ZERO);
    let one = V::splat(V::Elem::ONE);
    let ninf = V::splat(V::Elem::NEG_INFINITY);
    let inf = V::splat(V::Elem::INFINITY);
    let TopKScratch {
        keys,
        maxima,
        order,
    } = scratch;

    // Pass 1.
    maxima.clear();
    let mut bad = false;
    for block in logits.chunks(TOP_K_BLOCK) {
        let (mut m, mut ok) = (ninf, one);
        let mut vectors = block.chunks_exact(LANES);
        for v in &mut vectors {
            let l = V::load(v);
            // NaN lanes never replace `m`; the check catches them.
            m = l.max(m);
            ok = V::select(l.lt(inf), ok, zero);
        }
        let tail = vectors.remainder();
        if !tail.is_empty() {
            let l = V::load_partial(tail, V::Elem::NEG_INFINITY);
            m = l.max(m);
            ok = V::select(l.lt(inf), ok, zero);
        }
        maxima.push(reduce_max(m));
        bad |= !V::mask_all(ok.eq(one));
    }
    // More than k_top blocks with an unmasked category: more than k_top
    // unmasked. Otherwise count them (those blocks only).
    let occupied = maxima
        .iter()
        .filter(|&&m| m > V::Elem::NEG_INFINITY)
        .count();
    if occupied <= k_top {
        let mut unmasked = 0;
        for (b, &m) in maxima.iter().enumerate() {
            if m > V::Elem::NEG_INFINITY {
                let end = ((b + 1) * TOP_K_BLOCK).min(k);
                unmasked += logits[b * TOP_K_BLOCK..end]
                    .iter()
                    .filter(|&&x| x > V::Elem::NEG_INFINITY)
                    .count();
            }
        }
        if unmasked <= k_top {
            return (false, bad || unmasked == 0);
        }
    }
    let mut theta = V::Elem::NEG_INFINITY;
    if maxima.len() > k_top {
        order.clear();
        order.extend_from_slice(maxima);
        order.select_nth_unstable_by(k_top - 1, |a, b| b.to_f64().total_cmp(&a.to_f64()));
        theta = below(order[k_top - 1]);
    }

    // Pass 2 (twice only if pass 1's bound failed, which valid logits never do).
    let cap = 2 * k_top + LANES;
    for start_theta in [theta, V::Elem::NEG_INFINITY] {
        theta = start_theta;
        keys.clear();
        for (b, &bm) in maxima.iter().enumerate() {
            if bm <= theta {
                continue;
            }
            let end = ((b + 1) * TOP_K_BLOCK).min(k);
            let mut o = b * TOP_K_BLOCK;
            while o < end {
                let l = V::load_partial_or_full(&logits[o..end], V::Elem::NEG_INFINITY);
                if !V::mask_all(l.le(V::splat(theta))) {
                    for (lane, &x) in l.to_array().iter().enumerate().take(end - o) {
                        if x > theta {
                            keys.push(rank_key(x, o + lane));
                        }
                    }
                    if keys.len() >= cap {
                        // Largest keys first: the k_top best at the front.
                        keys.select_nth_unstable_by(k_top - 1, |a, b| b.cmp(a));
                        keys.truncate(k_top);
                        theta = unrank::<V::Elem>(keys[k_top - 1]).0;
                    }
                }
                o += LANES;
            }
        }
        if keys.len() >= k_top {
            break;
        }
    }
    if keys.len() > k_top {
        keys.select_nth_unstable_by(k_top - 1, |a, b| b.cmp(a));
        keys.truncate(k_top);
    }
    // Index order: the complemented index, descending.
    keys.sort_unstable_by_key(|&key| !(key as u64));
    for (j, &key) in keys.iter().enumerate() {
        (logit[j], index[j]) = unrank(key);
    }
    (true, bad)
}

/// `(m, ln sum_c exp((x_c - m) inv_t))` of the values `x` (`-inf` ignored),
/// `m = max x`: the shift and log-normaliser of `log_prob`. NaN for a
/// row without a finite maximum.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_normalizer<V: Vector>(x: &[V::Elem], inv_t: V::Elem) -> (V::Elem, V::Elem) {
    let m = super::rowops::max::<V>(x);
    if !m.is_finite() {
        return (m, V::Elem::NAN);
    }
    let (mv, tv) = (V::splat(m), V::splat(inv_t));
    let s = sum_map::<V>(
        x,
        V::Elem::NEG_INFINITY,
        #[inline(always)]
        |v| V::Elem::exp_v(v.sub(mv).mul(tv)),
    );
    (m, ln_scalar::<V>(s))
}

/// The temperature (or `1/T`) of parameter row `b`: one shared value, or
/// one per row.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn per_row<T: Copy>(values: &[T], b: usize) -> T {
    values[if values.len() == 1 { 0 } else { b }]
}

/// What the draws need of each parameter row, computed once for all its
/// samples: the top-k candidates and the log-normaliser. Row `r` of the
/// task is parameter row `first_row + r`.
pub struct CategoricalPrep<'a, T> {
    /// The task's parameter rows, `k` logits each.
    pub logits: &'a [T],
    /// Row length `K`.
    pub k: usize,
    /// `k_top < k`: find the top-k candidates; otherwise none.
    pub k_top: usize,
    /// Temperatures (1 or B); no log-normaliser where `T = 0`.
    pub temperature: &'a [T],
    /// `1/T` per parameter row (1 or B).
    pub inv_temperature: &'a [T],
    /// Parameter row of the task's first row.
    pub first_row: usize,
    /// Compute `shift` and `lse` (for `log_prob`).
    pub log_normalizer: bool,
    /// Per row: the candidate count (0: not restricted).
    pub count: &'a mut [usize],
    /// Per row: 1 if the row breaks the logits rules, else 0.
    pub flags: &'a mut [usize],
    /// Per row, `k_top` each: the candidates' indices, in index order.
    pub cand_index: &'a mut [usize],
    /// Per row, `k_top` each: the candidates' logits.
    pub cand_logit: &'a mut [T],
    /// Per row: the largest logit (of the candidates).
    pub shift: &'a mut [T],
    /// Per row: the log-normaliser.
    pub lse: &'a mut [T],
}

impl<T: Real> Kernel<T> for CategoricalPrep<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let restrict = self.k_top < k;
        let mut scratch = TopKScratch::default();
        for (r, row) in self.logits.chunks_exact(k).enumerate() {
            let b = self.first_row + r;
            let mut n = 0;
            if restrict {
                let kt = self.k_top;
                let (restricted, bad) = top_k_row::<V>(
                    row,
                    kt,
                    &mut scratch,
                    &mut self.cand_index[r * kt..(r + 1) * kt],
                    &mut self.cand_logit[r * kt..(r + 1) * kt],
                );
                n = if restricted { kt } else { 0 };
                self.count[r] = n;
                self.flags[r] = usize::from(bad);
            }
            if self.log_normalizer && per_row(self.temperature, b) != T::ZERO {
                let values = if n > 0 {
                    &self.cand_logit[r * self.k_top..r * self.k_top + n]
                } else {
                    row
                };
                let (m, lse) = log_normalizer::<V>(values, per_row(self.inv_temperature, b));
                self.shift[r] = m;
                self.lse[r] = lse;
                if !restrict && !lse.is_finite() {
                    self.flags[r] = 1;
                }
            }
        }
    }
}

/// Sample rows `first_row ..` of a categorical draw: row `j` from parameter
/// row `j % B` and stream index `stream_offset + j`.
pub struct CategoricalRows<'a, T> {
    /// The logits, `B x k`.
    pub logits: &'a [T],
    /// Row length `K`.
    pub k: usize,
    /// Temperatures (1 or B); `T = 0` rows are greedy.
    pub temperature: &'a [T],
    /// `1/T` (1 or B).
    pub inv_temperature: &'a [T],
    /// The candidate stride of the prep arrays (`k_top`).
    pub k_top: usize,
    /// Per parameter row: candidate count (0: the whole row); empty
    /// without top-k.
    pub count: &'a [usize],
    /// Per parameter row: candidate indices (`k_top` each).
    pub cand_index: &'a [usize],
    /// Per parameter row: candidate logits (`k_top` each).
    pub cand_logit: &'a [T],
    /// Per parameter row: the `log_prob` shift; empty without `log_prob`.
    pub shift: &'a [T],
    /// Per parameter row: the log-normaliser; empty without `log_prob`.
    pub lse: &'a [T],
    /// The seed.
    pub seed: u64,
    /// Stream index of sample row 0.
    pub stream_offset: u64,
    /// Sample-row index of the task's first row.
    pub first_row: usize,
    /// One index per task row.
    pub out: &'a mut [i64],
    /// One log-probability per task row; empty when not wanted.
    pub log_prob: &'a mut [T],
    /// Per task row: 1 if its parameter row broke the logits rules.
    pub flags: &'a mut [usize],
}

impl<T: Real> Kernel<T> for CategoricalRows<'_, T> {
    type Output = ();
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        // One generator step per wide vector: the f64 stream's layout.
        let mut rng = RowRng::<V::Rng>::new(self.seed, first_stream_row, k, T::STEPS_PER_DRAW);
        let shares_blocks = rows_per_block(k) > 1;
        let row_vectors = vectors_per_row(k);
        let mut b = self.first_row % batch_rows;
        for r in 0..self.out.len() {
            let lanes = rng.next_row();
            let base = refine_base(self.seed, first_stream_row.wrapping_add(r as u64));
            let row = &self.logits[b * k..(b + 1) * k];
            let t = per_row(self.temperature, b);
            let inv_t = per_row(self.inv_temperature, b);
            let n = self.count.get(b).copied().unwrap_or(0);
            let (drawn, used) = if t == T::ZERO {
                (greedy_row::<V>(row), 0)
            } else if n > 0 {
                let c = b * self.k_top;
                let d = race_row::<V>(&self.cand_logit[c..c + n], inv_t, lanes, base);
                let index = self.cand_index[c + d.index];
                (Drawn { index, bad: false }, vectors_per_row(n))
            } else {
                (race_row::<V>(row, inv_t, lanes, base), row_vectors)
            };
            if shares_blocks {
                // The next row of this block starts where this row's
                // vectors end (rows of fewer than BLOCK_ELEMENTS only).
                for _ in used..row_vectors {
                    V::uniform_floor(lanes);
                }
            }
            self.out[r] = drawn.index as i64;
            self.flags[r] = usize::from(drawn.bad);
            if !self.log_prob.is_empty() {
                self.log_prob[r] = if t == T::ZERO {
                    T::ZERO
                } else {
                    (row[drawn.index] - self.shift[b]) * inv_t - self.lse[b]
                };
            }
            b = if b + 1 == batch_rows { 0 } else { b + 1 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::dispatch::dispatch;
    use crate::simd::{Backend, Kernel, Real, Vector};

    /// Deterministic test logits (xorshift, about standard normal times
    /// `scale`), with every `mask_every`-th category masked.
    fn logits(n: usize, seed: u64, scale: f64, mask_every: usize) -> Vec<f64> {
        let mut s = seed | 1;
        (0..n)
            .map(|i| {
                let mut u = 0.0;
                for _ in 0..4 {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    u += (s >> 11) as f64 / (1u64 << 53) as f64;
                }
                if mask_every > 0 && i % mask_every == mask_every - 1 {
                    f64::NEG_INFINITY
                } else {
                    (u - 2.0) * 1.7 * scale
                }
            })
            .collect()
    }

    /// Runs the filtered and the naive race on `rows` streams of `k`
    /// categories and returns both index lists.
    struct Races<'a, T> {
        logits: &'a [T],
        inv_t: T,
        rows: usize,
    }

    impl<T: Real> Kernel<T> for Races<'_, T> {
        type Output = (Vec<usize>, Vec<usize>, Vec<bool>);
        #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
        fn run<V: Vector<Elem = T>>(self) -> Self::Output {
            let k = self.logits.len();
            let mut a = RowRng::<V::Rng>::new(7, 3, k, T::STEPS_PER_DRAW);
            let mut b = RowRng::<V::Rng>::new(7, 3, k, T::STEPS_PER_DRAW);
            let (mut fast, mut naive, mut bad) = (vec![], vec![], vec![]);
            for r in 0..self.rows {
                let base = refine_base(7, 3 + r as u64);
                let d = race_row::<V>(self.logits, self.inv_t, a.next_row(), base);
                fast.push(d.index);
                bad.push(d.bad);
                naive.push(naive_race_row::<V>(
                    self.logits,
                    self.inv_t,
                    b.next_row(),
                    base,
                ));
            }
            (fast, naive, bad)
        }
    }

    fn filtered_race_is_the_naive_race<T: Real>() {
        // Every shape and setting in both profiles; an unoptimised build
        // (the test command's `cargo test --lib`) races fewer rows of each,
        // the release run (.ci/run) all 300.
        let rows = if cfg!(debug_assertions) { 24 } else { 300 };
        for &k in &[1usize, 2, 7, 8, 9, 31, 100, 1000, 5000] {
            for &(scale, t, mask) in &[
                (1.0, 1.0, 0),
                (3.0, 0.5, 5),
                (0.01, 2.0, 0),
                (30.0, 0.05, 3),
                (1.0, 1e-30, 0),
                (1e3, 1e3, 2),
            ] {
                let l: Vec<T> = logits(k, k as u64 + 11, scale, mask)
                    .into_iter()
                    .map(T::from_f64)
                    .collect();
                let mut l = l;
                if mask > 0 {
                    // Keep at least one category.
                    l[0] = T::ZERO;
                }
                let inv_t = (T::ONE / T::from_f64(t)).min_finite();
                for backend in Backend::available() {
                    let (fast, naive, bad) = dispatch(
                        backend,
                        Races {
                            logits: &l,
                            inv_t,
                            rows,
                        },
                    );
                    assert_eq!(
                        fast,
                        naive,
                        "{backend:?} {} k={k} scale={scale} t={t}",
                        T::NAME
                    );
                    assert!(bad.iter().all(|b| !b));
                    for &i in &fast {
                        assert!(l[i] > T::NEG_INFINITY, "masked category {i} drawn");
                    }
                }
            }
        }
    }

    #[test]
    fn filtered_race_is_the_naive_race_f32() {
        filtered_race_is_the_naive_race::<f32>();
    }

    #[test]
    fn filtered_race_is_the_naive_race_f64() {
        filtered_race_is_the_naive_race::<f64>();
    }

    /// `exponential` against `-ln_1p(-v)` in f64, over every binade the
    /// wide uniforms reach.
    #[test]
    fn exponential_is_accurate() {
        struct Run<'a>(&'a [f32], &'a mut [f32]);
        impl Kernel<f32> for Run<'_> {
            type Output = ();
            #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
            fn run<V: Vector<Elem = f32>>(self) {
                for (x, o) in self.0.chunks(LANES).zip(self.1.chunks_mut(LANES)) {
                    exponential(V::load(x)).store(o);
                }
            }
        }
        let mut v: Vec<f32> = Vec::new();
        let mut x = 1.0f32 - f32::EPSILON / 2.0;
        while x > 1e-16 {
            v.push(x);
            v.push(x * 0.999_97);
            x *= 0.9;
        }
        while !v.len().is_multiple_of(LANES) {
            v.push(0.5);
        }
        let mut out = vec![0.0f32; v.len()];
        dispatch(Backend::Scalar, Run(&v, &mut out));
        for (&v, &e) in v.iter().zip(&out) {
            let want = -(-(v as f64)).ln_1p();
            let rel = ((e as f64) - want).abs() / want;
            assert!(
                rel < 4.0 * f32::EPSILON as f64,
                "v={v:e}: {e:e} vs {want:e}"
            );
            assert!(e as f64 >= (v as f64) * (1.0 - 4.0 * f32::EPSILON as f64));
        }
    }

    struct TopK<'a, T> {
        logits: &'a [T],
        k_top: usize,
    }

    impl<T: Real> Kernel<T> for TopK<'_, T> {
        type Output = Option<Vec<usize>>;
        #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
        fn run<V: Vector<Elem = T>>(self) -> Self::Output {
            let mut scratch = TopKScratch::default();
            let mut index = vec![0; self.k_top];
            let mut logit = vec![T::ZERO; self.k_top];
            let (restricted, bad) = top_k_row::<V>(
                self.logits,
                self.k_top,
                &mut scratch,
                &mut index,
                &mut logit,
            );
            assert!(!bad);
            for (&i, &l) in index.iter().zip(&logit) {
                if restricted {
                    assert_eq!(self.logits[i].to_f64(), l.to_f64());
                }
            }
            restricted.then_some(index)
        }
    }

    /// Top-k against a full sort by (logit descending, index ascending),
    /// with many ties at the threshold.
    #[test]
    fn top_k_is_the_k_largest_with_lowest_indices_on_ties() {
        for &n in &[1usize, 5, 8, 9, 64, 1000, 10_000] {
            for &levels in &[3usize, 17, 1_000_000] {
                let l: Vec<f32> = logits(n, n as u64 * 3 + levels as u64, 1.0, 7)
                    .into_iter()
                    .map(|x| {
                        if x.is_finite() {
                            ((x * 4.0).round() as i64 % levels as i64) as f32
                        } else {
                            f32::NEG_INFINITY
                        }
                    })
                    .collect();
                let unmasked = l.iter().filter(|x| x.is_finite()).count();
                for &kt in &[1usize, 2, 3, 10, 100, 4999] {
                    let mut order: Vec<usize> = (0..n).filter(|&i| l[i].is_finite()).collect();
                    order.sort_by(|&a, &b| l[b].total_cmp(&l[a]).then(a.cmp(&b)));
                    let mut want: Vec<usize> = order.into_iter().take(kt).collect();
                    want.sort_unstable();
                    for backend in Backend::available() {
                        let got = dispatch(
                            backend,
                            TopK {
                                logits: &l,
                                k_top: kt,
                            },
                        );
                        if unmasked <= kt {
                            assert_eq!(got, None, "n={n} kt={kt}");
                        } else {
                            assert_eq!(
                                got.as_deref(),
                                Some(&want[..]),
                                "n={n} kt={kt} levels={levels}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// `exp(x) < 1` for every f32 `x <= -2^-22`, the property the hard
    /// index relies on (kernels::hard_index): swept over every float of
    /// `[-2^-10, -2^-22]` (below that `exp` is at least 2^13 ulps from 1).
    /// The release run (.ci/run's `cargo test --release --lib`) sweeps all
    /// 10^8 of them; an unoptimised build, where it would take a minute,
    /// every 64th, and every float of the binade next to -2^-22, where
    /// `exp` is closest to 1.
    #[test]
    fn exp_is_below_one_away_from_zero() {
        struct Max<'a>(&'a [f32]);
        impl Kernel<f32> for Max<'_> {
            type Output = f32;
            #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
            fn run<V: Vector<Elem = f32>>(self) -> f32 {
                let mut m = V::splat(0.0);
                for x in self.0.chunks_exact(LANES) {
                    m = f32::exp_v(V::load(x)).max(m);
                }
                reduce_max(m)
            }
        }
        let lo = (-(2f32.powi(-10))).to_bits();
        let hi = (-(2f32.powi(-22))).to_bits();
        // Negative floats: larger bit patterns are more negative.
        let stride = if cfg!(debug_assertions) { 64 } else { 1 };
        let nearest = (-(2f32.powi(-21))).to_bits();
        let xs: Vec<f32> = (hi..=nearest)
            .chain((nearest + 1..=lo).step_by(stride))
            .map(f32::from_bits)
            .collect();
        let xs = &xs[..xs.len() / LANES * LANES];
        let m = dispatch(Backend::default_choice(), Max(xs));
        assert!(m < 1.0, "exp reaches 1 below -2^-22: max {m}");
        let m = dispatch(Backend::Scalar, Max(xs));
        assert!(m < 1.0);
    }
}
