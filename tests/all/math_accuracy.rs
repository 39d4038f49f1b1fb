//! Accuracy of our `exp` and `ln`, in ulps, against `f64` (for f32) and
//! glibc's `f64` functions (for f64), over the input ranges the kernels use.
//!
//! f32: every input is swept (all finite f32 in [-104, 88.8] for exp, every
//! positive f32 including subnormals for ln) on the default backend, and a
//! strided subset on every other backend; f64: ten million log-uniform
//! inputs plus the edges. The pinned bounds are the measured maxima rounded
//! up a little; the goal of the SIMD issue is 1.5 ulp.
use rayon::prelude::*;
use relaxcat::Backend;
use relaxcat::testing::{MathFn, math};

/// Distance from `got` to the exact `want` in ulps of the f32 nearest `want`.
fn ulps_f32(got: f32, want: f64) -> f64 {
    if got as f64 == want || (got.is_infinite() && (want as f32) == got) {
        return 0.0;
    }
    let w = (want as f32).abs();
    let ulp = if w < f32::MIN_POSITIVE {
        f32::from_bits(1) as f64
    } else {
        (w.next_up() - w) as f64
    };
    ((got as f64) - want).abs() / ulp
}

/// Distance in ulps of `want` (an f64 reference within 0.5 ulp itself).
fn ulps_f64(got: f64, want: f64) -> f64 {
    if got == want {
        return 0.0;
    }
    let w = want.abs();
    let ulp = if w < f64::MIN_POSITIVE {
        f64::from_bits(1)
    } else {
        w.next_up() - w
    };
    (got - want).abs() / ulp
}

/// Max ulp error of `f` on backend `b` over f32 bit patterns `lo..hi`
/// (every `stride`-th), checked in parallel chunks.
fn sweep_f32(
    b: Backend,
    f: MathFn,
    lo: u32,
    hi: u32,
    stride: u32,
    reference: fn(f64) -> f64,
) -> (f64, f32) {
    let chunk = 1u32 << 20;
    let starts: Vec<u32> = (lo..hi).step_by((chunk * stride) as usize).collect();
    starts
        .par_iter()
        .map(|&s| {
            let xs: Vec<f32> = (0..chunk)
                .map(|i| s.saturating_add(i * stride))
                .filter(|&bits| bits < hi)
                .map(f32::from_bits)
                .collect();
            let mut out = vec![0.0f32; xs.len()];
            math(b, f, &xs, &mut out);
            xs.iter()
                .zip(&out)
                .map(|(&x, &y)| (ulps_f32(y, reference(x as f64)), x))
                .fold((0.0, 0.0), |a, e| if e.0 > a.0 { e } else { a })
        })
        .reduce(|| (0.0, 0.0), |a, e| if e.0 > a.0 { e } else { a })
}

#[test]
fn exp_f32_every_input_within_1_05_ulp() {
    // Negative inputs from -0 down to -104 (bits 0x8000_0000..=0xC2D0_0000),
    // positive from +0 up to 88.8 (0x0000_0000..=0x42B1_999A).
    for b in Backend::available() {
        let stride = if b == Backend::default_choice() {
            1
        } else {
            61
        };
        let (neg, xn) = sweep_f32(b, MathFn::Exp, 0x8000_0000, 0xC2D0_0001, stride, f64::exp);
        let (pos, xp) = sweep_f32(b, MathFn::Exp, 0, 0x42B1_999B, stride, f64::exp);
        println!(
            "{b:?} exp f32: max {neg:.3} ulp (x = {xn:e}) for x <= 0, {pos:.3} ulp (x = {xp:e}) for x >= 0"
        );
        assert!(
            neg <= 1.05 && pos <= 1.05,
            "{b:?}: exp error {neg} / {pos} ulp"
        );
    }
}

#[test]
fn ln_f32_every_positive_input_within_0_9_ulp() {
    // Every positive f32: subnormals, normals, up to f32::MAX.
    for b in Backend::available() {
        let stride = if b == Backend::default_choice() {
            1
        } else {
            61
        };
        let (worst, x) = sweep_f32(b, MathFn::Ln, 1, 0x7F80_0000, stride, f64::ln);
        println!("{b:?} ln f32: max {worst:.3} ulp at x = {x:e}");
        assert!(worst <= 0.9, "{b:?}: ln error {worst} ulp at {x:e}");
        let (worst, x) = sweep_f32(
            b,
            MathFn::LnNormal,
            0x0080_0000,
            0x7F80_0000,
            stride * 7,
            f64::ln,
        );
        assert!(
            worst <= 0.9,
            "{b:?}: ln (normal path) error {worst} ulp at {x:e}"
        );
    }
}

#[test]
fn special_values() {
    for b in Backend::available() {
        let xs = [
            0.0f32,
            -0.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(1),
        ];
        let mut out = [0.0f32; 7];
        math(b, MathFn::Ln, &xs, &mut out);
        assert_eq!(out[0], f32::NEG_INFINITY);
        assert_eq!(out[1], f32::NEG_INFINITY);
        assert!(out[2].is_nan() && out[4].is_nan() && out[5].is_nan());
        assert_eq!(out[3], f32::INFINITY);
        assert!((out[6] as f64 - (f32::from_bits(1) as f64).ln()).abs() < 1e-5);
        math(b, MathFn::Exp, &xs, &mut out);
        assert_eq!(
            [out[0], out[1], out[3], out[4]],
            [1.0, 1.0, f32::INFINITY, 0.0]
        );
        assert!(ulps_f32(out[2], (-1.0f64).exp()) <= 1.0);
        assert!(out[5].is_nan());
        let xs64 = [
            0.0f64,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(1),
            -745.0,
            709.7,
        ];
        let mut out64 = [0.0f64; 8];
        math(b, MathFn::Ln, &xs64, &mut out64);
        assert_eq!(out64[0], f64::NEG_INFINITY);
        assert!(out64[1].is_nan() && out64[3].is_nan() && out64[4].is_nan());
        assert_eq!(out64[2], f64::INFINITY);
        assert!((out64[5] - (-744.4400719213812)).abs() < 1e-12);
        math(b, MathFn::Exp, &xs64, &mut out64);
        assert_eq!(out64[2], f64::INFINITY);
        assert_eq!(out64[3], 0.0);
        assert!(out64[4].is_nan());
        assert!(
            ulps_f64(out64[6], (-745.0f64).exp()) <= 1.0
                && ulps_f64(out64[7], 709.7f64.exp()) <= 2.0
        );
    }
}

/// Ten million inputs spread log-uniformly (ln) or uniformly (exp), from a
/// fixed xorshift.
fn f64_inputs(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..10_000_000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            if log {
                (lo.ln() + u * (hi.ln() - lo.ln())).exp()
            } else {
                lo + u * (hi - lo)
            }
        })
        .collect()
}

#[test]
fn exp_and_ln_f64_within_2_ulp_of_glibc() {
    let exp_in = f64_inputs(-745.0, 709.7, false);
    let ln_in = f64_inputs(1e-320, 1e300, true);
    for b in Backend::available() {
        let mut out = vec![0.0f64; exp_in.len()];
        math(b, MathFn::Exp, &exp_in, &mut out);
        let worst_exp = exp_in
            .iter()
            .zip(&out)
            .map(|(&x, &y)| ulps_f64(y, x.exp()))
            .fold(0.0, f64::max);
        math(b, MathFn::Ln, &ln_in, &mut out);
        let worst_ln = ln_in
            .iter()
            .zip(&out)
            .map(|(&x, &y)| ulps_f64(y, x.ln()))
            .fold(0.0, f64::max);
        println!("{b:?} f64: exp max {worst_exp:.3} ulp, ln max {worst_ln:.3} ulp (vs glibc)");
        assert!(
            worst_exp <= 2.0 && worst_ln <= 2.0,
            "{b:?}: f64 exp {worst_exp} ln {worst_ln}"
        );
    }
}
