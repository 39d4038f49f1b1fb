//! Vector-Jacobian products: the row kernels of the backward passes.
//!
//! Per row, `l` the normalised logits, `t` the temperature, `K'` the number
//! of unmasked categories (`l > -inf`):
//!
//! ```text
//! rsample   z = (l + g)/t,  y = softmax(z),  x = ln y = z - logsumexp(z)
//!   upstream ybar:  d = <ybar, y>;  r = sum_k y_k (ybar_k - d)
//!                   zbar = y ((ybar - d) - r)
//!   upstream xbar:  S = sum_unmasked xbar         zbar = xbar - y S  (masked: 0)
//!   lbar = zbar / t        tbar = -(1/t) sum_k zbar_k x_k
//!   (terms with x_k = -inf are 0: zbar_k is 0 there, and 0 * -inf is not
//!    formed; sum zbar = 0 makes the shift of x against z immaterial)
//! log_prob  ly = ln y (or the log-space value x), upstream pbar:
//!   s = l - t ly (masked: -inf);  M = max s;  e = exp(s - M);  E = sum e
//!   lp   = C + sum_unmasked (s - M) - [sum_unmasked ly] - K' ln E
//!   w = e / E;   q = K' w - 1
//!   lbar = -pbar q                    ybar = pbar (t q - 1) / y
//!   tbar = pbar ((K'-1)/t + sum q (ly - mean ly))      xbar = pbar t q
//!   masked categories: 0 in every gradient; a value outside the support
//!   (lp = -inf) contributes 0
//! probs     lbar -> pbar_k = lbar_k / p_k - (sum_j lbar_j) / (sum_j p_j)
//!           (p_k = 0, a masked category: 0)
//! ```
//!
//! The refinement `r` (mathematically 0, as `sum y = 1`) is one step of
//! iterative refinement of `d`: when `y` is nearly one-hot (`y_p = 1 - e`,
//! low temperatures) every `zbar_k` is tiny (~`e`) while `ybar_p - d`
//! holds the rounding error of `d` (~`eps |ybar|`, far larger), so the
//! plain `y (ybar - d)` gets `zbar_p` wrong by orders of magnitude and the
//! row no longer sums to 0. `r` measures that error along `y`, and
//! `(ybar - d) - r` removes it (`sum zbar` becomes `r (1 - sum y)`).
//!
//! The `tbar` of `log_prob` is docs/SPEC.md's `(K'-1)/t - sum ly + K' sum w ly`
//! regrouped as `sum (K' w - 1) ly`; as the coefficients sum to 0, `ly` is
//! shifted by its mean, which shrinks the terms: two large sums never
//! cancel, and f32 loses about 20 times less than with `ly` as it is. (The
//! score still sums `K` terms of mean 0 to a result of order `sqrt K`, so
//! its relative error grows like `eps sqrt K`.) Every sum has one fixed order
//! ([`sum_vectors`], the order of `rowops`), so every backend gives the
//! same bits. The functions here return lanewise sums; the batch kernels
//! reduce eight rows at once with `reduce_add8` (bit for bit the same as
//! reducing each row).

use super::density::scores;
use super::rowops::{add, blocked};
use crate::simd::{LANES, Real, Vector};

/// The sample a backward pass differentiates, in the form(s) at hand
/// (re-exported as `relaxcat::SampleForm`).
///
/// Rows are `S x B` (sample row `i` from parameter row `i % B`), as the
/// samplers write them from row 0. With both forms no transcendental
/// function is evaluated in the backward pass; with one, the other is
/// recomputed (`x = ln y`, exact except where `y` underflowed, whose terms
/// vanish; or `y = exp x`). The batch kernels take the form as two
/// const-generic flags, `SOFT` (`y` given) and `LOG` (`x` given), since
/// stable Rust has no enum const parameters.
#[derive(Clone, Copy, Debug)]
pub enum SampleForm<'a, T> {
    /// The relaxed sample `y` (for a hard sample: its soft sample).
    Soft(&'a [T]),
    /// The log-space sample `x = ln y`.
    Log(&'a [T]),
    /// Both, as [`Draw::SoftWithLog`](crate::Draw::SoftWithLog)
    /// and [`Draw::HardWithLog`](crate::Draw::HardWithLog)
    /// write them.
    Both {
        /// `y`.
        soft: &'a [T],
        /// `x = ln y`.
        log: &'a [T],
    },
}

impl<'a, T> SampleForm<'a, T> {
    /// `(y, x)`, each empty where that form is not given.
    pub(crate) fn slices(self) -> (&'a [T], &'a [T]) {
        match self {
            SampleForm::Soft(y) => (y, &[]),
            SampleForm::Log(x) => (&[], x),
            SampleForm::Both { soft, log } => (soft, log),
        }
    }
}

/// Lanes `src[o..o+n]` (`n <= 8`), `fill` above.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn load_n<V: Vector>(src: &[V::Elem], o: usize, n: usize, fill: V::Elem) -> V {
    if n == LANES {
        V::load(&src[o..])
    } else {
        V::load_partial(&src[o..o + n], fill)
    }
}

/// Writes lanes `0..n` to `dst[o..o+n]`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn store_n<V: Vector>(v: V, dst: &mut [V::Elem], o: usize, n: usize) {
    if n == LANES {
        v.store(&mut dst[o..])
    } else {
        v.store_partial(&mut dst[o..o + n])
    }
}

/// `f(o, n)` summed over the vectors of a row of `k` (offset `o`, `n`
/// lanes present), lanewise, in the fixed order of `rowops::sum_map_vec`:
/// per block of `rowops::SUM_BLOCK`, four accumulators over blocks of 32,
/// the rest in turn, then `(a0 + a1) + (a2 + a3)`; the block sums up `rowops::blocked`'s tree.
/// `f` must return 0 in lanes `>= n`. Several sums are carried at once
/// (`N`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn sum_vectors<V: Vector, const N: usize>(
    k: usize,
    mut f: impl FnMut(usize, usize) -> [V; N],
) -> [V; N] {
    blocked::<V, N>(
        k,
        #[inline(always)]
        |r| {
            flat_sum_vectors(
                r.len(),
                #[inline(always)]
                |o, n| f(r.start + o, n),
            )
        },
    )
}

/// [`sum_vectors`] of one block of `k` elements.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn flat_sum_vectors<V: Vector, const N: usize>(
    k: usize,
    mut f: impl FnMut(usize, usize) -> [V; N],
) -> [V; N] {
    let zero = V::splat(V::Elem::ZERO);
    let mut acc = [[zero; N]; 4];
    let full = k / (4 * LANES) * (4 * LANES);
    let mut o = 0;
    while o < full {
        add(&mut acc[0], f(o, LANES));
        add(&mut acc[1], f(o + LANES, LANES));
        add(&mut acc[2], f(o + 2 * LANES, LANES));
        add(&mut acc[3], f(o + 3 * LANES, LANES));
        o += 4 * LANES;
    }
    let mut i = 0;
    while o + LANES <= k {
        add(&mut acc[i], f(o, LANES));
        i += 1;
        o += LANES;
    }
    if o < k {
        add(&mut acc[i], f(o, k - o));
    }
    // A plain loop: `core::array::from_fn` is not always inlined, and a
    // closure compiled outside the `#[target_feature]` entry point turns
    // every intrinsic into a call.
    let mut out = [zero; N];
    for (j, o) in out.iter_mut().enumerate() {
        *o = acc[0][j].add(acc[1][j]).add(acc[2][j].add(acc[3][j]));
    }
    out
}

/// Pass 2 of the fused sampler: `soft = exp(z - m)` from `z` (unchanged);
/// returns the lanewise sum (the order of `sample::exp_shift_row`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exp_shift_into<V: Vector>(z: &[V::Elem], soft: &mut [V::Elem], m: V::Elem) -> V {
    let k = z.len();
    let m = V::splat(m);
    let ninf = V::Elem::NEG_INFINITY;
    let [s] = sum_vectors::<V, 1>(
        k,
        #[inline(always)]
        |o, n| {
            let e = V::Elem::exp_v(load_n::<V>(z, o, n, ninf).sub(m));
            store_n(e, soft, o, n);
            [e]
        },
    );
    s
}

/// Pass 1 of the rsample backward pass over one row of `k`: with an
/// upstream gradient w.r.t. `y` (`LOG_COT = false`) the lanewise sum of
/// `grad * y`, w.r.t. `x` (`LOG_COT = true`) that of `grad` over unmasked
/// categories. When only one form is given (`y` for `SOFT`, `x` for
/// `LOG`), the other is written to `derived`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn rsample_backward_pass1<V: Vector, const LOG_COT: bool, const SOFT: bool, const LOG: bool>(
    soft: &[V::Elem],
    log: &[V::Elem],
    grad: &[V::Elem],
    derived: &mut [V::Elem],
    k: usize,
) -> V {
    let zero_s = V::Elem::ZERO;
    let ninf_s = V::Elem::NEG_INFINITY;
    let zero = V::splat(zero_s);
    let ninf = V::splat(ninf_s);
    let [sum] = sum_vectors::<V, 1>(
        k,
        #[inline(always)]
        |o, n| {
            let g = load_n::<V>(grad, o, n, zero_s);
            let (y, x) = match (SOFT, LOG) {
                (true, false) => {
                    let y = load_n::<V>(soft, o, n, zero_s);
                    let x = V::Elem::ln_v(y);
                    store_n(x, derived, o, n);
                    (y, x)
                }
                (false, true) => {
                    let x = load_n::<V>(log, o, n, ninf_s);
                    let y = V::Elem::exp_v(x);
                    store_n(y, derived, o, n);
                    (y, x)
                }
                _ if LOG_COT => (zero, load_n::<V>(log, o, n, ninf_s)),
                _ => (load_n::<V>(soft, o, n, zero_s), zero),
            };
            if LOG_COT {
                [V::select(x.eq(ninf), zero, g)]
            } else {
                [g.mul(y)]
            }
        },
    );
    sum
}

/// The refinement pass of the soft-cotangent backward pass: the lanewise
/// sum of `y (grad - d)`, `d` pass 1's reduced sum. It is the rounding
/// error of `zbar` along `y` (exactly 0 would mean `sum zbar = 0`); pass 2
/// subtracts it inside the bracket.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn rsample_backward_refine<V: Vector>(
    soft: &[V::Elem],
    grad: &[V::Elem],
    d: V::Elem,
    k: usize,
) -> V {
    let zero_s = V::Elem::ZERO;
    let dv = V::splat(d);
    let [sum] = sum_vectors::<V, 1>(
        k,
        #[inline(always)]
        |o, n| [load_n::<V>(soft, o, n, zero_s).mul(load_n::<V>(grad, o, n, zero_s).sub(dv))],
    );
    sum
}

/// Pass 2 of the rsample backward pass over one row of `k`, given both
/// forms `soft` (`y`) and `log` (`x`), pass 1's reduced sum `c` and (soft
/// cotangent) the refinement's reduced sum `r`:
/// `zbar = y ((grad - c) - r)`, or `grad - y c` (masked: 0) for the log
/// cotangent; `lbar = zbar / t` into `grad_logits` (added to it if
/// `accumulate`; skipped if it is empty); returns the lanewise
/// `sum zbar x` (masked terms 0).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
pub fn rsample_backward_pass2<V: Vector, const LOG_COT: bool>(
    soft: &[V::Elem],
    log: &[V::Elem],
    grad: &[V::Elem],
    c: V::Elem,
    r: V::Elem,
    inv_t: V::Elem,
    grad_logits: &mut [V::Elem],
    accumulate: bool,
    k: usize,
) -> V {
    let zero_s = V::Elem::ZERO;
    let ninf_s = V::Elem::NEG_INFINITY;
    let zero = V::splat(zero_s);
    let ninf = V::splat(ninf_s);
    let cv = V::splat(c);
    let rv = V::splat(r);
    let neg_c = V::splat(-c);
    let inv_t = V::splat(inv_t);
    let want_l = !grad_logits.is_empty();
    let [sum] = sum_vectors::<V, 1>(
        k,
        #[inline(always)]
        |o, n| {
            let y = load_n::<V>(soft, o, n, zero_s);
            let x = load_n::<V>(log, o, n, ninf_s);
            let g = load_n::<V>(grad, o, n, zero_s);
            let masked = x.eq(ninf);
            let zbar = if LOG_COT {
                V::select(masked, zero, y.mul_add(neg_c, g))
            } else {
                y.mul(g.sub(cv).sub(rv))
            };
            if want_l {
                let lbar = zbar.mul(inv_t);
                let lbar = if accumulate {
                    load_n::<V>(grad_logits, o, n, zero_s).add(lbar)
                } else {
                    lbar
                };
                store_n(lbar, grad_logits, o, n);
            }
            [V::select(masked, zero, zbar.mul(x))]
        },
    );
    sum
}

/// Lanewise results of [`log_prob_pass_a`].
#[derive(Clone, Copy)]
pub struct LogProbPassA<V> {
    /// Max of `s` (masked: `-inf`; a zero on an unmasked category: `+inf`).
    pub s_max: V,
    /// Sum of `ly` (`ln y`, or `x`) over unmasked categories.
    pub ly_sum: V,
    /// Count of the lanes that make the row `-inf` (see
    /// [`scores`](super::density::scores)).
    pub ninf_terms: V,
}

/// Pass A of the log-density backward pass over one row: `s = l - t ly`
/// into `s_buf` and (simplex values) `ly` into `ly_buf`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_prob_pass_a<V: Vector, const LOG_SPACE: bool>(
    logits: &[V::Elem],
    shift: V::Elem,
    t: V::Elem,
    value: &[V::Elem],
    s_buf: &mut [V::Elem],
    ly_buf: &mut [V::Elem],
) -> LogProbPassA<V> {
    let k = logits.len();
    let zero_s = V::Elem::ZERO;
    let ninf_s = V::Elem::NEG_INFINITY;
    let zero = V::splat(zero_s);
    let ninf = V::splat(ninf_s);
    let neg_t = V::splat(-t);
    let shift = V::splat(shift);
    let value_fill = if LOG_SPACE { ninf_s } else { zero_s };
    let mut s_max = ninf;
    let [ly_sum, ninf_terms] = sum_vectors::<V, 2>(
        k,
        #[inline(always)]
        |o, n| {
            let l = load_n::<V>(logits, o, n, ninf_s);
            let v = load_n::<V>(value, o, n, value_fill);
            let masked = l.eq(ninf);
            let ly = if LOG_SPACE { v } else { V::Elem::ln_v(v) };
            let is_zero = if LOG_SPACE { v.eq(ninf) } else { v.eq(zero) };
            let (s, ninf_term) = scores(l, shift, ly, is_zero, neg_t);
            store_n(s, s_buf, o, n);
            s_max = s.max(s_max);
            if !LOG_SPACE {
                store_n(ly, ly_buf, o, n);
            }
            [V::select(masked, zero, ly), ninf_term]
        },
    );
    LogProbPassA {
        s_max,
        ly_sum,
        ninf_terms,
    }
}

/// Pass B over `s_buf` (row of `k`, max `m` finite): `e = exp(s - m)` in
/// place; returns the lanewise `[sum e, sum_unmasked (s - m)]`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn log_prob_pass_b<V: Vector>(s_buf: &mut [V::Elem], k: usize, m: V::Elem) -> [V; 2] {
    let ninf_s = V::Elem::NEG_INFINITY;
    let zero = V::splat(V::Elem::ZERO);
    let ninf = V::splat(ninf_s);
    let mv = V::splat(m);
    sum_vectors::<V, 2>(
        k,
        #[inline(always)]
        |o, n| {
            let s = load_n::<V>(s_buf, o, n, ninf_s);
            let d = s.sub(mv);
            let e = V::Elem::exp_v(d);
            store_n(e, s_buf, o, n);
            [e, V::select(s.eq(ninf), zero, d)]
        },
    )
}

/// The per-row constants of [`log_prob_pass_c`].
#[derive(Clone, Copy)]
pub struct LogProbRowScalars<T> {
    /// `1 / E`.
    pub inv_e: T,
    /// `K'`.
    pub unmasked: T,
    /// The temperature `t`.
    pub t: T,
    /// The upstream gradient `pbar` of the row.
    pub grad: T,
    /// The mean of `ly` over unmasked categories: `sum q ly` is summed as
    /// `sum q (ly - center)` (equal, as `sum q = 0`), whose terms are
    /// smaller, so less is lost to rounding.
    pub center: T,
}

/// Pass C over one row whose `e` is in `e_buf`: `lbar = -pbar q` into
/// `grad_logits` (added if `accumulate`; skipped if empty), the value
/// gradient into `grad_value` (skipped if empty); returns the lanewise sum
/// of `q (ly - center)` over unmasked categories, `q = K' e / E - 1`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
pub fn log_prob_pass_c<V: Vector, const LOG_SPACE: bool>(
    logits: &[V::Elem],
    value: &[V::Elem],
    e_buf: &[V::Elem],
    ly_buf: &[V::Elem],
    c: LogProbRowScalars<V::Elem>,
    grad_logits: &mut [V::Elem],
    accumulate: bool,
    grad_value: &mut [V::Elem],
) -> V {
    let k = logits.len();
    let zero_s = V::Elem::ZERO;
    let ninf_s = V::Elem::NEG_INFINITY;
    let zero = V::splat(zero_s);
    let ninf = V::splat(ninf_s);
    let inv_e = V::splat(c.inv_e);
    let kp = V::splat(c.unmasked);
    let minus_one = V::splat(-V::Elem::ONE);
    let t = V::splat(c.t);
    let neg_pbar = V::splat(-c.grad);
    let pbar = V::splat(c.grad);
    let pbar_t = V::splat(c.grad * c.t);
    let center = V::splat(c.center);
    let want_l = !grad_logits.is_empty();
    let want_v = !grad_value.is_empty();
    let value_fill = if LOG_SPACE { ninf_s } else { V::Elem::ONE };
    let [sum] = sum_vectors::<V, 1>(
        k,
        #[inline(always)]
        |o, n| {
            let l = load_n::<V>(logits, o, n, ninf_s);
            let masked = l.eq(ninf);
            let w = load_n::<V>(e_buf, o, n, zero_s).mul(inv_e);
            let q = w.mul_add(kp, minus_one);
            if want_l {
                let lbar = V::select(masked, zero, q.mul(neg_pbar));
                let lbar = if accumulate {
                    load_n::<V>(grad_logits, o, n, zero_s).add(lbar)
                } else {
                    lbar
                };
                store_n(lbar, grad_logits, o, n);
            }
            let ly = if LOG_SPACE {
                load_n::<V>(value, o, n, value_fill)
            } else {
                load_n::<V>(ly_buf, o, n, zero_s)
            };
            if want_v {
                let gv = if LOG_SPACE {
                    q.mul(pbar_t)
                } else {
                    let y = load_n::<V>(value, o, n, value_fill);
                    q.mul_add(t, minus_one).mul(pbar).div(y)
                };
                store_n(V::select(masked, zero, gv), grad_value, o, n);
            }
            [V::select(masked, zero, q.mul(ly.sub(center)))]
        },
    );
    sum
}

/// The probs gradient of one row from its logits gradient `g`:
/// `out_k = g_k / p_k - G / P` (`G = sum g`, `P = sum p`), 0 where `p_k = 0`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn probs_chain_row<V: Vector>(probs: &[V::Elem], grad_logits: &[V::Elem], out: &mut [V::Elem]) {
    let k = probs.len();
    let zero_s = V::Elem::ZERO;
    let zero = V::splat(zero_s);
    let [g_sum, p_sum] = sum_vectors::<V, 2>(
        k,
        #[inline(always)]
        |o, n| {
            [
                load_n::<V>(grad_logits, o, n, zero_s),
                load_n::<V>(probs, o, n, zero_s),
            ]
        },
    );
    let c = V::splat(g_sum.reduce_add() / p_sum.reduce_add());
    let mut o = 0;
    while o < k {
        let n = LANES.min(k - o);
        let p = load_n::<V>(probs, o, n, V::Elem::ONE);
        let g = load_n::<V>(grad_logits, o, n, zero_s);
        store_n(V::select(p.eq(zero), zero, g.div(p).sub(c)), out, o, n);
        o += LANES;
    }
}

/// The value check of `log_prob` for one row, in the order of the density
/// kernel (one accumulator per chunk of 1024, chunk totals added in turn):
/// `(bad, total)`, `bad` the count of elements out of range or NaN
/// (`[0, 1]`, or `<= 0` in log space), `total` the sum of `y` (or `exp x`).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn value_check_row<V: Vector, const LOG_SPACE: bool>(
    value: &[V::Elem],
    chunk: usize,
) -> (V::Elem, V::Elem) {
    let k = value.len();
    let zero_s = V::Elem::ZERO;
    let zero = V::splat(zero_s);
    let one = V::splat(V::Elem::ONE);
    let fill = if LOG_SPACE {
        V::Elem::NEG_INFINITY
    } else {
        zero_s
    };
    let (mut bad, mut total) = (zero_s, zero_s);
    let mut start = 0;
    while start < k {
        let end = (start + chunk).min(k);
        let (mut b, mut t) = (zero, zero);
        let mut o = start;
        while o < end {
            let n = LANES.min(end - o);
            let v = load_n::<V>(value, o, n, fill);
            let in_range = if LOG_SPACE {
                v.le(zero)
            } else {
                V::mask_and(zero.le(v), v.le(one))
            };
            b = b.add(V::select(in_range, zero, one));
            t = t.add(if LOG_SPACE { V::Elem::exp_v(v) } else { v });
            o += LANES;
        }
        bad = bad + b.reduce_add();
        total = total + t.reduce_add();
        start = end;
    }
    (bad, total)
}
