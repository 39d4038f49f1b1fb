//! Identities between the crate's own entry points (SPEC sections 2, 3):
//!
//! - `log_prob(y) = log_prob_x(x) - sum_k ln y_k` for a sample `y` and its
//!   log-space twin `x` (the same stream rows), and exactly the same
//!   identity with `ln y` in place of `x`;
//! - the log-space sample is `ln` of the soft one, and never underflows;
//! - probs and logits parameterisations of the same distribution agree
//!   (and logits are shift-invariant, probs scale-invariant);
//! - a scalar temperature equals the same temperature repeated per row,
//!   bit for bit.
//!
//! Tolerances are stated as `C * eps * scale`, with `scale` the sum of the
//! magnitudes of the terms of the log-density (see tests/common), `C`
//! pinned at about twice the worst seen.

use crate::common::{Fl, Inputs, assert_bits_eq, backends, cast, oracle, widen};
use relaxcat::{Draw, Noise};
use relaxcat::{Exec, Generator, Param, RelaxedOneHotCategorical, Stream};

/// `|a - b| <= C eps scale` for the log-density identities (worst seen:
/// f32 1.2, f64 1.6, in units of `eps * scale`).
const C_IDENTITY: f64 = 4.0;

fn logits_for(k: usize, b: usize, seed: u64) -> Vec<f64> {
    let mut r = Inputs::new(seed);
    let mut l: Vec<f64> = (0..k * b).map(|_| 1.5 * r.normalish()).collect();
    if k > 3 {
        l[2] = f64::NEG_INFINITY; // masked in row 0
    }
    l
}

fn log_prob_identity<T: Fl>() {
    let mut worst = (0.0f64, String::new());
    let mut skipped = 0;
    for (backend, exec) in backends("log_prob_identity") {
        for k in [1usize, 2, 5, 33, 1000] {
            for t in [0.1, 1.0, 5.0] {
                let b = 2;
                let raw = logits_for(k, b, k as u64);
                let logits: Vec<T> = cast(&raw);
                let d = RelaxedOneHotCategorical::builder(k)
                    .logits(&logits)
                    .temperature(&[T::of(t)])
                    .exec(exec.clone())
                    .build()
                    .unwrap()
                    .into_owned()
                    .unwrap();
                let samples = (6_000 / k).max(2);
                let stream = Stream::new(17, 3);
                let n = samples * b;
                let (mut y, mut x) = (vec![T::of(0.0); n * k], vec![T::of(0.0); n * k]);
                d.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
                    .unwrap();
                d.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
                    .unwrap();
                // ln y, rounded to T (rows with a zero keep x; they are skipped).
                let ly: Vec<T> = y
                    .iter()
                    .zip(&x)
                    .map(|(yv, xv)| {
                        if yv.f() > 0.0 {
                            T::of(yv.f().ln())
                        } else {
                            *xv
                        }
                    })
                    .collect();
                let lp = d.log_prob(&y).unwrap();
                let lpx = d.log_prob_x(&x).unwrap();
                let lply = d.log_prob_x(&ly).unwrap();
                let dl = widen(&d.logits().unwrap());
                for i in 0..n {
                    let row = i * k..(i + 1) * k;
                    let param = (i % b) * k..(i % b + 1) * k;
                    let (yr, xr, lyr) = (
                        widen(&y[row.clone()]),
                        widen(&x[row.clone()]),
                        widen(&ly[row.clone()]),
                    );
                    // The log-space sample is finite wherever the category
                    // is not masked, and masked exactly where the logit is.
                    for j in 0..k {
                        let masked = dl[param.start + j] == f64::NEG_INFINITY;
                        assert_eq!(xr[j] == f64::NEG_INFINITY, masked, "x finite iff unmasked");
                        assert_eq!(yr[j] == 0.0 && masked, masked, "masked y must be 0");
                        assert!(xr[j] <= 0.0, "x = {} > 0", xr[j]);
                    }
                    let underflow = (0..k)
                        .any(|j| yr[j] < T::MIN_NORMAL && dl[param.start + j] > f64::NEG_INFINITY);
                    if underflow {
                        // An unmasked y below the normal range: ln y is not
                        // x any more (y has lost relative precision), and a 0
                        // gives -inf. Check that and skip the identity.
                        if yr
                            .iter()
                            .zip(&dl[param.clone()])
                            .any(|(v, l)| *v == 0.0 && *l > f64::NEG_INFINITY)
                        {
                            assert_eq!(lp[i].f(), f64::NEG_INFINITY);
                        }
                        skipped += 1;
                        continue;
                    }
                    // ln y within a few ulps (relative to |x| + 1) of x.
                    for j in 0..k {
                        if xr[j].is_finite() {
                            let e = (yr[j].ln() - xr[j]).abs() / (T::EPS * (2.0 + xr[j].abs()));
                            assert!(
                                e <= 4.0,
                                "{} K={k} t={t}: ln y = {} vs x = {}",
                                T::TYPE_NAME,
                                yr[j].ln(),
                                xr[j]
                            );
                        }
                    }
                    let raw_row = &raw[param.clone()];
                    let scale = T::EPS * oracle::log_prob_scale(raw_row, t, &xr);
                    let sum = |v: &[f64]| oracle::sum(v.iter().copied().filter(|v| v.is_finite()));
                    let lyr_sum = sum(&lyr);
                    for (name, a, bv) in [
                        (
                            "log_prob vs log_prob_x(x) - sum x",
                            lp[i].f(),
                            lpx[i].f() - sum(&xr),
                        ),
                        (
                            "log_prob vs log_prob_x(ln y) - sum ln y",
                            lp[i].f(),
                            lply[i].f() - lyr_sum,
                        ),
                    ] {
                        let e = (a - bv).abs() / scale;
                        if e > worst.0 {
                            worst = (
                                e,
                                format!(
                                    "{} {backend:?} K={k} t={t} row {i} {name}: {a} vs {bv}",
                                    T::TYPE_NAME
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
    println!(
        "{}: identity worst {:.3} ({}); {skipped} rows with underflowed y skipped",
        T::TYPE_NAME,
        worst.0,
        worst.1
    );
    assert!(worst.0 <= C_IDENTITY, "{}", worst.1);
}

#[test]
fn log_prob_equals_log_prob_x_minus_log_jacobian_f32() {
    log_prob_identity::<f32>();
}

#[test]
fn log_prob_equals_log_prob_x_minus_log_jacobian_f64() {
    log_prob_identity::<f64>();
}

/// probs `p` and logits `ln p` (and `ln p + c`, and probs `s p`) describe
/// the same distribution: normalised parameters within a few ulps, samples
/// within the rounding of the normalised logits, log-densities within
/// `C_IDENTITY` (same units as above).
fn parameterisations_agree<T: Fl>() {
    let exec = Exec::new();
    for k in [1usize, 2, 7, 64] {
        let mut r = Inputs::new(500 + k as u64);
        let b = 3;
        let mut p: Vec<f64> = r.vec(k * b, 0.01, 1.0);
        if k > 2 {
            p[1] = 0.0; // masked
        }
        let t = [T::of(0.7)];
        let probs: Vec<T> = cast(&p);
        let lnp: Vec<f64> = probs.iter().map(|v| v.f().ln()).collect();
        let variants: Vec<(&str, RelaxedOneHotCategorical<T>)> = vec![
            (
                "probs",
                RelaxedOneHotCategorical::from_probs(&t, &probs, k).unwrap(),
            ),
            (
                "probs x 8",
                RelaxedOneHotCategorical::from_probs(
                    &t,
                    &cast::<T>(&p.iter().map(|v| 8.0 * v).collect::<Vec<_>>()),
                    k,
                )
                .unwrap()
                .into_owned()
                .unwrap(),
            ),
            (
                "logits ln p",
                RelaxedOneHotCategorical::from_logits(&t, &cast::<T>(&lnp), k)
                    .unwrap()
                    .into_owned()
                    .unwrap(),
            ),
            (
                "logits ln p + 3",
                RelaxedOneHotCategorical::from_logits(
                    &t,
                    &cast::<T>(&lnp.iter().map(|v| v + 3.0).collect::<Vec<_>>()),
                    k,
                )
                .unwrap()
                .into_owned()
                .unwrap(),
            ),
        ];
        assert_eq!(variants[0].1.param(), Param::Probs);
        assert_eq!(variants[2].1.param(), Param::Logits);
        let samples = 200;
        let stream = Stream::new(8, 0);
        let reference = &variants[0].1;
        let mut y0 = vec![T::of(0.0); samples * b * k];
        reference
            .draw(Noise::Rows(stream, 0..samples * b), Draw::Soft(&mut y0))
            .unwrap();
        let lp0 = reference.log_prob(&y0).unwrap();
        for (name, d) in &variants {
            let d = d.clone().with_exec(exec.clone());
            assert_eq!(d.num_categories(), k);
            assert_eq!(d.batch_rows(), b);
            let what = |s: &str| format!("{} K={k} {name}: {s}", T::TYPE_NAME);
            for (a, w) in d.probs().unwrap().iter().zip(reference.probs().unwrap()) {
                assert!(
                    (a.f() - w.f()).abs() <= 4.0 * T::EPS * w.f(),
                    "{}",
                    what(&format!("probs {a} vs {w}"))
                );
            }
            for (a, w) in d.logits().unwrap().iter().zip(reference.logits().unwrap()) {
                let ok =
                    (a.f() == w.f()) || (a.f() - w.f()).abs() <= 8.0 * T::EPS * (1.0 + w.f().abs());
                assert!(ok, "{}", what(&format!("logits {a} vs {w}")));
            }
            let mut y = vec![T::of(0.0); samples * b * k];
            d.draw(Noise::Rows(stream, 0..samples * b), Draw::Soft(&mut y))
                .unwrap();
            for (a, w) in y.iter().zip(&y0) {
                // z = (l + g) / t moves by the logits' rounding (a few ulps
                // of |l| + |g| <= ~30 here) divided by t.
                let tol = 64.0 * T::EPS * w.f() * 30.0 / 0.7 + T::DENORM_MIN;
                assert!(
                    (a.f() - w.f()).abs() <= tol,
                    "{}",
                    what(&format!("sample {a} vs {w}"))
                );
            }
            let lp = d.log_prob(&y0).unwrap();
            for (i, (a, w)) in lp.iter().zip(&lp0).enumerate() {
                let yr = widen(&y0[i * k..(i + 1) * k]);
                let ly: Vec<f64> = yr.iter().map(|v| v.ln()).collect();
                let scale =
                    T::EPS * oracle::log_prob_scale(&lnp[(i % b) * k..(i % b + 1) * k], 0.7, &ly);
                let ok = a.f() == w.f() || (a.f() - w.f()).abs() <= C_IDENTITY * scale;
                assert!(ok, "{}", what(&format!("log_prob row {i}: {a} vs {w}")));
            }
        }
    }
}

#[test]
fn probs_and_logits_agree_f32() {
    parameterisations_agree::<f32>();
}

#[test]
fn probs_and_logits_agree_f64() {
    parameterisations_agree::<f64>();
}

/// A scalar temperature and the same value repeated for each of the B rows
/// give bit-identical samples and log-densities.
fn scalar_temperature_is_per_row<T: Fl>() {
    for (backend, exec) in backends("scalar_temperature_is_per_row") {
        for (k, t) in [(1usize, 0.3), (5, 0.3), (17, 2.0), (100, 1e-3)] {
            let b = 4;
            let logits: Vec<T> = cast(&logits_for(k, b, 9));
            let scalar = RelaxedOneHotCategorical::builder(k)
                .logits(&logits)
                .temperature(&[T::of(t)])
                .exec(exec.clone())
                .build()
                .unwrap()
                .into_owned()
                .unwrap();
            let rep = vec![T::of(t); b];
            let per_row = RelaxedOneHotCategorical::builder(k)
                .logits(&logits)
                .temperature(&rep)
                .exec(exec.clone())
                .build()
                .unwrap();
            assert_eq!(scalar.temperature().len(), 1);
            assert_eq!(per_row.temperature().len(), b);
            let what = |s: &str| format!("{} {backend:?} K={k} t={t}: {s}", T::TYPE_NAME);
            let s = 50;
            let y1 = scalar.rsample(&mut Generator::new(3), s).unwrap();
            let y2 = per_row.rsample(&mut Generator::new(3), s).unwrap();
            assert_bits_eq(&what("rsample"), &y1, &y2);
            let x1 = scalar.rsample_log(&mut Generator::new(3), s).unwrap();
            let x2 = per_row.rsample_log(&mut Generator::new(3), s).unwrap();
            assert_bits_eq(&what("rsample_log"), &x1, &x2);
            let (h1, _) = scalar.rsample_hard(&mut Generator::new(3), s).unwrap();
            let (h2, _) = per_row.rsample_hard(&mut Generator::new(3), s).unwrap();
            assert_bits_eq(&what("hard"), &h1, &h2);
            assert_bits_eq(
                &what("log_prob"),
                &scalar.log_prob(&y1).unwrap(),
                &per_row.log_prob(&y1).unwrap(),
            );
            assert_bits_eq(
                &what("log_prob_x"),
                &scalar.log_prob_x(&x1).unwrap(),
                &per_row.log_prob_x(&x1).unwrap(),
            );
        }
    }
}

#[test]
fn scalar_temperature_equals_repeated_per_row_f32() {
    scalar_temperature_is_per_row::<f32>();
}

#[test]
fn scalar_temperature_equals_repeated_per_row_f64() {
    scalar_temperature_is_per_row::<f64>();
}

/// Per-row temperatures: sample row `i` uses the temperature of parameter
/// row `i % B`, i.e. it equals the sample of a one-row distribution with
/// that row's logits and temperature at the same stream row.
#[test]
fn per_row_temperature_applies_to_its_row() {
    let k = 6;
    let b = 3;
    let logits: Vec<f64> = logits_for(k, b, 4);
    let temps = [0.2, 1.0, 4.0];
    let full = RelaxedOneHotCategorical::builder(k)
        .logits(&logits)
        .temperature(&temps)
        .build()
        .unwrap();
    let s = 20;
    let stream = Stream::new(77, 0);
    let mut y = vec![0.0; s * b * k];
    full.draw(Noise::Rows(stream, 0..s * b), Draw::Soft(&mut y))
        .unwrap();
    let lp = full.log_prob(&y).unwrap();
    for row in 0..b {
        let one = RelaxedOneHotCategorical::builder(k)
            .logits(&logits[row * k..(row + 1) * k])
            .temperature(&temps[row..row + 1])
            .build()
            .unwrap();
        for i in (row..s * b).step_by(b) {
            let mut yi = vec![0.0; k];
            one.draw(Noise::Rows(stream, i..i + 1), Draw::Soft(&mut yi))
                .unwrap();
            assert_bits_eq(&format!("row {i}"), &yi, &y[i * k..(i + 1) * k]);
            let lpi = one.log_prob(&yi).unwrap();
            assert_bits_eq(&format!("log_prob row {i}"), &lpi, &lp[i..i + 1]);
        }
    }
}

/// Turning validation off changes no number for valid inputs: samples and
/// log-densities are bit-identical with and without the checks.
#[test]
fn validation_switch_changes_no_values() {
    fn check<T: Fl>() {
        for k in [1usize, 3, 17, 1500] {
            let logits: Vec<T> = cast(&logits_for(k, 2, 12));
            let t = [T::of(0.4), T::of(1.5)];
            let on = RelaxedOneHotCategorical::builder(k)
                .logits(&logits)
                .temperature(&t)
                .build()
                .unwrap();
            let off = RelaxedOneHotCategorical::builder(k)
                .logits(&logits)
                .temperature(&t)
                .validate(false)
                .build()
                .unwrap();
            assert!(on.validates() && !off.validates());
            let what = |s: &str| format!("{} K={k} {s}", T::TYPE_NAME);
            assert_bits_eq(
                &what("logits"),
                &on.logits().unwrap(),
                &off.logits().unwrap(),
            );
            assert_bits_eq(&what("probs"), &on.probs().unwrap(), &off.probs().unwrap());
            let y = on.rsample(&mut Generator::new(2), 30).unwrap();
            assert_bits_eq(
                &what("rsample"),
                &y,
                &off.rsample(&mut Generator::new(2), 30).unwrap(),
            );
            let x = on.rsample_log(&mut Generator::new(2), 30).unwrap();
            assert_bits_eq(
                &what("rsample_log"),
                &x,
                &off.rsample_log(&mut Generator::new(2), 30).unwrap(),
            );
            assert_bits_eq(
                &what("log_prob"),
                &on.log_prob(&y).unwrap(),
                &off.log_prob(&y).unwrap(),
            );
            assert_bits_eq(
                &what("log_prob_x"),
                &on.log_prob_x(&x).unwrap(),
                &off.log_prob_x(&x).unwrap(),
            );
        }
    }
    check::<f32>();
    check::<f64>();
}

/// A probs row made only of subnormals (its sum is subnormal too) is valid
/// and normalises exactly: `[d, 2d, 3d, 0]` gives probs `[1/6, 1/3, 1/2, 0]`
/// and logits `ln` of those (the crate's `ln` handles subnormal inputs),
/// within a few ulps of the two logarithms `ln p - ln sum p` subtracts.
#[test]
fn all_subnormal_probs_row() {
    fn check<T: Fl>() {
        for (backend, exec) in backends("all_subnormal_probs_row") {
            let d = T::DENORM_MIN;
            let p: Vec<T> = cast(&[d, 2.0 * d, 3.0 * d, 0.0]);
            let dist = RelaxedOneHotCategorical::builder(4)
                .probs(&p)
                .temperature(&[T::of(1.0)])
                .exec(exec)
                .build()
                .unwrap()
                .into_owned()
                .unwrap();
            let want = [1.0 / 6.0, 1.0 / 3.0, 0.5, 0.0];
            for (j, (got, w)) in dist.probs().unwrap().iter().zip(want).enumerate() {
                assert!(
                    (got.f() - w).abs() <= T::EPS * w,
                    "{} {backend:?} probs[{j}] = {got}, want {w}",
                    T::TYPE_NAME
                );
                let l = dist.logits().unwrap()[j].f();
                if w == 0.0 {
                    assert_eq!(l, f64::NEG_INFINITY);
                } else {
                    // logits = ln p - ln sum p: each term ~ -100 (f32) or
                    // -740 (f64), so a few ulps of those.
                    let cond = 1.0 + 2.0 * (6.0 * d).ln().abs();
                    assert!(
                        (l - w.ln()).abs() <= 2.0 * T::EPS * cond,
                        "{} {backend:?} logits[{j}] = {l}",
                        T::TYPE_NAME
                    );
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}
