//! Statistical tests at fixed seeds, sized for two cores (the whole file
//! runs in well under ten seconds in release).
//!
//! Every test is deterministic (fixed seeds), so it either always passes or
//! always fails; the stated false-alarm rate is the probability that a
//! *correct* implementation would fail at a seed picked at random, and the
//! power is the probability of catching the stated defect.
//!
//! - category frequencies of hard samples: chi-square, p = 1e-4;
//! - Gumbel noise: Kolmogorov-Smirnov against `exp(-exp(-g))`, mean (Euler's
//!   gamma) and variance (pi^2/6) at 5 sigma, and lag correlations;
//! - the K = 2 marginal: Kolmogorov-Smirnov against its closed-form CDF;
//! - rows of soft samples sum to 1 within a pinned number of ulps;
//! - the density integrates to 1 (K = 2 and K = 3), matching Lucid's
//!   `sanity_integral_of_density` values.

use crate::common::{Fl, Inputs, cast, json_f64, oracle, reference_json};
use relaxcat::{Exec, Generator, RelaxedOneHotCategorical, Stream, gumbel_rows};

/// Euler-Mascheroni constant: the mean of the standard Gumbel distribution.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Chi-square critical value at p = 1e-4 for 4 degrees of freedom
/// (upper 1e-4 quantile of chi2(4); e.g. R `qchisq(1 - 1e-4, 4)` = 23.5127).
const CHI2_4DF_P1E4: f64 = 23.5127;

/// Kolmogorov-Smirnov: `c(alpha) = sqrt(-ln(alpha / 2) / 2)`, the asymptotic
/// critical value of `sqrt(n) D` at alpha = 1e-4.
fn ks_critical(n: usize) -> f64 {
    (-(1e-4f64 / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt()
}

/// The KS statistic of `samples` (sorted here) against the CDF `cdf`.
fn ks_statistic(samples: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = samples.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in samples.iter().enumerate() {
        let f = cdf(x);
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    d
}

/// Hard-sample frequencies against `probs`.
///
/// K = 5 categories with probabilities 0.05..0.35 (plus a masked sixth in
/// one variant, which must never be drawn), n = 200,000 draws, chi-square
/// with 4 degrees of freedom at p = 1e-4 (critical value 23.51). Power
/// (noncentral chi-square, computed by simulation): moving 0.003 of
/// probability from the largest category to the smallest (lambda = 41) is
/// caught with probability 0.96, 0.004 (lambda = 73) with 0.9999. The
/// argmax of `(l + g) / t` does not depend on `t`, so every temperature
/// must give the categorical distribution: tested at t = 0.1, 1, 10 for
/// f32 and f64 (12 tests in all: a family-wise false-alarm rate of 1.2e-3).
#[test]
fn hard_sample_frequencies_match_probs() {
    fn check<T: Fl>() {
        let probs = [0.05, 0.1, 0.2, 0.3, 0.35];
        let n = 200_000;
        for masked in [false, true] {
            let mut p: Vec<f64> = probs.to_vec();
            if masked {
                p.insert(2, 0.0);
            }
            let k = p.len();
            let p_t: Vec<T> = cast(&p);
            for (i, t) in [0.1, 1.0, 10.0].into_iter().enumerate() {
                let dist = RelaxedOneHotCategorical::<T>::builder(k)
                    .probs(&p_t)
                    .temperature(&[T::of(t)])
                    .exec(Exec::new())
                    .build()
                    .unwrap()
                    .into_owned()
                    .unwrap();
                let mut g = Generator::new(1000 + i as u64 + 10 * masked as u64);
                let (hard, _soft) = dist.rsample_hard(&mut g, n).unwrap();
                let mut counts = vec![0u64; k];
                for row in hard.chunks(k) {
                    let ones: Vec<usize> = (0..k).filter(|&j| row[j].f() == 1.0).collect();
                    assert_eq!(ones.len(), 1, "not one-hot: {row:?}");
                    assert!(row.iter().all(|v| v.f() == 0.0 || v.f() == 1.0));
                    counts[ones[0]] += 1;
                }
                let mut chi2 = 0.0;
                for j in 0..k {
                    if p[j] == 0.0 {
                        assert_eq!(counts[j], 0, "masked category drawn");
                        continue;
                    }
                    let e = n as f64 * p[j];
                    chi2 += (counts[j] as f64 - e).powi(2) / e;
                }
                println!(
                    "{} t={t} masked={masked}: counts {counts:?}, chi2 = {chi2:.2} (4 df, critical {CHI2_4DF_P1E4})",
                    T::TYPE_NAME
                );
                assert!(
                    chi2 < CHI2_4DF_P1E4,
                    "{} t={t}: chi2 {chi2} >= {CHI2_4DF_P1E4}; counts {counts:?}",
                    T::TYPE_NAME
                );
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Gumbel noise: n = 1,000,000 draws per precision (1000 rows of K = 1000).
///
/// - KS against `exp(-exp(-g))` at alpha = 1e-4 (critical D = 2.2e-3):
///   a location error of 0.012 or a 1% scale error moves the CDF by
///   >= 4.4e-3 somewhere and is caught with power > 0.99;
/// - mean within 5 standard errors (5 * 1.28e-3) of Euler's gamma and
///   variance within 5 standard errors (5 * 3.45e-3; the Gumbel excess
///   kurtosis is 12/5) of pi^2/6: false alarms about 6e-7 each;
/// - lag correlations (1, 8 and 16 elements apart: neighbouring lanes, the
///   two halves of one 64-bit output in f32, consecutive draws; and K =
///   one row apart) within 5/sqrt(n) of 0.
#[test]
fn gumbel_noise_distribution() {
    fn check<T: Fl>() {
        let k = 1000;
        let n = 1_000_000;
        let mut g = vec![T::of(0.0); n];
        gumbel_rows(&Exec::new(), Stream::new(777, 5), k, &mut g).unwrap();
        let mut x: Vec<f64> = g.iter().map(|v| v.f()).collect();
        let mean = oracle::sum(x.iter().copied()) / n as f64;
        let var = oracle::sum(x.iter().map(|v| (v - mean).powi(2))) / (n as f64 - 1.0);
        let var_theory = std::f64::consts::PI.powi(2) / 6.0;
        let se_mean = (var_theory / n as f64).sqrt();
        let se_var = var_theory * (4.4 / n as f64).sqrt();
        for lag in [1usize, 8, 16, k] {
            let c = oracle::sum((0..n - lag).map(|i| (x[i] - mean) * (x[i + lag] - mean)))
                / ((n - lag) as f64 * var);
            println!("{} lag {lag} correlation {c:.2e}", T::TYPE_NAME);
            assert!(
                c.abs() < 5.0 / (n as f64).sqrt(),
                "{} lag-{lag} correlation {c}",
                T::TYPE_NAME
            );
        }
        let d = ks_statistic(&mut x, |g| (-(-g).exp()).exp());
        println!(
            "{}: mean {mean:.5} (gamma {EULER_GAMMA:.5}, se {se_mean:.1e}), var {var:.5} (pi^2/6 {var_theory:.5}, se {se_var:.1e}), KS D {d:.2e} (critical {:.2e})",
            T::TYPE_NAME,
            ks_critical(n)
        );
        assert!(
            (mean - EULER_GAMMA).abs() < 5.0 * se_mean,
            "{} mean {mean}",
            T::TYPE_NAME
        );
        assert!(
            (var - var_theory).abs() < 5.0 * se_var,
            "{} variance {var}",
            T::TYPE_NAME
        );
        assert!(d < ks_critical(n), "{} KS D = {d}", T::TYPE_NAME);
    }
    check::<f32>();
    check::<f64>();
}

/// The K = 2 marginal in closed form: `y1 = sigmoid(x)` with
/// `x = (l1 - l2 + L) / t` and `L = g1 - g2` standard logistic, so
/// `P(ln y1 - ln y2 <= v) = sigmoid(t v - (l1 - l2))`. KS at alpha = 1e-4
/// with n = 400,000 (critical D = 3.5e-3) on the soft samples (f64) and on
/// the log-space samples (f32 and f64), at t = 0.5 and 2. A temperature
/// wrong by 1.5% (or logits shifted by 0.015) moves this CDF by >= 3.7e-3
/// and is caught with power ~0.6; by 3%, with power > 0.99.
#[test]
fn k2_marginal_matches_closed_form() {
    fn check<T: Fl>(log_space: bool) {
        let logits = [0.3, -0.9];
        let dl = logits[0] - logits[1];
        let n = 400_000;
        for (i, t) in [0.5, 2.0].into_iter().enumerate() {
            let dist = RelaxedOneHotCategorical::<T>::builder(2)
                .logits(&cast::<T>(&logits))
                .temperature(&[T::of(t)])
                .exec(Exec::new())
                .build()
                .unwrap()
                .into_owned()
                .unwrap();
            let mut g = Generator::new(4242 + i as u64 + 10 * log_space as u64);
            let mut v: Vec<f64> = if log_space {
                dist.rsample_log(&mut g, n)
                    .unwrap()
                    .chunks(2)
                    .map(|r| r[0].f() - r[1].f())
                    .collect()
            } else {
                dist.rsample(&mut g, n)
                    .unwrap()
                    .chunks(2)
                    .map(|r| r[0].f().ln() - r[1].f().ln())
                    .collect()
            };
            assert!(
                v.iter().all(|x| x.is_finite()),
                "non-finite logit of a sample"
            );
            let t_eff = T::of(t).f();
            let d = ks_statistic(&mut v, |x| 1.0 / (1.0 + (-(t_eff * x - dl)).exp()));
            println!(
                "{} t={t} log_space={log_space}: KS D {d:.2e} (critical {:.2e})",
                T::TYPE_NAME,
                ks_critical(n)
            );
            assert!(
                d < ks_critical(n),
                "{} t={t} log_space={log_space}: KS D = {d}",
                T::TYPE_NAME
            );
        }
    }
    check::<f64>(false);
    check::<f64>(true);
    check::<f32>(true);
}

/// Soft sample rows sum to 1: `|sum_f64(y) - 1| <= (3 + sqrt K / 8) eps`.
///
/// The sample is `y = e * (1/s)`: one rounding in `1/s`, one per product,
/// plus the rounding of the fixed-order sum `s`, which grows like `sqrt K`
/// for these rows. Measured worst in eps (f32 / f64, 1e6 elements per
/// (K, t), t in {0.1, 1, 10}): K=1 0/0, 2 0.75/1.0, 5 1.63/2.0, 16 2.04/2.0,
/// 100 2.51/2.0, 1000 3.20/3.5, 4097 5.05/3.5 (worst over the kernel
/// versions seen so far); the bound keeps 1.5-2x headroom.
#[test]
fn soft_rows_sum_to_one() {
    fn check<T: Fl>() {
        let exec = Exec::new();
        for k in [1usize, 2, 5, 16, 100, 1000, 4097] {
            let mut worst = 0.0f64;
            for (i, t) in [0.1, 1.0, 10.0].into_iter().enumerate() {
                let mut r = Inputs::new(k as u64);
                let logits: Vec<T> = cast(&(0..k).map(|_| 2.0 * r.normalish()).collect::<Vec<_>>());
                let dist = RelaxedOneHotCategorical::<T>::builder(k)
                    .logits(&logits)
                    .temperature(&[T::of(t)])
                    .exec(exec.clone())
                    .build()
                    .unwrap()
                    .into_owned()
                    .unwrap();
                let rows = (1_000_000 / k).max(1);
                let y = dist
                    .rsample(&mut Generator::new(90 + i as u64), rows)
                    .unwrap();
                for row in y.chunks(k) {
                    let s = oracle::sum(row.iter().map(|v| v.f()));
                    worst = worst.max((s - 1.0).abs() / T::EPS);
                }
            }
            let bound = 3.0 + (k as f64).sqrt() / 8.0;
            println!(
                "{} K={k}: worst |sum - 1| = {worst:.2} eps (bound {bound:.2})",
                T::TYPE_NAME
            );
            assert!(
                worst <= bound,
                "{} K={k}: |sum - 1| = {worst} eps > {bound}",
                T::TYPE_NAME
            );
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Trapezoidal rule over `[center - half, center + half]` with step `h`.
fn trapezoid(center: f64, half: f64, h: f64) -> Vec<f64> {
    let n = (2.0 * half / h).ceil() as i64;
    (0..=n).map(|i| center - half + i as f64 * h).collect()
}

/// `y = softmax([x, 0])` without cancellation: `(sigmoid(x), sigmoid(-x))`.
fn sigmoid_pair(x: f64) -> [f64; 2] {
    if x >= 0.0 {
        let e = (-x).exp();
        [1.0 / (1.0 + e), e / (1.0 + e)]
    } else {
        let e = x.exp();
        [e / (1.0 + e), 1.0 / (1.0 + e)]
    }
}

/// The K = 2 density integrates to 1 over the open simplex.
///
/// With `y = (sigmoid(x), sigmoid(-x))`, `dy1 = y1 y2 dx`, so
/// `int_0^1 p(y1) dy1 = int exp(log_prob(y) + ln y1 + ln y2) dx`. In `x` the
/// integrand is a logistic density of scale `1/t` (smooth, exponential
/// tails), so the trapezoidal rule with step `0.2/t` over `+-80/t` is
/// accurate to ~1e-15; the result is within 1e-12 of 1 in f64 (the
/// log-densities are good to ~1e-15 relative; measured 1e-15) and 1e-6 in
/// f32 (values rounded to f32, so the integrand is evaluated at slightly
/// moved points; measured worst 3.2e-8).
/// The same integral of `exp(log_prob_x(ln y))` (no Jacobian needed: it is
/// the density of `ln y`) is checked too. Lucid's
/// `sanity_integral_of_density` values (their numerical integration, good to
/// ~4e-9) are matched within 1e-6.
#[test]
fn density_integrates_to_one_k2() {
    let lucid = reference_json("lucid_formula_f64.json")["sanity_integral_of_density"]
        .as_object()
        .cloned()
        .expect("lucid_formula_f64.json: sanity_integral_of_density");
    fn integral<T: Fl>(t: f64, log_space: bool) -> f64 {
        let logits = [0.107, -1.6317];
        let dist = RelaxedOneHotCategorical::<T>::builder(2)
            .logits(&cast::<T>(&logits))
            .temperature(&[T::of(t)])
            .exec(Exec::new())
            .build()
            .unwrap()
            .into_owned()
            .unwrap();
        let t_eff = T::of(t).f();
        let h = 0.2 / t_eff;
        let xs = trapezoid((logits[0] - logits[1]) / t_eff, 80.0 / t_eff, h);
        let ys: Vec<[f64; 2]> = xs.iter().map(|&x| sigmoid_pair(x)).collect();
        let values: Vec<f64> = if log_space {
            ys.iter().flat_map(|y| [y[0].ln(), y[1].ln()]).collect()
        } else {
            ys.iter().flat_map(|y| *y).collect()
        };
        let lp = if log_space {
            dist.log_prob_x(&cast::<T>(&values))
        } else {
            dist.log_prob(&cast::<T>(&values))
        }
        .unwrap();
        let terms = lp.iter().zip(&ys).map(|(lp, y)| {
            let jac = if log_space {
                0.0
            } else {
                y[0].ln() + y[1].ln()
            };
            (lp.f() + jac).exp()
        });
        h * oracle::sum(terms)
    }
    for t in [0.1, 0.5, 1.0, 2.0] {
        let mut cases = vec![
            ("f64 log_prob", integral::<f64>(t, false), 1e-12),
            ("f64 log_prob_x", integral::<f64>(t, true), 1e-12),
            ("f32 log_prob_x", integral::<f32>(t, true), 1e-6),
        ];
        // At t = 0.1 about 2e-4 of the mass has a component below f32's
        // subnormal range, where the f32 value is an exact 0 (the boundary,
        // density -inf): only the log-space form can integrate it in f32.
        if t >= 0.5 {
            cases.push(("f32 log_prob", integral::<f32>(t, false), 1e-6));
        }
        for (name, value, tol) in cases {
            println!("K=2 t={t} {name}: integral {value:.15}");
            assert!(
                (value - 1.0).abs() <= tol,
                "K=2 t={t} {name}: integral {value}"
            );
            // The f32 integrals use f32 temperatures: compare those to 1 only.
            if name.starts_with("f64") {
                let key = format!("K=2,tau={t:?}");
                if let Some(v) = lucid.get(&key) {
                    let v = json_f64(v);
                    assert!(
                        (value - v).abs() <= 1e-6,
                        "{key}: ours {value}, Lucid's {v}"
                    );
                }
            }
        }
    }
}

/// K = 3, in additive log-ratio coordinates `y = softmax([x1, x2, 0])`,
/// whose Jacobian is `y1 y2 y3`: `int exp(log_prob(y) + sum ln y) dx =
/// int exp(log_prob_x(ln y)) dx = 1`. A 2-D trapezoidal rule with step
/// `0.25/t` over `+-40/t` (about 100,000 points) is accurate to ~1e-12 here;
/// asserted within 1e-9 of 1 and 1e-6 of Lucid's values (K = 3, tau = 1, 2).
#[test]
fn density_integrates_to_one_k3() {
    let lucid = reference_json("lucid_formula_f64.json")["sanity_integral_of_density"]
        .as_object()
        .cloned()
        .expect("lucid_formula_f64.json: sanity_integral_of_density");
    let logits = [0.4, -0.2, -1.1];
    for t in [0.5, 1.0, 2.0] {
        let dist = RelaxedOneHotCategorical::<f64>::builder(3)
            .logits(&logits)
            .temperature(&[t])
            .exec(Exec::new())
            .build()
            .unwrap()
            .into_owned()
            .unwrap();
        let h = 0.25 / t;
        let x1 = trapezoid((logits[0] - logits[2]) / t, 40.0 / t, h);
        let x2 = trapezoid((logits[1] - logits[2]) / t, 40.0 / t, h);
        let mut ly = Vec::with_capacity(x1.len() * x2.len() * 3);
        for &a in &x1 {
            for &b in &x2 {
                let lse = oracle::logsumexp(&[a, b, 0.0]);
                ly.extend_from_slice(&[a - lse, b - lse, -lse]);
            }
        }
        let y: Vec<f64> = ly.iter().map(|v| v.exp()).collect();
        let lpx = dist.log_prob_x(&ly).unwrap();
        let lp = dist.log_prob(&y).unwrap();
        let via_x = h * h * oracle::sum(lpx.iter().map(|v| v.exp()));
        let via_y = h
            * h
            * oracle::sum(lp.iter().zip(ly.chunks(3)).map(|(v, l)| {
                let jac = l[0] + l[1] + l[2];
                // y underflows to 0 far out in the tails: -inf + finite = -inf.
                if jac.is_finite() {
                    (v + jac).exp()
                } else {
                    0.0
                }
            }));
        println!("K=3 t={t}: integral via log_prob_x {via_x:.14}, via log_prob {via_y:.14}");
        assert!((via_x - 1.0).abs() <= 1e-9, "K=3 t={t}: {via_x}");
        assert!((via_y - 1.0).abs() <= 1e-9, "K=3 t={t}: {via_y}");
        if let Some(v) = lucid.get(&format!("K=3,tau={t:?}")) {
            let v = json_f64(v);
            assert!(
                (via_x - v).abs() <= 1e-6,
                "K=3 tau={t}: ours {via_x}, Lucid's {v}"
            );
        }
    }
}
