//! `log_prob` and `log_prob_x` against stored reference values:
//!
//! - `tests/data/torch_log_prob_f64.json`: PyTorch 2.15 in f64,
//!   `RelaxedOneHotCategorical.log_prob` (`log_prob`) and
//!   `ExpRelaxedCategorical.log_prob` of `ln y` (`exp_log_prob`);
//! - `tests/data/lucid_formula_f64.json`: Lucid's formula in f64
//!   (`log_prob_f64`), with `probs` or `logits` parameterisations.
//!
//! Tolerances: f64 within 1e-12 relative, f32 within 2e-5 relative (the
//! inputs are rounded to f32 first, which alone moves the log-density by up
//! to ~1e-6 relative on these cases), both with an absolute floor of the same
//! size for values near 0 (`|err| <= tol * max(|ref|, 1)`).
//!
//! Where the reference is NaN (a value with an exact 0 component, e.g. an
//! exact one-hot; torch and Lucid compute `0 * inf` or `inf - inf`), this
//! crate deliberately returns `-inf`: such a point lies on the boundary of
//! the open simplex, outside the support, where the density is 0 (documented
//! on `RelaxedOneHotCategorical::log_prob_into`). Those cases assert `-inf`.
//!
//! The files are committed with the tests (contents, provenance and how to
//! regenerate them: `tests/data/README.md`) and read at test time; a missing
//! or unparsable file fails the test.

use crate::common::{Fl, Inputs, backends, cast, json_f64, json_vec, oracle, reference_json};
use relaxcat::{Exec, Generator, RelaxedOneHotCategorical};

const REL_F64: f64 = 1e-12;
const REL_F32: f64 = 2e-5;

fn tolerance<T: Fl>() -> f64 {
    if T::IS_F64 { REL_F64 } else { REL_F32 }
}

/// Asserts `got` matches reference `want` (NaN reference: `-inf`, see the
/// module docs); returns the relative error seen (0 for exact non-finite).
#[track_caller]
fn check_value<T: Fl>(what: &str, got: T, want: f64) -> f64 {
    let got = got.f();
    if want.is_nan() {
        // Reference NaN: exact zero component; this crate returns -inf on
        // purpose (boundary of the open simplex has density 0).
        assert_eq!(
            got,
            f64::NEG_INFINITY,
            "{what}: reference NaN (boundary value), expected -inf, got {got}"
        );
        return 0.0;
    }
    if want.is_infinite() {
        assert_eq!(got, want, "{what}: expected {want}, got {got}");
        return 0.0;
    }
    let err = (got - want).abs() / want.abs().max(1.0);
    assert!(
        err <= tolerance::<T>(),
        "{what}: got {got}, want {want}, relative error {err:e} > {:e}",
        tolerance::<T>()
    );
    err
}

fn build<T: Fl>(
    exec: &Exec,
    k: usize,
    t: f64,
    logits: Option<&[f64]>,
    probs: Option<&[f64]>,
) -> RelaxedOneHotCategorical<'static, T> {
    let t = [T::of(t)];
    let (l, p): (Option<Vec<T>>, Option<Vec<T>>) = (logits.map(cast), probs.map(cast));
    let builder = RelaxedOneHotCategorical::<T>::builder(k)
        .temperature(&t)
        .exec(exec.clone());
    let builder = match (&l, &p) {
        (Some(l), None) => builder.logits(l),
        (None, Some(p)) => builder.probs(p),
        _ => panic!("case needs exactly one of logits and probs"),
    };
    builder
        .build()
        .expect("reference parameters are valid")
        .into_owned()
        .unwrap()
}

fn torch_cases<T: Fl>() {
    let json = reference_json("torch_log_prob_f64.json");
    let cases = json["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for (backend, exec) in backends("torch_reference") {
        let (mut worst, mut worst_x, mut underflowed) = (0.0f64, 0.0f64, 0);
        for case in cases {
            let id = case["id"].as_str().unwrap_or("?");
            let k = case["K"].as_u64().expect("K") as usize;
            let t = json_f64(&case["temperature"]);
            let logits = json_vec(&case["logits"]);
            let value = json_vec(&case["value"]);
            let log_value = json_vec(&case["log_value"]);
            let want = json_f64(&case["log_prob"]);
            let want_x = json_f64(&case["exp_log_prob"]);
            let what = format!("torch {id} {} {backend:?}", T::TYPE_NAME);
            let dist = build::<T>(&exec, k, t, Some(&logits), None);

            let value_t: Vec<T> = cast(&value);
            let lp = dist
                .log_prob(&value_t)
                .unwrap_or_else(|e| panic!("{what}: log_prob: {e}"));
            if value
                .iter()
                .zip(&value_t)
                .any(|(v, vt)| *v > 0.0 && vt.f() == 0.0)
            {
                // A component below T's range rounds to an exact 0, which
                // is the boundary (-inf); the log-space form below keeps it.
                assert_eq!(
                    lp[0].f(),
                    f64::NEG_INFINITY,
                    "{what}: value underflowed in {}",
                    T::TYPE_NAME
                );
                underflowed += 1;
            } else {
                worst = worst.max(check_value(&format!("{what} log_prob"), lp[0], want));
            }

            let lx = dist
                .log_prob_x(&cast::<T>(&log_value))
                .unwrap_or_else(|e| panic!("{what}: log_prob_x: {e}"));
            worst_x = worst_x.max(check_value(
                &format!("{what} log_prob_x vs exp_log_prob"),
                lx[0],
                want_x,
            ));
        }
        println!(
            "torch {} {backend:?}: {} cases, worst relative error log_prob {worst:.2e}, log_prob_x {worst_x:.2e}; \
             {underflowed} values underflow in {0} (checked through log_prob_x)",
            T::TYPE_NAME,
            cases.len()
        );
    }
}

#[test]
fn torch_log_prob_f64() {
    torch_cases::<f64>();
}

#[test]
fn torch_log_prob_f32() {
    torch_cases::<f32>();
}

fn lucid_cases<T: Fl>() {
    let json = reference_json("lucid_formula_f64.json");
    let cases = json["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for (backend, exec) in backends("lucid_reference") {
        let mut worst = 0.0f64;
        let (mut n_probs, mut n_logits, mut n_nan) = (0, 0, 0);
        for (i, case) in cases.iter().enumerate() {
            let k = case["K"].as_u64().expect("K") as usize;
            let t = json_f64(&case["temperature"]);
            let logits = case.get("logits").map(json_vec);
            let probs = case.get("probs").map(json_vec);
            match (&logits, &probs) {
                (Some(_), None) => n_logits += 1,
                (None, Some(_)) => n_probs += 1,
                _ => panic!("lucid case {i}: needs exactly one of logits and probs"),
            }
            let value = json_vec(&case["value"]);
            let want = json_f64(&case["log_prob_f64"]);
            if want.is_nan() {
                n_nan += 1;
            }
            let note = case["note"].as_str().unwrap_or("");
            let what = format!("lucid case {i} ({note}) {} {backend:?}", T::TYPE_NAME);
            let dist = build::<T>(&exec, k, t, logits.as_deref(), probs.as_deref());
            let lp = dist
                .log_prob(&cast::<T>(&value))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            worst = worst.max(check_value(&what, lp[0], want));

            // The same case through the f64 oracle, as a check on the
            // oracle itself (it is the reference for the other tests).
            if T::IS_F64 {
                let raw = logits
                    .clone()
                    .unwrap_or_else(|| probs.as_ref().unwrap().iter().map(|p| p.ln()).collect());
                let o = oracle::log_prob(&raw, t, &value);
                if want.is_nan() {
                    assert_eq!(o, f64::NEG_INFINITY, "{what}: oracle");
                } else {
                    assert!(
                        (o - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{what}: oracle {o} vs {want}"
                    );
                }
            }
        }
        println!(
            "lucid {} {backend:?}: {} cases ({n_logits} logits, {n_probs} probs, {n_nan} NaN -> -inf), worst relative error {worst:.2e}",
            T::TYPE_NAME,
            cases.len()
        );
    }
}

#[test]
fn lucid_formula_f64() {
    lucid_cases::<f64>();
}

#[test]
fn lucid_formula_f32() {
    lucid_cases::<f32>();
}

/// The torch reference through the oracle too (f64, 1e-12 relative): the
/// oracle the kernel tests trust agrees with PyTorch.
#[test]
fn oracle_agrees_with_torch() {
    let json = reference_json("torch_log_prob_f64.json");
    for case in json["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().unwrap_or("?");
        let t = json_f64(&case["temperature"]);
        let logits = json_vec(&case["logits"]);
        let (want, want_x) = (json_f64(&case["log_prob"]), json_f64(&case["exp_log_prob"]));
        let got = oracle::log_prob(&logits, t, &json_vec(&case["value"]));
        let got_x = oracle::log_prob_x(&logits, t, &json_vec(&case["log_value"]));
        for (g, w, name) in [(got, want, "log_prob"), (got_x, want_x, "log_prob_x")] {
            if w.is_nan() {
                assert_eq!(g, f64::NEG_INFINITY, "{id} {name}");
            } else if w.is_infinite() {
                assert_eq!(g, w, "{id} {name}");
            } else {
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "{id} {name}: oracle {g} vs torch {w}"
                );
            }
        }
    }
}

/// Lucid's `f32_rsample_underflow` table records how often an f32 relaxed
/// sample has a component that underflows to exactly 0 (its `log_prob` is
/// then NaN in Lucid; here `-inf`, the boundary). This crate's answer is the
/// log-space sample: at every (K, tau) of the table, f32 log-space samples
/// are finite on every category and their `log_prob_x` is finite; a soft
/// sample with an exact 0 scores `-inf` (never NaN), and one without equals
/// `log_prob_x(ln y) - sum ln y` (f32, 2e-5 relative), and, when all its
/// components are normal numbers, `log_prob_x(x) - sum x` for its log-space
/// twin `x` (same stream rows).
#[test]
fn f32_underflow_is_handled_in_log_space() {
    let json = reference_json("lucid_formula_f64.json");
    let table = json["f32_rsample_underflow"]
        .as_object()
        .expect("f32_rsample_underflow");
    let exec = Exec::new();
    let samples = 4000;
    for (key, entry) in table {
        let (k, tau) = parse_k_tau(key);
        let lucid_frac = json_f64(&entry["frac_samples_with_zero_component"]);
        let mut r = Inputs::new(k as u64);
        let logits: Vec<f32> = cast(&(0..k).map(|_| r.normalish()).collect::<Vec<_>>());
        let dist = RelaxedOneHotCategorical::<f32>::builder(k)
            .logits(&logits)
            .temperature(&[tau as f32])
            .exec(exec.clone())
            .build()
            .unwrap()
            .into_owned()
            .unwrap();
        let mut g = Generator::new(11);
        let x = dist.rsample_log(&mut g, samples).unwrap();
        g.set_position(0);
        let y = dist.rsample(&mut g, samples).unwrap();
        assert!(
            x.iter().all(|v| v.is_finite()),
            "{key}: non-finite log-space sample"
        );
        let lpx = dist.log_prob_x(&x).unwrap();
        let lp = dist.log_prob(&y).unwrap();
        // ln y of the soft samples themselves (rows with a 0 keep x, unused).
        let ly: Vec<f32> = y
            .chunks(k)
            .zip(x.chunks(k))
            .flat_map(|(yr, xr)| {
                if yr.contains(&0.0) {
                    xr.to_vec()
                } else {
                    yr.iter().map(|v| (*v as f64).ln() as f32).collect()
                }
            })
            .collect();
        let lp_ly = dist.log_prob_x(&ly).unwrap();
        let (mut zero_rows, mut subnormal_rows) = (0, 0);
        for i in 0..samples {
            assert!(lpx[i].is_finite(), "{key}: log_prob_x row {i} = {}", lpx[i]);
            let row = &y[i * k..(i + 1) * k];
            if row.contains(&0.0) {
                zero_rows += 1;
                assert_eq!(
                    lp[i],
                    f32::NEG_INFINITY,
                    "{key}: row {i} has a zero component"
                );
                continue;
            }
            let jac: f64 = ly[i * k..(i + 1) * k].iter().map(|v| *v as f64).sum();
            let close = |a: f64, b: f64| (a - b).abs() <= REL_F32 * b.abs().max(1.0);
            let want = lp_ly[i] as f64 - jac;
            assert!(
                close(lp[i] as f64, want),
                "{key}: row {i}: log_prob {} vs log_prob_x(ln y) - sum ln y = {want}",
                lp[i]
            );
            if row.iter().all(|v| v.is_normal()) {
                // Normal y: ln y and the log-space sample x agree to ~1 ulp,
                // so the identity holds with x too.
                let jac_x: f64 = x[i * k..(i + 1) * k].iter().map(|v| *v as f64).sum();
                let want = lpx[i] as f64 - jac_x;
                assert!(
                    close(lp[i] as f64, want),
                    "{key}: row {i}: log_prob {} vs log_prob_x(x) - sum x = {want}",
                    lp[i]
                );
            } else {
                // A subnormal y has lost relative precision; x has not.
                subnormal_rows += 1;
            }
        }
        println!(
            "K={k} tau={tau}: f32 soft samples with a 0 component: {:.5} (Lucid, other logits: {lucid_frac}), \
             with a subnormal one: {subnormal_rows}; log-space all finite",
            zero_rows as f64 / samples as f64
        );
    }
}

/// `"K=2,tau=0.5"` -> `(2, 0.5)`.
fn parse_k_tau(key: &str) -> (usize, f64) {
    let mut k = None;
    let mut tau = None;
    for part in key.split(',') {
        let (name, value) = part.split_once('=').expect("name=value");
        match name.trim() {
            "K" => k = Some(value.trim().parse().expect("K")),
            "tau" => tau = Some(value.trim().parse().expect("tau")),
            other => panic!("unexpected key part {other}"),
        }
    }
    (k.expect("K"), tau.expect("tau"))
}
