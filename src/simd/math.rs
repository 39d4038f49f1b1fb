//! `exp` and `ln`, written once over [`Vector`] so every backend computes the
//! same bits.
//!
//! ```text
//! exp(x):  n = round(x / ln2)             (by adding 1.5 * 2^mant, no cvt)
//!          r = x - n ln2                  (two-constant Cody-Waite, FMA)
//!          e^r = 1 + r + r^2 P(r)         (f32: Cephes expf minimax P;
//!                                          f64: degree-9 near-minimax P)
//!          e^x = e^r * 2^n1 * 2^n2        (n = n1 + n2, both normal powers,
//!                                          so subnormal results round once)
//! ln(x):   x = m 2^e, m in [sqrt(1/2), sqrt(2))   (subnormals scaled first)
//!          f32: f = m - 1, ln m = f - f^2/2 + f^3 P(f)   (Cephes logf)
//!          f64: s = f / (2 + f), ln m = f - f^2/2 + s (f^2/2 + R(s^2))
//!               with R a degree-6 near-minimax fit of the atanh series
//!          ln x = ln m + e ln2            (ln2 split in two constants)
//! ```
//!
//! The accuracy, measured by sweeping inputs against `f64`/`f128`-grade
//! references, is pinned in `tests/all/math_accuracy.rs`.

use super::Vector;

// Constants keep the digits their sources print.
#[allow(clippy::excessive_precision)]
/// Cephes `expf` coefficients of `P` (Moshier, Cephes Math Library 2.2,
/// `expf.c`), highest degree first.
const EXPF_P: [f32; 6] = [
    1.987_569_150_0e-4,
    1.398_199_950_7e-3,
    8.333_451_907_3e-3,
    4.166_579_589_4e-2,
    1.666_666_545_9e-1,
    5.000_000_120_1e-1,
];

#[allow(clippy::excessive_precision)]
/// Cephes `logf` coefficients (Moshier, `logf.c`), highest degree first.
const LOGF_P: [f32; 9] = [
    7.037_683_629_2e-2,
    -1.151_461_031_0e-1,
    1.167_699_874_0e-1,
    -1.242_014_084_6e-1,
    1.424_932_278_7e-1,
    -1.666_805_766_5e-1,
    2.000_071_476_5e-1,
    -2.499_999_399_3e-1,
    3.333_333_117_4e-1,
];

#[allow(clippy::excessive_precision)]
/// ln 2 split so that `n * LN2_HI` is exact for the exponents used
/// (Cephes: 0.693359375 = 355/512).
const LN2_HI_F32: f32 = 0.693_359_375;
#[allow(clippy::excessive_precision)]
const LN2_LO_F32: f32 = -2.121_944_4e-4;

#[allow(clippy::excessive_precision)]
/// fdlibm's split of ln 2 (`e_exp.c`, `e_log.c`).
const LN2_HI_F64: f64 = 6.931_471_803_691_238_164_90e-1;
#[allow(clippy::excessive_precision)]
const LN2_LO_F64: f64 = 1.908_214_929_270_587_700_02e-10;

/// Near-minimax `P` with `e^r = 1 + r + r^2 P(r)` on `|r| <= ln2/2`
/// (Chebyshev fit, `scripts/f64_polynomials.py`), highest degree first;
/// relative error of `e^r` from the fit: 1.7e-17.
#[allow(clippy::excessive_precision)]
const EXP_POLY_F64: [f64; 10] = [
    2.5100375832561233664e-8,
    2.7620075879983366586e-7,
    2.7557268480310025526e-6,
    2.4801521322368693266e-5,
    1.9841269863040545271e-4,
    1.3888888917196719077e-3,
    8.3333333333300644495e-3,
    4.1666666666624161903e-2,
    1.6666666666666667452e-1,
    5.0000000000000010211e-1,
];

/// Near-minimax `R` with `ln((1+s)/(1-s)) = 2s + s^3 R(s^2)` for
/// `1 + f = (1+s)/(1-s)` in `[sqrt(1/2), sqrt(2))` (same script);
/// relative error of `ln` from the fit: 4.5e-18.
#[allow(clippy::excessive_precision)]
const LN_POLY_F64: [f64; 7] = [
    1.461644968504340586e-1,
    1.5331721600556041269e-1,
    1.818288912526172208e-1,
    2.2222211134795079855e-1,
    2.8571428625975484921e-1,
    3.999999999989950449e-1,
    6.6666666666666696862e-1,
];

/// The polynomial with `coefficients` (highest degree first) at `x`, by
/// Estrin's scheme: pairs `c_2j + c_2j+1 x`, then pairs of those in `x^2`,
/// and so on. The dependency chain is `log2 N` FMAs deep instead of `N`
/// (Horner), which keeps more vectors in flight.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn estrin<V: Vector, const N: usize>(x: V, coefficients: &[V::Elem; N]) -> V {
    // A plain loop, not `core::array::from_fn` (see `map8`).
    let mut terms = [x; N];
    for (i, term) in terms.iter_mut().enumerate() {
        *term = V::splat(coefficients[N - 1 - i]);
    }
    let mut n = N;
    let mut power = x;
    while n > 1 {
        let half = n.div_ceil(2);
        for j in 0..half {
            terms[j] = if 2 * j + 1 < n {
                terms[2 * j + 1].mul_add(power, terms[2 * j])
            } else {
                terms[2 * j]
            };
        }
        n = half;
        if n > 1 {
            power = power.mul(power);
        }
    }
    terms[0]
}

/// `y * 2^n` for integral `n` in `[lo - mant - 1, hi + 1]`, rounding once.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn scale_by_pow2<V: Vector>(y: V, n: V, lo: V::Elem, hi: V::Elem) -> V {
    // `splat(c).max(n)` returns n when n is NaN (the trait's rule), so a NaN
    // passes both clamps.
    let n1 = V::splat(hi).min(V::splat(lo).max(n));
    let n2 = n.sub(n1);
    y.mul(V::pow2i(n1)).mul(V::pow2i(n2))
}

/// `e^x` in f32. Max error 1 ulp over the whole range (see the tests),
/// correct subnormal results, `exp(-inf) = 0`, `exp(inf) = inf`, NaN kept.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exp_f32<V: Vector<Elem = f32>>(x: V) -> V {
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23
    // Below -104 the result rounds to 0; above 88.8 it is inf. The operand
    // order lets a NaN through both clamps.
    let x = V::splat(88.8).min(V::splat(-104.0).max(x));
    let n = x
        .mul_add(V::splat(core::f32::consts::LOG2_E), V::splat(MAGIC))
        .sub(V::splat(MAGIC));
    let r = n.mul_add(V::splat(-LN2_HI_F32), x);
    let r = n.mul_add(V::splat(-LN2_LO_F32), r);
    let z = r.mul(r);
    let y = estrin(r, &EXPF_P).mul_add(z, r).add(V::splat(1.0));
    scale_by_pow2(y, n, -126.0, 127.0)
}

/// `e^x` in f64. Same structure as [`exp_f32`].
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn exp_f64<V: Vector<Elem = f64>>(x: V) -> V {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    let x = V::splat(709.8).min(V::splat(-746.0).max(x));
    let n = x
        .mul_add(V::splat(core::f64::consts::LOG2_E), V::splat(MAGIC))
        .sub(V::splat(MAGIC));
    let r = n.mul_add(V::splat(-LN2_HI_F64), x);
    let r = n.mul_add(V::splat(-LN2_LO_F64), r);
    let z = r.mul(r);
    let y = estrin(r, &EXP_POLY_F64).mul_add(z, r).add(V::splat(1.0));
    scale_by_pow2(y, n, -1022.0, 1023.0)
}

/// Reduces positive normal `x` to `(e, f)` with `x = (1 + f) 2^e` and
/// `1 + f` in `[sqrt(1/2), sqrt(2))`.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn reduce_ln<V: Vector>(x: V, sqrt2: V::Elem, half: V::Elem, one: V::Elem) -> (V, V) {
    let (e, m) = V::split_exponent(x);
    let big = V::splat(sqrt2).le(m);
    let m = V::select(big, m.mul(V::splat(half)), m);
    let e = V::select(big, e.add(V::splat(one)), e);
    (e, m.sub(V::splat(one)))
}

#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn ln_core_f32<V: Vector<Elem = f32>>(e: V, f: V) -> V {
    let z = f.mul(f);
    let y = estrin(f, &LOGF_P).mul(f).mul(z);
    let y = e.mul_add(V::splat(LN2_LO_F32), y);
    let y = z.mul_add(V::splat(-0.5), y);
    e.mul_add(V::splat(LN2_HI_F32), f.add(y))
}

#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn ln_core_f64<V: Vector<Elem = f64>>(e: V, f: V) -> V {
    let s = f.div(V::splat(2.0).add(f));
    let z = s.mul(s);
    let r = estrin(z, &LN_POLY_F64).mul(z);
    let hfsq = V::splat(0.5).mul(f).mul(f);
    // ln(1 + f) = f - hfsq + s (hfsq + R); e ln2 added in two pieces.
    let lo = s.mul_add(hfsq.add(r), e.mul(V::splat(LN2_LO_F64)));
    e.mul_add(V::splat(LN2_HI_F64), f.sub(hfsq.sub(lo)))
}

/// `ln x` in f32 for positive normal finite lanes (the kernels' fast path).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn ln_normal_f32<V: Vector<Elem = f32>>(x: V) -> V {
    let (e, f) = reduce_ln(x, core::f32::consts::SQRT_2, 0.5, 1.0);
    ln_core_f32(e, f)
}

/// `ln x` in f64 for positive normal finite lanes.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn ln_normal_f64<V: Vector<Elem = f64>>(x: V) -> V {
    let (e, f) = reduce_ln(x, core::f64::consts::SQRT_2, 0.5, 1.0);
    ln_core_f64(e, f)
}

/// Applies IEEE special cases to a `ln` computed on the normal path:
/// `ln 0 = -inf`, `ln(x < 0) = NaN`, `ln inf = inf`, NaN kept.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
fn ln_specials<V: Vector>(x: V, r: V) -> V {
    let zero = V::splat(V::Elem::ZERO);
    let r = V::select(x.eq(zero), V::splat(V::Elem::NEG_INFINITY), r);
    let r = V::select(x.lt(zero), V::splat(V::Elem::NAN), r);
    let r = V::select(x.eq(V::splat(V::Elem::INFINITY)), x, r);
    V::select(x.eq(x), r, x)
}

use super::Real;

/// `ln x` in f32 for every input, subnormals included.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn ln_f32<V: Vector<Elem = f32>>(x: V) -> V {
    const TWO_23: f32 = 8_388_608.0;
    let sub = x.lt(V::splat(f32::MIN_POSITIVE));
    let xs = V::select(sub, x.mul(V::splat(TWO_23)), x);
    let (e, f) = reduce_ln(xs, core::f32::consts::SQRT_2, 0.5, 1.0);
    let e = V::select(sub, e.sub(V::splat(23.0)), e);
    ln_specials(x, ln_core_f32(e, f))
}

/// `ln x` in f64 for every input, subnormals included.
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn ln_f64<V: Vector<Elem = f64>>(x: V) -> V {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let sub = x.lt(V::splat(f64::MIN_POSITIVE));
    let xs = V::select(sub, x.mul(V::splat(TWO_52)), x);
    let (e, f) = reduce_ln(xs, core::f64::consts::SQRT_2, 0.5, 1.0);
    let e = V::select(sub, e.sub(V::splat(52.0)), e);
    ln_specials(x, ln_core_f64(e, f))
}
