//! Extreme but valid inputs (SPEC section 5): temperatures `1e-3` and
//! `1e3`, logits of magnitude `1e4`, `K = 1`, `K = 1,000,000` (one row),
//! rows with one unmasked category, subnormal probs. For each, over f32 and
//! f64:
//!
//! - straight-through samples are one-hot at the first largest `y`;
//! - samples are on the simplex: no NaN, entries in `[0, 1]`, masked
//!   entries exactly 0, rows summing to 1 within `SUM_ULPS` ulps times
//!   `1 + log2 K` (the kernel's row sums are tree reductions);
//! - log-space samples are `<= 0`, finite exactly where unmasked, and
//!   within `C eps (|z_k| + max |z|)` of the f64 oracle (`z = (l + g) / t`
//!   from the oracle's own generator; the soft sample within `y` times
//!   that, plus the absolute rounding of subnormals);
//! - `log_prob_x` of the log-space sample is finite and within
//!   `C eps scale` of the f64 oracle, `scale` the sum of the magnitudes of
//!   the terms of the density (tests/common `oracle::log_prob_scale`);
//! - `log_prob` of the soft sample is `-inf` exactly when an unmasked
//!   component underflowed to 0 (the boundary of the open simplex; such a
//!   sample is scored exactly by `log_prob_x` of its log-space form), and
//!   otherwise within `C eps scale` of the oracle.
//!
//! A true limit of the formula in floating point, not of the kernels: the
//! log-density adds terms of size `K t |ln y|` (and `|l| ~ 1e4` for huge
//! logits) that cancel to a much smaller result (at `t = 1e3`, `y` is near
//! uniform and `t ln y` near `-t ln K`). Its absolute error is therefore
//! about `eps` times those terms, which `scale` states. Measured (printed
//! with `--nocapture`): f32 `4.5e-4` absolute at `t = 1e3`, `K = 5`, and
//! `2e-3` with `|logits| = 1e4`; f64 `2e-12` and `9e-12`. README.md ("Bad
//! input: the classes and their errors", last paragraph) says so.
//!
//! Constants: about twice the worst ratio seen (sample 2.4, f32 subnormal
//! probs; row sum 2.7, f64 `K = 1e6`; density 1.7, f64 `K = 1e6`).

use crate::common::{Fl, cast, oracle, widen};
use relaxcat::{Draw, Noise};
use relaxcat::{RelaxedOneHotCategorical, Stream};

/// `|x - oracle| <= C_SAMPLE eps (|z_k| + max |z|)` and the soft sample
/// relative to it.
const C_SAMPLE: f64 = 5.0;
/// `|log_prob - oracle| <= C_DENSITY eps scale`.
const C_DENSITY: f64 = 4.0;
/// Row sums within `SUM_ULPS eps (1 + log2 K)` of 1.
const SUM_ULPS: f64 = 6.0;

/// The parameters of one extreme case: `B` rows of `K`, given as logits
/// or as probs.
struct Case {
    name: &'static str,
    k: usize,
    logits: Option<Vec<f64>>,
    probs: Option<Vec<f64>>,
    temperature: f64,
    samples: usize,
}

/// The worst ratio of each measure, for the printout.
#[derive(Default)]
struct Worst {
    sample: f64,
    sum: f64,
    log_prob_x: f64,
    log_prob: f64,
    /// The largest absolute error of either density.
    density_abs: f64,
    boundary_rows: usize,
}

fn check<T: Fl>(c: &Case) -> Worst {
    let k = c.k;
    let t = c.temperature;
    let (d, raw_t): (RelaxedOneHotCategorical<T>, Vec<f64>) = match (&c.logits, &c.probs) {
        (Some(l), None) => {
            let lt = cast::<T>(l);
            let d = RelaxedOneHotCategorical::from_logits(&[T::of(t)], &lt, k)
                .unwrap()
                .into_owned()
                .unwrap();
            (d, widen(&lt))
        }
        (None, Some(p)) => {
            let pt = cast::<T>(p);
            let d = RelaxedOneHotCategorical::from_probs(&[T::of(t)], &pt, k)
                .unwrap()
                .into_owned()
                .unwrap();
            // The oracle's logits: ln p of the rounded probs (ln 0 = -inf).
            (d, widen(&pt).iter().map(|p| p.ln()).collect())
        }
        _ => unreachable!(),
    };
    let b = d.batch_rows();
    let n = c.samples * b;
    let what = |s: &str| format!("{} {}: {s}", T::TYPE_NAME, c.name);
    let stream = Stream::new(2026, 11);
    let mut y = vec![T::of(0.0); n * k];
    let mut x = vec![T::of(0.0); n * k];
    d.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
        .unwrap();
    d.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
        .unwrap();
    let (mut hard, mut soft) = (vec![T::of(0.0); n * k], vec![T::of(0.0); n * k]);
    d.draw(
        Noise::Rows(stream, 0..n),
        Draw::Hard {
            hard: &mut hard,
            soft: &mut soft,
        },
    )
    .unwrap();
    assert!(
        soft.iter().zip(&y).all(|(a, b)| a.bits() == b.bits()),
        "{}",
        what("hard's soft == y")
    );
    for (i, (h, yr)) in hard.chunks(k).zip(y.chunks(k)).enumerate() {
        let at = oracle::argmax(&widen(yr));
        let one_hot = h
            .iter()
            .enumerate()
            .all(|(j, v)| v.f() == if j == at { 1.0 } else { 0.0 });
        assert!(
            one_hot,
            "{}",
            what(&format!("row {i}: hard is not one-hot at argmax y = {at}"))
        );
    }
    let lp = d.log_prob(&y).unwrap();
    let lpx = d.log_prob_x(&x).unwrap();
    let u = oracle::stream_uniforms(2026, k, 11, n, T::IS_F64);
    let mut worst = Worst::default();
    for i in 0..n {
        let row = i * k..(i + 1) * k;
        let raw = &raw_t[(i % b) * k..(i % b + 1) * k];
        let l = oracle::log_softmax(raw);
        let g: Vec<f64> = u[row.clone()].iter().map(|&u| oracle::gumbel(u)).collect();
        let z: Vec<f64> = l.iter().zip(&g).map(|(l, g)| (l + g) / t).collect();
        let x_want = oracle::log_sample(&l, &g, t);
        let (yr, xr) = (widen(&y[row.clone()]), widen(&x[row.clone()]));
        let z_max = z
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        // On the simplex.
        let sum = oracle::sum(yr.iter().copied());
        let sum_ratio = (sum - 1.0).abs() / (T::EPS * (1.0 + (k as f64).log2()));
        assert!(
            sum_ratio <= SUM_ULPS,
            "{}",
            what(&format!("row {i} sums to {sum}"))
        );
        worst.sum = worst.sum.max(sum_ratio);
        for j in 0..k {
            let masked = l[j] == f64::NEG_INFINITY;
            assert!(
                (0.0..=1.0).contains(&yr[j]),
                "{}",
                what(&format!("row {i}, y[{j}] = {}", yr[j]))
            );
            assert!(
                xr[j] <= 0.0,
                "{}",
                what(&format!("row {i}, x[{j}] = {}", xr[j]))
            );
            assert_eq!(
                masked,
                xr[j] == f64::NEG_INFINITY,
                "{}",
                what("x -inf iff masked")
            );
            if masked {
                assert_eq!(yr[j], 0.0, "{}", what("masked y is 0"));
                continue;
            }
            let scale = T::EPS * (z[j].abs() + z_max + 1.0);
            let ex = (xr[j] - x_want[j]).abs() / scale;
            let y_want = x_want[j].exp();
            let ey = ((yr[j] - y_want).abs() - T::DENORM_MIN).max(0.0)
                / (scale * y_want).max(f64::MIN_POSITIVE);
            assert!(
                ex <= C_SAMPLE && ey <= C_SAMPLE,
                "{}",
                what(&format!(
                    "row {i}, category {j}: x {} vs {} ({ex:.2}), y {:e} vs {y_want:e} ({ey:.2})",
                    xr[j], x_want[j], yr[j]
                ))
            );
            worst.sample = worst.sample.max(ex).max(ey);
        }
        // The density of the log-space sample: always finite.
        let want = oracle::log_prob_x(raw, t, &xr);
        let scale = T::EPS * oracle::log_prob_scale(raw, t, &xr);
        assert!(
            want.is_finite() && lpx[i].f().is_finite(),
            "{}",
            what("log_prob_x finite")
        );
        let e = (lpx[i].f() - want).abs() / scale;
        assert!(
            e <= C_DENSITY,
            "{}",
            what(&format!(
                "row {i}: log_prob_x {} vs {want} ({e:.2})",
                lpx[i]
            ))
        );
        worst.log_prob_x = worst.log_prob_x.max(e);
        worst.density_abs = worst.density_abs.max((lpx[i].f() - want).abs());
        // The density of the soft sample: -inf on the boundary.
        let boundary = (0..k).any(|j| l[j] > f64::NEG_INFINITY && yr[j] == 0.0);
        if boundary {
            assert_eq!(
                lp[i].f(),
                f64::NEG_INFINITY,
                "{}",
                what("boundary y scores -inf")
            );
            worst.boundary_rows += 1;
            continue;
        }
        let ly: Vec<f64> = yr.iter().map(|v| v.ln()).collect();
        let want = oracle::log_prob(raw, t, &yr);
        let scale = T::EPS * oracle::log_prob_scale(raw, t, &ly);
        assert!(lp[i].f().is_finite(), "{}", what("log_prob finite"));
        let e = (lp[i].f() - want).abs() / scale;
        assert!(
            e <= C_DENSITY,
            "{}",
            what(&format!("row {i}: log_prob {} vs {want} ({e:.2})", lp[i]))
        );
        worst.log_prob = worst.log_prob.max(e);
        worst.density_abs = worst.density_abs.max((lp[i].f() - want).abs());
    }
    println!(
        "{} {}: worst sample {:.2}, row sum {:.2}, log_prob_x {:.2}, log_prob {:.2} (units of eps x scale; densities {:.1e} absolute); {} of {n} rows on the boundary",
        T::TYPE_NAME,
        c.name,
        worst.sample,
        worst.sum,
        worst.log_prob_x,
        worst.log_prob,
        worst.density_abs,
        worst.boundary_rows
    );
    worst
}

/// Moderate logits, `B = 2` rows of 5, one category masked in row 1.
fn moderate() -> Vec<f64> {
    vec![
        0.3,
        -1.2,
        2.0,
        0.0,
        0.7,
        1.0,
        f64::NEG_INFINITY,
        -0.5,
        0.25,
        3.0,
    ]
}

/// Logits of magnitude `1e4`: rows of `{+-1e4, +-5e3, 0}` whose
/// normalised logits span `2e4`.
fn huge() -> Vec<f64> {
    vec![
        1e4,
        -1e4,
        0.0,
        5e3,
        -5e3,
        -1e4,
        -1e4 + 1.0,
        1e4,
        9999.5,
        f64::NEG_INFINITY,
    ]
}

fn cases<T: Fl>() -> Vec<Case> {
    let logits = |name, k, l: Vec<f64>, t, samples| Case {
        name,
        k,
        logits: Some(l),
        probs: None,
        temperature: t,
        samples,
    };
    // Subnormal probabilities next to normal ones, and a row of only
    // subnormals (its sum is subnormal too).
    let d = T::DENORM_MIN;
    let sub = T::MIN_NORMAL / 16.0;
    let subnormal = vec![0.5, sub, 0.5, 3.0 * d, 0.0, d, 2.0 * d, sub, 0.0, 5.0 * d];
    let wide: Vec<f64> = (0..1_000_000u64)
        .map(|j| ((j * 7919) % 1000) as f64 / 250.0 - 2.0)
        .collect();
    vec![
        logits("t = 1e-3", 5, moderate(), 1e-3, 200),
        logits("t = 1e3", 5, moderate(), 1e3, 200),
        logits("|logits| = 1e4, t = 1", 5, huge(), 1.0, 200),
        logits("|logits| = 1e4, t = 1e-3", 5, huge(), 1e-3, 200),
        logits("|logits| = 1e4, t = 1e3", 5, huge(), 1e3, 200),
        logits("K = 1", 1, vec![0.0, -3.0, 1e4], 0.5, 100),
        logits("K = 1, t = 1e-3", 1, vec![2.0], 1e-3, 100),
        logits(
            "one unmasked category",
            4,
            vec![
                f64::NEG_INFINITY,
                3.0,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
                -1e4,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            0.7,
            100,
        ),
        logits("K = 1,000,000", 1_000_000, wide, 0.5, 1),
        Case {
            name: "subnormal probs",
            k: 5,
            logits: None,
            probs: Some(subnormal),
            temperature: 0.8,
            samples: 200,
        },
        Case {
            name: "subnormal probs, t = 1e3",
            k: 5,
            logits: None,
            probs: Some(vec![
                0.5,
                T::MIN_NORMAL / 16.0,
                0.5,
                3.0 * T::DENORM_MIN,
                1.0,
            ]),
            temperature: 1e3,
            samples: 200,
        },
    ]
}

fn run<T: Fl>() {
    for c in cases::<T>() {
        let worst = check::<T>(&c);
        if c.k == 1 || c.name == "one unmasked category" {
            // A point mass on a single vertex: y = 1, x = 0, density 0.
            assert_eq!(worst.boundary_rows, 0);
        }
    }
}

#[test]
fn extremes_f32() {
    run::<f32>();
}

#[test]
fn extremes_f64() {
    run::<f64>();
}

/// A single unmasked category is a point mass: the sample is exactly the
/// vertex (`y = 1`, `x = 0`, the rest `0` / `-inf`) and both densities are
/// exactly 0, at any temperature.
#[test]
fn one_unmasked_category_is_exact() {
    fn check<T: Fl>() {
        for t in [1e-3, 1.0, 1e3] {
            let l = cast::<T>(&[f64::NEG_INFINITY, -1e4, f64::NEG_INFINITY]);
            let temperature = [T::of(t)];
            let d = RelaxedOneHotCategorical::from_logits(&temperature, &l, 3).unwrap();
            let mut y = vec![T::of(0.0); 30];
            let mut x = vec![T::of(0.0); 30];
            d.draw(Noise::Rows(Stream::new(3, 0), 0..10), Draw::Soft(&mut y))
                .unwrap();
            d.draw(Noise::Rows(Stream::new(3, 0), 0..10), Draw::Log(&mut x))
                .unwrap();
            assert_eq!(widen(&y), [0.0, 1.0, 0.0].repeat(10));
            assert_eq!(
                widen(&x),
                [f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY].repeat(10)
            );
            assert!(d.log_prob(&y).unwrap().iter().all(|v| v.f() == 0.0));
            assert!(d.log_prob_x(&x).unwrap().iter().all(|v| v.f() == 0.0));
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Logits whose span exceeds the float range (`-MAX` and `MAX` in one row)
/// are valid, but `l - max l` overflows to `-inf` on an unmasked category.
/// The density adds that category's `s - M`, below `-MAX`, so the row's
/// log-density is `-inf` (with zero gradients), never NaN: before the fix
/// a large temperature made its score `+inf - inf = NaN` (found by the
/// rust_api fuzz target), and at `t = 1` the category counted as masked
/// and the row got a finite, wrong value. A normal row beside it, in the
/// same group of eight, keeps its exact value. Short rows (`K <= 8`),
/// one-chunk rows and long rows (`K > 1024`) each have their own pass.
#[test]
fn logits_beyond_the_float_range_give_ninf_not_nan() {
    fn check<T: Fl>() {
        let max = if std::mem::size_of::<T>() == 8 {
            f64::MAX
        } else {
            f32::MAX as f64
        };
        for k in [3usize, 20, 1100] {
            // Row 0 spans [-MAX, MAX]; row 1 is ordinary.
            let mut l = vec![0.0; 2 * k];
            l[0] = -max;
            l[1] = max;
            for (j, v) in l[k..].iter_mut().enumerate() {
                *v = (j % 5) as f64 - 2.0;
            }
            // Category 0 small, so that t |ln y_0| overflows at t = MAX/4.
            let mut y = vec![(1.0 - 1e-6) / (k - 1) as f64; 2 * k];
            y[0] = 1e-6;
            y[k] = 1e-6;
            let (lt, yt) = (cast::<T>(&l), cast::<T>(&y));
            let xt: Vec<T> = yt.iter().map(|v| T::of(v.f().ln())).collect();
            for t in [1.0, max / 4.0] {
                let temperature = [T::of(t)];
                for (backend, exec) in crate::common::backends("beyond_float_range") {
                    let d = RelaxedOneHotCategorical::from_logits(&temperature, &lt, k)
                        .unwrap()
                        .with_exec(exec);
                    let ordinary = RelaxedOneHotCategorical::from_logits(&temperature, &lt[k..], k)
                        .unwrap()
                        .with_exec(d.exec().clone());
                    let lp = d.log_prob(&yt).unwrap();
                    let lpx = d.log_prob_x(&xt).unwrap();
                    let at = format!("{backend:?} K = {k} t = {t:e}");
                    assert_eq!(lp[0].f(), f64::NEG_INFINITY, "log_prob, {at}");
                    assert_eq!(lpx[0].f(), f64::NEG_INFINITY, "log_prob_x, {at}");
                    let want = ordinary.log_prob(&yt[k..]).unwrap()[0];
                    let want_x = ordinary.log_prob_x(&xt[k..]).unwrap()[0];
                    if t == 1.0 {
                        assert!(want.f().is_finite() && want_x.f().is_finite(), "{at}");
                    }
                    assert_eq!(lp[1].bits(), want.bits(), "ordinary row, {at}");
                    assert_eq!(lpx[1].bits(), want_x.bits(), "ordinary row x, {at}");
                    for log_space in [false, true] {
                        let v = if log_space { &xt } else { &yt };
                        let mut gl = vec![T::of(7.0); 2 * k];
                        let mut gt = vec![T::of(7.0); 1];
                        let mut gv = vec![T::of(7.0); 2 * k];
                        let mut out = vec![T::of(7.0); 2];
                        let grads = relaxcat::LogProbGrads {
                            params: relaxcat::ParamGrads {
                                logits: Some(&mut gl),
                                probs: None,
                                temperature: Some(&mut gt),
                            },
                            value: Some(&mut gv),
                            log_prob: Some(&mut out),
                        };
                        let one = [T::of(1.0), T::of(0.0)];
                        if log_space {
                            d.log_prob_x_backward(v, &one, grads).unwrap();
                        } else {
                            d.log_prob_backward(v, &one, grads).unwrap();
                        }
                        let at = format!("{at}, backward, log space {log_space}");
                        assert_eq!(out[0].f(), f64::NEG_INFINITY, "{at}");
                        assert!(gl[..k].iter().all(|g| g.f() == 0.0), "{at}: {:?}", &gl[..k]);
                        assert!(gv[..k].iter().all(|g| g.f() == 0.0), "{at}");
                        assert!(gt[0].f() == 0.0, "{at}: {:?}", gt[0].f());
                    }
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}
