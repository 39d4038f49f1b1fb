//! The gradient kernels: central finite differences in f64 against every
//! gradient, sum rules, masked and underflowed categories, the fused
//! forward pass, bit-identical results over backends and thread counts, and
//! shape errors that leave the outputs untouched.
//!
//! Error measure: for a gradient vector `g` and its finite-difference
//! estimate `d` (on the components probed), `max |g - d| / max |g|`, the
//! relative error in the max norm. Components of a gradient can be many
//! orders of magnitude apart (a category with `y ~ 1e-30` next to one with
//! `y ~ 1`); the FD noise floor is set by the function's size, so
//! componentwise relative error is not measurable for the small ones.

use relaxcat::{
    Backend, Exec, LogProbGrads, ParamGrads, ProbsGrad, RelaxedOneHotCategorical, SampleForm,
    Stream,
};
use relaxcat::{Draw, Noise};
use std::cell::RefCell;
use std::collections::BTreeMap;

type Dist<'a> = RelaxedOneHotCategorical<'a, f64>;

// ---------------------------------------------------------------------------
// Test inputs
// ---------------------------------------------------------------------------

/// SplitMix64: deterministic test inputs.
struct Rand(u64);

impl Rand {
    fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unif(&mut self) -> f64 {
        ((self.u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unif(), self.unif());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.u64() % n as u64) as usize
    }
}

/// One random problem: `S x B` rows of `K`.
#[derive(Clone, Debug)]
struct Case {
    k: usize,
    b: usize,
    s: usize,
    /// Raw logits, `B x K` (`-inf` masks).
    logits: Vec<f64>,
    /// One or `B` temperatures.
    t: Vec<f64>,
    seed: u64,
}

impl Case {
    fn new(
        rng: &mut Rand,
        k: usize,
        b: usize,
        s: usize,
        t: f64,
        per_row_t: bool,
        mask: bool,
    ) -> Case {
        let mut logits: Vec<f64> = (0..b * k).map(|_| 1.5 * rng.normal() + 0.3).collect();
        if mask && k >= 3 {
            for row in logits.chunks_mut(k) {
                let masked = 1 + rng.below(k / 3 + 1);
                for _ in 0..masked {
                    row[rng.below(k)] = f64::NEG_INFINITY;
                }
                if row.iter().all(|v| *v == f64::NEG_INFINITY) {
                    row[0] = 0.0;
                }
            }
        }
        let t = if per_row_t {
            (0..b).map(|i| t * (1.0 + 0.25 * i as f64)).collect()
        } else {
            vec![t]
        };
        Case {
            k,
            b,
            s,
            logits,
            t,
            seed: rng.u64(),
        }
    }
    fn n(&self) -> usize {
        self.s * self.b
    }
    fn dist(&self, logits: &[f64], t: &[f64]) -> Dist<'static> {
        RelaxedOneHotCategorical::builder(self.k)
            .temperature(t)
            .logits(logits)
            .exec(Exec::serial())
            .build()
            .unwrap()
            .into_owned()
            .unwrap()
    }
    fn stream(&self) -> Stream {
        Stream::new(self.seed, 3)
    }
    fn soft(&self, d: &Dist) -> Vec<f64> {
        let mut y = vec![0.0; self.n() * self.k];
        d.draw(Noise::Rows(self.stream(), 0..self.n()), Draw::Soft(&mut y))
            .unwrap();
        y
    }
    fn log(&self, d: &Dist) -> Vec<f64> {
        let mut x = vec![0.0; self.n() * self.k];
        d.draw(Noise::Rows(self.stream(), 0..self.n()), Draw::Log(&mut x))
            .unwrap();
        x
    }
}

/// Fourth-order central difference of `f` at `x0` with step `h`.
fn fd(f: &dyn Fn(f64) -> f64, x0: f64, h: f64) -> f64 {
    (-f(x0 + 2.0 * h) + 8.0 * f(x0 + h) - 8.0 * f(x0 - h) + f(x0 - 2.0 * h)) / (12.0 * h)
}

/// Up to `max` component indices of `0..n`, all of them when few.
fn probe(rng: &mut Rand, n: usize, max: usize, skip: impl Fn(usize) -> bool) -> Vec<usize> {
    let all: Vec<usize> = (0..n).filter(|&i| !skip(i)).collect();
    if all.len() <= max {
        return all;
    }
    (0..max).map(|_| all[rng.below(all.len())]).collect()
}

/// The max-norm relative error of `g` against FD values `(index, d)`.
fn rel_err(g: &[f64], fds: &[(usize, f64)]) -> f64 {
    let scale = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = fds
        .iter()
        .fold(0.0f64, |m, &(i, d)| m.max((g[i] - d).abs()));
    if scale == 0.0 { worst } else { worst / scale }
}

thread_local! {
    /// The worst error seen per gradient, in this test's thread.
    static WORST: RefCell<BTreeMap<String, f64>> = const { RefCell::new(BTreeMap::new()) };
}

fn record(what: &str, case: &Case, err: f64, tol: f64) {
    WORST.with(|w| {
        let mut w = w.borrow_mut();
        let e = w.entry(what.to_string()).or_insert(0.0);
        *e = e.max(err);
    });
    assert!(
        err <= tol,
        "{what}: relative error {err:e} > {tol:e} (K={} B={} S={} t={:?})",
        case.k,
        case.b,
        case.s,
        case.t
    );
}

fn report() {
    WORST.with(|w| {
        for (what, err) in w.borrow().iter() {
            println!("{what}: worst relative error {err:.2e}");
        }
    });
}

fn cases(rng: &mut Rand) -> Vec<Case> {
    let mut out = Vec::new();
    let ks = [2usize, 3, 5, 8, 9, 17, 64, 100, 1000];
    let ts = [0.05, 0.2, 1.0, 3.7, 10.0];
    for (i, &k) in ks.iter().enumerate() {
        for (j, &t) in ts.iter().enumerate() {
            let b = 1 + (i + j) % 3;
            let s = 1 + (i * 7 + j) % 3;
            let per_row_t = (i + 2 * j) % 2 == 0;
            let mask = (i + j) % 3 != 1;
            out.push(Case::new(rng, k, b, s, t, per_row_t, mask));
        }
    }
    out
}

const FD_TOL: f64 = 1e-6;

// ---------------------------------------------------------------------------
// rsample
// ---------------------------------------------------------------------------

/// Gradients of `sum ybar . y` (or `sum xbar . x` with `log`) from every
/// sample form: `(lbar, tbar)` for each of Soft, Log, Both.
fn rsample_grads(
    case: &Case,
    d: &Dist,
    log_cot: bool,
    upstream: &[f64],
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let (y, x) = (case.soft(d), case.log(d));
    let forms = [
        SampleForm::Soft(&y),
        SampleForm::Log(&x),
        SampleForm::Both { soft: &y, log: &x },
    ];
    forms
        .into_iter()
        .filter(|f| !(log_cot && matches!(f, SampleForm::Soft(_))))
        .map(|form| {
            let mut gl = vec![f64::NAN; case.b * case.k];
            let mut gt = vec![f64::NAN; case.t.len()];
            let grads = ParamGrads {
                logits: Some(&mut gl),
                temperature: Some(&mut gt),
                probs: None,
            };
            if log_cot {
                d.rsample_log_backward(form, upstream, grads).unwrap();
            } else {
                d.rsample_backward(form, upstream, grads).unwrap();
            }
            (gl, gt)
        })
        .collect()
}

/// `sum ybar . y` (or `sum xbar . x` over unmasked categories with `log`),
/// in f64. The soft form is written `sum_{k != p} (ybar_k - ybar_p) y_k`
/// (plus the constant `ybar_p`), with `p` the row's argmax in the
/// unperturbed sample (`pivots`): the same function, but it does not
/// round away changes of `y_p = 1 - 1e-20` at low temperatures.
fn rsample_objective(
    case: &Case,
    d: &Dist,
    log_cot: bool,
    upstream: &[f64],
    pivots: &[usize],
) -> f64 {
    let k = case.k;
    if log_cot {
        case.log(d)
            .iter()
            .zip(upstream)
            .filter(|(x, _)| x.is_finite())
            .map(|(x, u)| x * u)
            .sum()
    } else {
        let y = case.soft(d);
        let mut f = 0.0;
        for (i, (row, up)) in y.chunks(k).zip(upstream.chunks(k)).enumerate() {
            let p = pivots[i];
            f += row
                .iter()
                .zip(up)
                .enumerate()
                .filter(|(j, _)| *j != p)
                .map(|(_, (y, u))| (u - up[p]) * y)
                .sum::<f64>();
        }
        f
    }
}

/// The argmax of each row of `y`.
fn argmax_rows(y: &[f64], k: usize) -> Vec<usize> {
    y.chunks(k)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold(0, |best, (j, v)| if *v > row[best] { j } else { best })
        })
        .collect()
}

fn check_rsample_fd(log_cot: bool) {
    let mut rng = Rand(if log_cot { 11 } else { 7 });
    for case in cases(&mut rng) {
        let (k, n) = (case.k, case.n());
        let upstream: Vec<f64> = (0..n * k).map(|_| rng.normal()).collect();
        let d = case.dist(&case.logits, &case.t);
        let pivots = argmax_rows(&case.soft(&d), k);
        for (gl, gt) in rsample_grads(&case, &d, log_cot, &upstream) {
            // Masked categories: exactly 0.
            for (i, l) in case.logits.iter().enumerate() {
                if *l == f64::NEG_INFINITY {
                    assert_eq!(gl[i], 0.0);
                }
            }
            let t_min = case.t.iter().cloned().fold(f64::INFINITY, f64::min);
            let idx = probe(&mut rng, gl.len(), 48, |i| {
                case.logits[i] == f64::NEG_INFINITY
            });
            let fds: Vec<(usize, f64)> = idx
                .iter()
                .map(|&i| {
                    let f = |v: f64| {
                        let mut l = case.logits.clone();
                        l[i] = v;
                        rsample_objective(
                            &case,
                            &case.dist(&l, &case.t),
                            log_cot,
                            &upstream,
                            &pivots,
                        )
                    };
                    (i, fd(&f, case.logits[i], 1e-3 * t_min))
                })
                .collect();
            record("rsample logits", &case, rel_err(&gl, &fds), FD_TOL);
            let fds: Vec<(usize, f64)> = (0..case.t.len())
                .map(|j| {
                    let f = |v: f64| {
                        let mut t = case.t.clone();
                        t[j] = v;
                        rsample_objective(
                            &case,
                            &case.dist(&case.logits, &t),
                            log_cot,
                            &upstream,
                            &pivots,
                        )
                    };
                    (j, fd(&f, case.t[j], 1e-3 * case.t[j]))
                })
                .collect();
            record("rsample temperature", &case, rel_err(&gt, &fds), FD_TOL);
        }
    }
}

#[test]
fn rsample_backward_matches_finite_differences() {
    check_rsample_fd(false);
    report();
}

#[test]
fn rsample_log_backward_matches_finite_differences() {
    check_rsample_fd(true);
    report();
}

#[test]
fn rsample_probs_gradient_matches_finite_differences() {
    let mut rng = Rand(5);
    for &(k, t) in &[(2usize, 0.5), (7, 0.05), (40, 2.0), (1000, 1.0)] {
        let b = 2;
        let mut probs: Vec<f64> = (0..b * k).map(|_| 0.1 + 2.0 * rng.unif()).collect();
        probs[1] = 0.0;
        let case = Case::new(&mut rng, k, b, 2, t, false, false);
        let build = |p: &[f64]| {
            RelaxedOneHotCategorical::builder(k)
                .temperature(&[t])
                .probs(p)
                .exec(Exec::serial())
                .build()
                .unwrap()
                .into_owned()
                .unwrap()
        };
        let d = build(&probs);
        let y = case.soft(&d);
        let pivots = argmax_rows(&y, k);
        let upstream: Vec<f64> = (0..y.len()).map(|_| rng.normal()).collect();
        let mut gp = vec![f64::NAN; b * k];
        let grads = ParamGrads {
            probs: Some(ProbsGrad {
                given: &probs,
                out: &mut gp,
            }),
            ..Default::default()
        };
        d.rsample_backward(SampleForm::Soft(&y), &upstream, grads)
            .unwrap();
        assert_eq!(gp[1], 0.0);
        let idx = probe(&mut rng, b * k, 48, |i| probs[i] == 0.0);
        let fds: Vec<(usize, f64)> = idx
            .iter()
            .map(|&i| {
                let f = |v: f64| {
                    let mut p = probs.clone();
                    p[i] = v;
                    rsample_objective(&case, &build(&p), false, &upstream, &pivots)
                };
                (i, fd(&f, probs[i], 1e-3 * t * probs[i]))
            })
            .collect();
        record("rsample probs", &case, rel_err(&gp, &fds), FD_TOL);
    }
    report();
}

// ---------------------------------------------------------------------------
// log_prob
// ---------------------------------------------------------------------------

struct LpGrads {
    logits: Vec<f64>,
    t: Vec<f64>,
    value: Vec<f64>,
    lp: Vec<f64>,
}

fn log_prob_grads(d: &Dist, log_space: bool, value: &[f64], upstream: &[f64]) -> LpGrads {
    let (k, b, nt) = (d.num_categories(), d.batch_rows(), d.temperature().len());
    let n = value.len() / k;
    let mut g = LpGrads {
        logits: vec![f64::NAN; b * k],
        t: vec![f64::NAN; nt],
        value: vec![f64::NAN; n * k],
        lp: vec![f64::NAN; n],
    };
    let grads = LogProbGrads {
        params: ParamGrads {
            logits: Some(&mut g.logits),
            temperature: Some(&mut g.t),
            probs: None,
        },
        value: Some(&mut g.value),
        log_prob: Some(&mut g.lp),
    };
    if log_space {
        d.log_prob_x_backward(value, upstream, grads).unwrap();
    } else {
        d.log_prob_backward(value, upstream, grads).unwrap();
    }
    g
}

fn log_prob_objective(d: &Dist, log_space: bool, value: &[f64], upstream: &[f64]) -> f64 {
    let lp = if log_space {
        d.log_prob_x(value).unwrap()
    } else {
        d.log_prob(value).unwrap()
    };
    lp.iter().zip(upstream).map(|(a, b)| a * b).sum()
}

fn check_log_prob_fd(log_space: bool) {
    let mut rng = Rand(if log_space { 23 } else { 19 });
    for case in cases(&mut rng) {
        let (k, n) = (case.k, case.n());
        let d = case.dist(&case.logits, &case.t);
        let value = if log_space {
            case.log(&d)
        } else {
            case.soft(&d)
        };
        // Rows whose density is not finite (a y that underflowed in f64)
        // are another test's business.
        let lp_ref = if log_space {
            d.log_prob_x(&value).unwrap()
        } else {
            d.log_prob(&value).unwrap()
        };
        if lp_ref.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let upstream: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let g = log_prob_grads(&d, log_space, &value, &upstream);
        for (a, b) in g.lp.iter().zip(&lp_ref) {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "log_prob {a} vs log_prob_into {b}"
            );
        }
        for (i, l) in case.logits.iter().enumerate() {
            if *l == f64::NEG_INFINITY {
                assert_eq!(g.logits[i], 0.0);
            }
        }
        let t_min = case.t.iter().cloned().fold(f64::INFINITY, f64::min);
        let idx = probe(&mut rng, b_k(&case), 48, |i| {
            case.logits[i] == f64::NEG_INFINITY
        });
        let fds: Vec<(usize, f64)> = idx
            .iter()
            .map(|&i| {
                let f = |v: f64| {
                    let mut l = case.logits.clone();
                    l[i] = v;
                    log_prob_objective(&case.dist(&l, &case.t), log_space, &value, &upstream)
                };
                (i, fd(&f, case.logits[i], 1e-3 * t_min.max(0.1)))
            })
            .collect();
        record("log_prob logits", &case, rel_err(&g.logits, &fds), FD_TOL);
        let fds: Vec<(usize, f64)> = (0..case.t.len())
            .map(|j| {
                let f = |v: f64| {
                    let mut t = case.t.clone();
                    t[j] = v;
                    log_prob_objective(&case.dist(&case.logits, &t), log_space, &value, &upstream)
                };
                (j, fd(&f, case.t[j], 1e-3 * case.t[j]))
            })
            .collect();
        record("log_prob temperature", &case, rel_err(&g.t, &fds), FD_TOL);
        // Value: off the simplex, so without validation.
        let dv = RelaxedOneHotCategorical::builder(k)
            .temperature(&case.t)
            .logits(&case.logits)
            .validate(false)
            .exec(Exec::serial())
            .build()
            .unwrap();
        let idx = probe(&mut rng, n * k, 48, |i| {
            case.logits[i % (case.b * k)] == f64::NEG_INFINITY
        });
        for (i, l) in value.iter().enumerate() {
            if case.logits[i % (case.b * k)] == f64::NEG_INFINITY {
                assert_eq!(g.value[i], 0.0, "value gradient of a masked category");
                let _ = l;
            }
        }
        let fds: Vec<(usize, f64)> = idx
            .iter()
            .map(|&i| {
                let row = i / k;
                let f = |v: f64| {
                    let mut val = value[row * k..(row + 1) * k].to_vec();
                    val[i % k] = v;
                    // Only row `row` changes: score it against its parameter row.
                    let lp = one_row_log_prob(&dv, log_space, row % case.b, &val);
                    lp * upstream[row]
                };
                let h = if log_space { 1e-3 } else { 1e-4 * value[i] };
                (i, fd(&f, value[i], h))
            })
            .collect();
        record("log_prob value", &case, rel_err(&g.value, &fds), FD_TOL);
    }
}

fn b_k(case: &Case) -> usize {
    case.b * case.k
}

/// The log-density of one value row scored against parameter row `b`.
fn one_row_log_prob(d: &Dist, log_space: bool, b: usize, row: &[f64]) -> f64 {
    let k = d.num_categories();
    let mut values = vec![1.0 / k as f64; d.batch_rows() * k];
    values[b * k..(b + 1) * k].copy_from_slice(row);
    let lp = if log_space {
        let mut v = values.clone();
        for (i, x) in v.iter_mut().enumerate() {
            if i / k != b {
                *x = x.ln();
            }
        }
        d.log_prob_x(&v).unwrap()
    } else {
        d.log_prob(&values).unwrap()
    };
    lp[b]
}

#[test]
fn log_prob_backward_matches_finite_differences() {
    check_log_prob_fd(false);
    report();
}

#[test]
fn log_prob_x_backward_matches_finite_differences() {
    check_log_prob_fd(true);
    report();
}

#[test]
fn log_prob_probs_gradient_matches_finite_differences() {
    let mut rng = Rand(29);
    for &(k, t) in &[
        (2usize, 0.5),
        (7, 0.05),
        (40, 2.0),
        (1000, 1.0),
        (333, 10.0),
    ] {
        let b = 2;
        let mut probs: Vec<f64> = (0..b * k).map(|_| 0.1 + 2.0 * rng.unif()).collect();
        if k > 2 {
            probs[k + 1] = 0.0;
        }
        let case = Case::new(&mut rng, k, b, 2, t, true, false);
        let ts = case.t.clone();
        let build = |p: &[f64]| {
            RelaxedOneHotCategorical::builder(k)
                .temperature(&ts)
                .probs(p)
                .exec(Exec::serial())
                .build()
                .unwrap()
                .into_owned()
                .unwrap()
        };
        let d = build(&probs);
        let value = case.soft(&d);
        let upstream: Vec<f64> = (0..case.n()).map(|_| rng.normal()).collect();
        let mut gp = vec![f64::NAN; b * k];
        let grads = LogProbGrads {
            params: ParamGrads {
                probs: Some(ProbsGrad {
                    given: &probs,
                    out: &mut gp,
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        d.log_prob_backward(&value, &upstream, grads).unwrap();
        if k > 2 {
            assert_eq!(gp[k + 1], 0.0);
        }
        let idx = probe(&mut rng, b * k, 48, |i| probs[i] == 0.0);
        let fds: Vec<(usize, f64)> = idx
            .iter()
            .map(|&i| {
                let f = |v: f64| {
                    let mut p = probs.clone();
                    p[i] = v;
                    log_prob_objective(&build(&p), false, &value, &upstream)
                };
                (i, fd(&f, probs[i], 1e-4 * probs[i]))
            })
            .collect();
        record("log_prob probs", &case, rel_err(&gp, &fds), FD_TOL);
    }
    report();
}

// ---------------------------------------------------------------------------
// Sum rules, special rows
// ---------------------------------------------------------------------------

#[test]
fn logits_gradients_sum_to_zero_per_row() {
    let mut rng = Rand(31);
    for case in cases(&mut rng) {
        let (k, n) = (case.k, case.n());
        let d = case.dist(&case.logits, &case.t);
        let upstream: Vec<f64> = (0..n * k).map(|_| rng.normal()).collect();
        for log_cot in [false, true] {
            for (gl, _) in rsample_grads(&case, &d, log_cot, &upstream) {
                for row in gl.chunks(k) {
                    let sum: f64 = row.iter().sum();
                    let abs: f64 = row.iter().map(|v| v.abs()).sum();
                    assert!(
                        sum.abs() <= 1e-13 * abs.max(1e-300),
                        "rsample lbar row sums to {sum:e} (|.| {abs:e})"
                    );
                }
            }
        }
        let value = case.soft(&d);
        if d.log_prob(&value).unwrap().iter().all(|v| v.is_finite()) {
            let g = log_prob_grads(&d, false, &value, &upstream[..n]);
            for row in g.logits.chunks(k) {
                let sum: f64 = row.iter().sum();
                let abs: f64 = row.iter().map(|v| v.abs()).sum();
                assert!(
                    sum.abs() <= 1e-13 * abs.max(1e-300),
                    "log_prob lbar row sums to {sum:e} (|.| {abs:e})"
                );
            }
        }
    }
}

/// f32 at low temperature: many components of y underflow to 0; the
/// gradients stay finite, the forms agree with each other, and they agree
/// with the f64 gradients of the same inputs.
#[test]
fn underflowed_components_f32() {
    let mut rng = Rand(37);
    let (k, b, s, t) = (1000usize, 2usize, 2usize, 0.05f32);
    let logits: Vec<f32> = (0..b * k).map(|_| 3.0 * rng.normal() as f32).collect();
    let d32 = RelaxedOneHotCategorical::<f32>::from_logits(&[t], &logits, k)
        .unwrap()
        .into_owned()
        .unwrap();
    let stream = Stream::new(99, 0);
    let n = s * b;
    let (mut y, mut x) = (vec![0f32; n * k], vec![0f32; n * k]);
    d32.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
        .unwrap();
    d32.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
        .unwrap();
    let zeros = y.iter().filter(|v| **v == 0.0).count();
    assert!(zeros > n * k / 2, "expected underflow, got {zeros} zeros");
    let up: Vec<f32> = (0..n * k).map(|_| rng.normal() as f32).collect();
    let run = |log_cot: bool, form: SampleForm<'_, f32>| {
        let (mut gl, mut gt) = (vec![0f32; b * k], vec![0f32; 1]);
        let g = ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        };
        if log_cot {
            d32.rsample_log_backward(form, &up, g).unwrap();
        } else {
            d32.rsample_backward(form, &up, g).unwrap();
        }
        assert!(gl.iter().chain(&gt).all(|v| v.is_finite()));
        (gl, gt)
    };
    // f64 reference from the f32 sample's log-space form.
    let d64 = RelaxedOneHotCategorical::<f64>::from_logits(
        &[t as f64],
        &logits.iter().map(|&v| v as f64).collect::<Vec<_>>(),
        k,
    )
    .unwrap()
    .into_owned()
    .unwrap();
    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let up64: Vec<f64> = up.iter().map(|&v| v as f64).collect();
    for log_cot in [false, true] {
        let (mut gl, mut gt) = (vec![0f64; b * k], vec![0f64; 1]);
        let g = ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        };
        if log_cot {
            d64.rsample_log_backward(SampleForm::Log(&x64), &up64, g)
                .unwrap();
        } else {
            d64.rsample_backward(SampleForm::Log(&x64), &up64, g)
                .unwrap();
        }
        let forms: Vec<SampleForm<'_, f32>> = if log_cot {
            vec![SampleForm::Log(&x), SampleForm::Both { soft: &y, log: &x }]
        } else {
            vec![
                SampleForm::Soft(&y),
                SampleForm::Log(&x),
                SampleForm::Both { soft: &y, log: &x },
            ]
        };
        for form in forms {
            let (gl32, gt32) = run(log_cot, form);
            let scale = gl.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = gl
                .iter()
                .zip(&gl32)
                .fold(0.0f64, |m, (a, b)| m.max((a - *b as f64).abs()))
                / scale;
            assert!(err < 1e-4, "f32 logits gradient vs f64: {err:e}");
            let terr = (gt[0] - gt32[0] as f64).abs() / gt[0].abs().max(scale);
            assert!(
                terr < 1e-3,
                "f32 temperature gradient vs f64: {terr:e} ({} vs {})",
                gt32[0],
                gt[0]
            );
        }
    }
}

#[test]
fn outside_the_support_contributes_zero() {
    let k = 4;
    let logits = [0.1, f64::NEG_INFINITY, 0.5, -0.2];
    let d = RelaxedOneHotCategorical::<f64>::from_logits(&[0.7], &logits, k).unwrap();
    // Row 0: mass on the masked category; row 1: a zero on an unmasked one;
    // row 2: inside.
    let value = [0.3, 0.2, 0.3, 0.2, 0.5, 0.0, 0.5, 0.0, 0.25, 0.0, 0.5, 0.25];
    let up = [1.0, 2.0, 3.0];
    let mut gl = vec![f64::NAN; k];
    let mut gv = vec![f64::NAN; 3 * k];
    let mut lp = vec![f64::NAN; 3];
    let mut gt = vec![f64::NAN; 1];
    let grads = LogProbGrads {
        params: ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
        value: Some(&mut gv),
        log_prob: Some(&mut lp),
    };
    d.log_prob_backward(&value, &up, grads).unwrap();
    assert_eq!(lp[0], f64::NEG_INFINITY);
    assert_eq!(lp[1], f64::NEG_INFINITY);
    assert!(lp[2].is_finite());
    assert!(gv[..8].iter().all(|v| *v == 0.0));
    // Only row 2 contributes.
    let only = log_prob_grads(&d, false, &value[8..], &up[2..]);
    assert_eq!(gl, only.logits);
    assert_eq!(gt, only.t);
    assert_eq!(gv[8..], only.value[..]);
}

#[test]
fn single_category_and_zero_samples() {
    let d = RelaxedOneHotCategorical::<f64>::from_logits(&[0.5, 2.0], &[0.3, -1.0], 1).unwrap();
    let y = [1.0, 1.0, 1.0, 1.0];
    let up = [0.5, -1.0, 2.0, 1.0];
    let mut gl = vec![f64::NAN; 2];
    let mut gt = vec![f64::NAN; 2];
    d.rsample_backward(
        SampleForm::Soft(&y),
        &up,
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
    )
    .unwrap();
    assert_eq!(gl, [0.0, 0.0]);
    assert_eq!(gt, [0.0, 0.0]);
    let g = log_prob_grads(&d, false, &y, &up);
    assert_eq!(g.lp, [0.0; 4]);
    assert_eq!(g.logits, [0.0, 0.0]);
    assert_eq!(g.t, [0.0, 0.0]);
    assert_eq!(g.value, [-0.5, 1.0, -2.0, -1.0]);
    // No sample rows: zero gradients.
    let mut gl = vec![f64::NAN; 2];
    let mut gt = vec![f64::NAN; 2];
    d.rsample_backward(
        SampleForm::Soft(&[]),
        &[],
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
    )
    .unwrap();
    assert_eq!(gl, [0.0, 0.0]);
    assert_eq!(gt, [0.0, 0.0]);
}

#[test]
fn hard_backward_is_the_soft_backward() {
    let mut rng = Rand(41);
    let case = Case::new(&mut rng, 13, 3, 2, 0.4, true, true);
    let d = case.dist(&case.logits, &case.t);
    let (mut hard, mut soft) = (vec![0.0; case.n() * 13], vec![0.0; case.n() * 13]);
    d.draw(
        Noise::Rows(case.stream(), 0..case.n()),
        Draw::Hard {
            hard: &mut hard,
            soft: &mut soft,
        },
    )
    .unwrap();
    assert_eq!(soft, case.soft(&d));
    let up: Vec<f64> = (0..soft.len()).map(|_| rng.normal()).collect();
    let (mut a, mut b) = (vec![0.0; 39], vec![0.0; 39]);
    d.rsample_hard_backward(
        SampleForm::Soft(&soft),
        &up,
        ParamGrads {
            logits: Some(&mut a),
            ..Default::default()
        },
    )
    .unwrap();
    d.rsample_backward(
        SampleForm::Soft(&soft),
        &up,
        ParamGrads {
            logits: Some(&mut b),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a, b);
}

// ---------------------------------------------------------------------------
// The fused forward pass
// ---------------------------------------------------------------------------

#[test]
fn rsample_with_log_is_bit_identical_to_the_samplers() {
    fn check<T: relaxcat::Float + PartialEq + std::fmt::Debug>(of: impl Fn(f64) -> T) {
        let mut rng = Rand(43);
        for &k in &[1usize, 2, 7, 8, 9, 16, 17, 33, 100, 513, 1000, 1025, 4097] {
            for b in [1usize, 3] {
                let mut logits: Vec<T> = (0..b * k).map(|_| of(rng.normal())).collect();
                if k > 2 {
                    logits[1] = of(f64::NEG_INFINITY);
                }
                let t: Vec<T> = (0..b).map(|i| of(0.3 + i as f64)).collect();
                for backend in Backend::available() {
                    let exec = Exec::new().with_backend(backend).unwrap();
                    let d = RelaxedOneHotCategorical::builder(k)
                        .temperature(&t)
                        .logits(&logits)
                        .exec(exec)
                        .build()
                        .unwrap();
                    let stream = Stream::new(rng.u64(), rng.u64() % 1000);
                    let rows = 5..(5 + 11 + 2 * b);
                    let n = rows.len() * k;
                    let (mut y, mut x) = (vec![of(0.0); n], vec![of(0.0); n]);
                    let (mut y2, mut x2) = (vec![of(0.0); n], vec![of(0.0); n]);
                    d.draw(
                        Noise::Rows(stream, rows.clone()),
                        Draw::SoftWithLog {
                            soft: &mut y,
                            log: &mut x,
                        },
                    )
                    .unwrap();
                    d.draw(Noise::Rows(stream, rows.clone()), Draw::Soft(&mut y2))
                        .unwrap();
                    d.draw(Noise::Rows(stream, rows.clone()), Draw::Log(&mut x2))
                        .unwrap();
                    assert!(y == y2, "soft differs (K={k}, {backend:?})");
                    assert!(x == x2, "log differs (K={k}, {backend:?})");
                    let (mut h, mut h2) = (vec![of(0.5); n], vec![of(0.0); n]);
                    d.draw(
                        Noise::Rows(stream, rows.clone()),
                        Draw::HardWithLog {
                            hard: &mut h,
                            soft: &mut y,
                            log: &mut x,
                        },
                    )
                    .unwrap();
                    d.draw(
                        Noise::Rows(stream, rows.clone()),
                        Draw::Hard {
                            hard: &mut h2,
                            soft: &mut y2,
                        },
                    )
                    .unwrap();
                    assert!(h == h2, "hard differs (K={k}, {backend:?})");
                    assert!(y == y2, "hard's soft differs (K={k}, {backend:?})");
                    assert!(x == x2, "hard's log differs (K={k}, {backend:?})");
                }
            }
        }
    }
    check::<f32>(|v| v as f32);
    check::<f64>(|v| v);
}

#[test]
fn rsample_with_log_advances_the_generator() {
    let d =
        RelaxedOneHotCategorical::<f32>::from_logits(&[0.5], &[0.0, 1.0, 2.0, 0.5, 0.1, 0.2], 3)
            .unwrap();
    let mut g1 = relaxcat::Generator::new(4);
    let mut g2 = relaxcat::Generator::new(4);
    let (y, x) = d.rsample_with_log(&mut g1, 3).unwrap();
    assert_eq!(y, d.rsample(&mut g2, 3).unwrap());
    assert_eq!(g1.position(), 6);
    assert_eq!(x.len(), 18);
}

// ---------------------------------------------------------------------------
// Bit-identical over backends and thread counts
// ---------------------------------------------------------------------------

trait Bits: Copy {
    fn bits(self) -> u64;
}
impl Bits for f32 {
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}
impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// Every output of every backward pass for one problem, as bits.
fn all_outputs<T: relaxcat::Float + Bits>(
    exec: Exec,
    k: usize,
    b: usize,
    s: usize,
    of: impl Fn(f64) -> T,
    seed: u64,
) -> Vec<u64> {
    let mut rng = Rand(seed);
    let mut probs: Vec<T> = (0..b * k).map(|_| of(0.05 + rng.unif())).collect();
    if k > 3 {
        probs[2] = of(0.0);
    }
    let t: Vec<T> = (0..b).map(|i| of(0.2 + 0.7 * i as f64)).collect();
    let d = RelaxedOneHotCategorical::builder(k)
        .temperature(&t)
        .probs(&probs)
        .exec(exec)
        .build()
        .unwrap();
    let n = s * b;
    let (mut y, mut x) = (vec![of(0.0); n * k], vec![of(0.0); n * k]);
    d.draw(
        Noise::Rows(Stream::new(seed, 0), 0..n),
        Draw::SoftWithLog {
            soft: &mut y,
            log: &mut x,
        },
    )
    .unwrap();
    let up: Vec<T> = (0..n * k).map(|_| of(rng.normal())).collect();
    let mut out = Vec::new();
    let mut push = |v: &[T]| out.extend(v.iter().map(|x| x.bits()));
    push(&y);
    push(&x);
    for log_cot in [false, true] {
        for form in [
            SampleForm::Soft(&y),
            SampleForm::Log(&x),
            SampleForm::Both { soft: &y, log: &x },
        ] {
            let (mut gl, mut gt, mut gp) =
                (vec![of(0.0); b * k], vec![of(0.0); b], vec![of(0.0); b * k]);
            let g = ParamGrads {
                logits: Some(&mut gl),
                temperature: Some(&mut gt),
                probs: Some(ProbsGrad {
                    given: &probs,
                    out: &mut gp,
                }),
            };
            if log_cot {
                d.rsample_log_backward(form, &up, g).unwrap();
            } else {
                d.rsample_backward(form, &up, g).unwrap();
            }
            push(&gl);
            push(&gt);
            push(&gp);
        }
    }
    for log_space in [false, true] {
        let value = if log_space { &x } else { &y };
        let (mut gl, mut gt, mut gp) =
            (vec![of(0.0); b * k], vec![of(0.0); b], vec![of(0.0); b * k]);
        let (mut gv, mut lp) = (vec![of(0.0); n * k], vec![of(0.0); n]);
        let g = LogProbGrads {
            params: ParamGrads {
                logits: Some(&mut gl),
                temperature: Some(&mut gt),
                probs: Some(ProbsGrad {
                    given: &probs,
                    out: &mut gp,
                }),
            },
            value: Some(&mut gv),
            log_prob: Some(&mut lp),
        };
        if log_space {
            d.log_prob_x_backward(value, &up[..n], g).unwrap();
        } else {
            d.log_prob_backward(value, &up[..n], g).unwrap();
        }
        push(&gl);
        push(&gt);
        push(&gp);
        push(&gv);
        push(&lp);
    }
    out
}

/// Shapes: short rows (groups of eight), long rows (one at a time, more
/// than one density chunk), several sample slots per batch row.
#[cfg(not(miri))]
const SHAPES: [(usize, usize, usize); 9] = [
    (1, 3, 2),
    (7, 5, 3),
    (8, 9, 1),
    (9, 2, 7),
    (33, 3, 3),
    (1000, 2, 3),
    (4097, 1, 3),
    (8, 1, 9000),
    (1000, 1, 70),
];
/// Under Miri (scripts/miri.sh), which interprets every operation: two
/// short rows, each a full vector and a tail of one.
#[cfg(miri)]
const SHAPES: [(usize, usize, usize); 1] = [(9, 2, 1)];

fn same_over_backends<T: relaxcat::Float + Bits>(of: impl Fn(f64) -> T + Copy) {
    for (i, &(k, b, s)) in SHAPES.iter().enumerate() {
        let reference = all_outputs(
            Exec::new().with_backend(Backend::Scalar).unwrap(),
            k,
            b,
            s,
            of,
            i as u64,
        );
        for backend in Backend::ALL {
            if !backend.is_available() {
                println!("backend {backend:?} not available on this CPU: skipped");
                continue;
            }
            let exec = Exec::new().with_backend(backend).unwrap();
            let got = all_outputs(exec, k, b, s, of, i as u64);
            assert!(
                got == reference,
                "{backend:?} differs from scalar (K={k} B={b} S={s})"
            );
        }
    }
}

#[test]
fn every_backend_gives_the_same_bits_f32() {
    same_over_backends::<f32>(|v| v as f32);
}

#[test]
fn every_backend_gives_the_same_bits_f64() {
    same_over_backends::<f64>(|v| v);
}

#[test]
fn every_thread_count_gives_the_same_bits() {
    for (i, &(k, b, s)) in SHAPES.iter().enumerate() {
        let reference = all_outputs::<f32>(Exec::serial(), k, b, s, |v| v as f32, i as u64);
        for threads in [2, 3, 5] {
            let exec = Exec::new().with_threads(threads).unwrap();
            let got = all_outputs::<f32>(exec, k, b, s, |v| v as f32, i as u64);
            assert!(
                got == reference,
                "{threads} threads differ from 1 (K={k} B={b} S={s})"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Errors write nothing
// ---------------------------------------------------------------------------

#[test]
fn errors_leave_outputs_untouched() {
    let k = 3;
    let d =
        RelaxedOneHotCategorical::<f64>::from_logits(&[0.5], &[0.1, 0.2, 0.3, 0.0, -1.0, 1.0], k)
            .unwrap();
    let y = vec![1.0 / 3.0; 12];
    let up = vec![1.0; 12];
    let sentinel = 12345.0;
    let fresh = || (vec![sentinel; 6], vec![sentinel; 1]);
    let untouched = |gl: &[f64], gt: &[f64]| gl.iter().chain(gt).all(|v| *v == sentinel);

    // Wrong upstream length.
    let (mut gl, mut gt) = fresh();
    let e = d.rsample_backward(
        SampleForm::Soft(&y),
        &up[..9],
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
    );
    assert_eq!(e.unwrap_err().kind(), relaxcat::ErrorKind::InvalidShape);
    assert!(untouched(&gl, &gt));
    // Rows not a multiple of B.
    let (mut gl, mut gt) = fresh();
    let e = d.rsample_backward(
        SampleForm::Soft(&y[..9]),
        &up[..9],
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
    );
    assert!(e.is_err());
    assert!(untouched(&gl, &gt));
    // Forms of different lengths.
    let (mut gl, mut gt) = fresh();
    let e = d.rsample_backward(
        SampleForm::Both {
            soft: &y,
            log: &y[..6],
        },
        &up,
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: None,
        },
    );
    assert!(e.is_err());
    assert!(untouched(&gl, &gt));
    // Wrong output lengths (the temperature is a scalar: one value).
    let (mut gl, _) = fresh();
    let mut gt2 = vec![sentinel; 2];
    let e = d.rsample_backward(
        SampleForm::Soft(&y),
        &up,
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt2),
            probs: None,
        },
    );
    assert!(e.is_err());
    assert!(untouched(&gl, &gt2));
    // A probs gradient of a logits distribution.
    let (mut gl, mut gt) = fresh();
    let mut gp = vec![sentinel; 6];
    let e = d.rsample_backward(
        SampleForm::Soft(&y),
        &up,
        ParamGrads {
            logits: Some(&mut gl),
            temperature: Some(&mut gt),
            probs: Some(ProbsGrad {
                given: &y[..6],
                out: &mut gp,
            }),
        },
    );
    assert_eq!(
        e.unwrap_err().kind(),
        relaxcat::ErrorKind::InvalidParameterChoice
    );
    assert!(untouched(&gl, &gt) && untouched(&gp, &[]));
    // log_prob: an invalid value (validation on), and a wrong value-gradient length.
    let mut bad = y.clone();
    bad[4] = 0.9;
    for (value, gv_len) in [(&bad, 12), (&y, 11)] {
        let (mut gl, mut gt) = fresh();
        let mut gv = vec![sentinel; gv_len];
        let mut lp = vec![sentinel; 4];
        let e = d.log_prob_backward(
            value,
            &up[..4],
            LogProbGrads {
                params: ParamGrads {
                    logits: Some(&mut gl),
                    temperature: Some(&mut gt),
                    probs: None,
                },
                value: Some(&mut gv),
                log_prob: Some(&mut lp),
            },
        );
        assert!(e.is_err());
        assert!(untouched(&gl, &gt) && untouched(&gv, &lp));
    }
    // The same message as log_prob_into for an invalid value.
    let mut lp = vec![0.0; 4];
    let want = d.log_prob_into(&bad, &mut lp).unwrap_err();
    let got = d
        .log_prob_backward(&bad, &up[..4], LogProbGrads::default())
        .unwrap_err();
    assert_eq!(got, want);
}

/// f32 log_prob gradients against the f64 ones of the same inputs.
#[test]
fn log_prob_backward_f32_close_to_f64() {
    let mut rng = Rand(47);
    let mut worst = [0.0f64; 4];
    for &(k, t) in &[
        (8usize, 0.05),
        (64, 0.5),
        (1000, 0.05),
        (1000, 3.0),
        (32000, 1.0),
    ] {
        let b = 2;
        let logits: Vec<f32> = (0..b * k).map(|_| 1.5 * rng.normal() as f32).collect();
        let l64: Vec<f64> = logits.iter().map(|&v| v as f64).collect();
        let d32 = RelaxedOneHotCategorical::<f32>::from_logits(&[t as f32], &logits, k)
            .unwrap()
            .into_owned()
            .unwrap();
        // Values rounded to f32 are off the f64 simplex by more than f64's tolerance.
        let d64 = RelaxedOneHotCategorical::<f64>::builder(k)
            .temperature(&[t as f32 as f64])
            .logits(&l64)
            .validate(false)
            .build()
            .unwrap()
            .into_owned()
            .unwrap();
        let n = 2 * b;
        let mut x = vec![0f32; n * k];
        d32.draw(Noise::Rows(Stream::new(5, 0), 0..n), Draw::Log(&mut x))
            .unwrap();
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let up: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
        let up64: Vec<f64> = up.iter().map(|&v| v as f64).collect();
        let mut g32 = (
            vec![0f32; b * k],
            vec![0f32; 1],
            vec![0f32; n * k],
            vec![0f32; n],
        );
        d32.log_prob_x_backward(
            &x,
            &up,
            LogProbGrads {
                params: ParamGrads {
                    logits: Some(&mut g32.0),
                    temperature: Some(&mut g32.1),
                    probs: None,
                },
                value: Some(&mut g32.2),
                log_prob: Some(&mut g32.3),
            },
        )
        .unwrap();
        let g64 = log_prob_grads(&d64, true, &x64, &up64);
        let rel = |a: &[f32], b: &[f64]| {
            let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            a.iter()
                .zip(b)
                .fold(0.0f64, |m, (x, y)| m.max((*x as f64 - y).abs()))
                / scale
        };
        let errs = [
            rel(&g32.0, &g64.logits),
            rel(&g32.1, &g64.t),
            rel(&g32.2, &g64.value),
            rel(&g32.3, &g64.lp),
        ];
        for (w, e) in worst.iter_mut().zip(errs) {
            *w = w.max(e);
        }
    }
    println!(
        "f32 vs f64 log_prob_x gradients: logits {:.1e} t {:.1e} value {:.1e} log_prob {:.1e}",
        worst[0], worst[1], worst[2], worst[3]
    );
    assert!(worst.iter().all(|e| *e < 1e-4), "{worst:?}");
}

/// f32 rsample gradients against the f64 ones of the same inputs (the f32
/// sample's log-space form, promoted).
#[test]
fn rsample_backward_f32_close_to_f64() {
    let mut rng = Rand(53);
    let mut worst = [0.0f64; 4];
    for &(k, t) in &[
        (8usize, 0.05),
        (64, 0.5),
        (1000, 0.05),
        (1000, 3.0),
        (32000, 1.0),
        (5, 10.0),
    ] {
        let b = 2;
        let logits: Vec<f32> = (0..b * k).map(|_| 1.5 * rng.normal() as f32).collect();
        let l64: Vec<f64> = logits.iter().map(|&v| v as f64).collect();
        let d32 = RelaxedOneHotCategorical::<f32>::from_logits(&[t as f32], &logits, k)
            .unwrap()
            .into_owned()
            .unwrap();
        let d64 = RelaxedOneHotCategorical::<f64>::from_logits(&[t as f32 as f64], &l64, k)
            .unwrap()
            .into_owned()
            .unwrap();
        let n = 2 * b;
        let (mut y, mut x) = (vec![0f32; n * k], vec![0f32; n * k]);
        d32.draw(
            Noise::Rows(Stream::new(9, 0), 0..n),
            Draw::SoftWithLog {
                soft: &mut y,
                log: &mut x,
            },
        )
        .unwrap();
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let up: Vec<f32> = (0..n * k).map(|_| rng.normal() as f32).collect();
        let up64: Vec<f64> = up.iter().map(|&v| v as f64).collect();
        for (j, log_cot) in [false, true].into_iter().enumerate() {
            let (mut gl, mut gt) = (vec![0f32; b * k], vec![0f32; 1]);
            let (mut gl64, mut gt64) = (vec![0f64; b * k], vec![0f64; 1]);
            let g32 = ParamGrads {
                logits: Some(&mut gl),
                temperature: Some(&mut gt),
                probs: None,
            };
            let g64 = ParamGrads {
                logits: Some(&mut gl64),
                temperature: Some(&mut gt64),
                probs: None,
            };
            let form = SampleForm::Both { soft: &y, log: &x };
            if log_cot {
                d32.rsample_log_backward(form, &up, g32).unwrap();
                d64.rsample_log_backward(SampleForm::Log(&x64), &up64, g64)
                    .unwrap();
            } else {
                d32.rsample_backward(form, &up, g32).unwrap();
                d64.rsample_backward(SampleForm::Log(&x64), &up64, g64)
                    .unwrap();
            }
            let scale = gl64.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let el = gl
                .iter()
                .zip(&gl64)
                .fold(0.0f64, |m, (a, b)| m.max((*a as f64 - b).abs()))
                / scale;
            let et = (gt[0] as f64 - gt64[0]).abs() / gt64[0].abs();
            worst[2 * j] = worst[2 * j].max(el);
            worst[2 * j + 1] = worst[2 * j + 1].max(et);
        }
    }
    println!(
        "f32 vs f64 rsample gradients: soft logits {:.1e} t {:.1e}; log logits {:.1e} t {:.1e}",
        worst[0], worst[1], worst[2], worst[3]
    );
    assert!(worst.iter().all(|e| *e < 1e-4), "{worst:?}");
}
