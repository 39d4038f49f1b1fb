//! The bad-input matrix of the Rust API: one table entry per class of bad
//! input (the classes of README.md, "Bad input: the classes and their
//! errors"), each with the call, the `ErrorKind` it must return and the
//! fragments its message must contain (the parameter, and the row,
//! category and value where there are ones).
//!
//! Every call gets a sentinel-filled output buffer and a `Generator`;
//! after the error both must be unchanged (the buffer byte for byte). The
//! C twin is tests/c/bad_input_matrix.c. `errors.rs` goes through
//! every error path in more variants; this file is the one-row-per-class
//! view that the README table documents, run over f32 and f64.
//!
//! Classes that only exist in C (NULL pointers, leading dimensions,
//! aliasing) cannot be expressed with slices: the table lists them with no
//! Rust call.

use crate::common::{Fl, sentinel};
use relaxcat::{Draw, Noise};
use relaxcat::{Error, ErrorKind, Exec, Generator, RelaxedOneHotCategorical};

type Call<T> = Box<dyn Fn(&mut Generator, &mut [T]) -> Result<(), Error>>;

struct Entry<T> {
    class: &'static str,
    kind: ErrorKind,
    fragments: Vec<&'static str>,
    call: Call<T>,
}

fn entry<T>(
    class: &'static str,
    kind: ErrorKind,
    fragments: &[&'static str],
    call: impl Fn(&mut Generator, &mut [T]) -> Result<(), Error> + 'static,
) -> Entry<T> {
    Entry {
        class,
        kind,
        fragments: fragments.to_vec(),
        call: Box::new(call),
    }
}

/// `B = 2` rows of `K = 3` logits, row 1 replaced by `row1`.
fn logits<T: Fl>(row1: [f64; 3]) -> Vec<T> {
    [0.1, -0.4, 1.2]
        .into_iter()
        .chain(row1)
        .map(T::of)
        .collect()
}

/// Builds from logits and, should that succeed, samples one draw into
/// `out` (which an error must leave untouched).
fn build_and_sample<T: Fl>(
    k: usize,
    temperature: &[f64],
    probs: Option<Vec<T>>,
    logits: Option<Vec<T>>,
    g: &mut Generator,
    out: &mut [T],
) -> Result<(), Error> {
    let t: Vec<T> = temperature.iter().map(|&v| T::of(v)).collect();
    let mut builder = RelaxedOneHotCategorical::builder(k).temperature(&t);
    if let Some(p) = &probs {
        builder = builder.probs(p);
    }
    if let Some(l) = &logits {
        builder = builder.logits(l);
    }
    let d = builder.build()?;
    let n = d.batch_rows() * k;
    d.draw(Noise::Generator(g, 1), Draw::Soft(&mut out[..n]))
}

/// A valid distribution (`B = 2`, `K = 3`, t = 0.5).
fn dist<T: Fl>() -> RelaxedOneHotCategorical<'static, T> {
    RelaxedOneHotCategorical::from_logits(&[T::of(0.5)], &logits::<T>([0.0, 0.5, -2.0]), 3)
        .unwrap()
        .into_owned()
        .unwrap()
}

/// Value rows: row 0 on the simplex, row 1 `row1`.
fn values<T: Fl>(row1: [f64; 3]) -> Vec<T> {
    [0.2, 0.3, 0.5].into_iter().chain(row1).map(T::of).collect()
}

fn matrix<T: Fl>() -> Vec<Entry<T>> {
    use ErrorKind::*;
    let ok = [0.0, 0.5, -2.0];
    let p_ok = [0.2, 0.3, 0.5];
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    let temp = |t: f64| {
        move |g: &mut Generator, out: &mut [T]| {
            build_and_sample(3, &[0.5, t], None, Some(logits::<T>(ok)), g, out)
        }
    };
    let probs = |row1: [f64; 3]| {
        move |g: &mut Generator, out: &mut [T]| {
            let p: Vec<T> = p_ok.into_iter().chain(row1).map(T::of).collect();
            build_and_sample(3, &[0.5], Some(p), None, g, out)
        }
    };
    let logit = |row1: [f64; 3]| {
        move |g: &mut Generator, out: &mut [T]| {
            build_and_sample(3, &[0.5], None, Some(logits::<T>(row1)), g, out)
        }
    };
    let value = |row1: [f64; 3]| {
        move |_: &mut Generator, out: &mut [T]| {
            dist::<T>().log_prob_into(&values::<T>(row1), &mut out[..2])
        }
    };
    vec![
        entry("K = 0", InvalidShape, &["k is 0", "K"], |g, out| {
            build_and_sample(0, &[0.5], None, Some(Vec::new()), g, out)
        }),
        entry(
            "rows = 0 (no parameter rows)",
            InvalidShape,
            &["logits", "0 elements", "K = 3"],
            |g, out| build_and_sample(3, &[0.5], None, Some(Vec::new()), g, out),
        ),
        entry(
            "parameter length not a multiple of K",
            InvalidShape,
            &["logits", "4 elements", "K = 3"],
            |g, out| build_and_sample(3, &[0.5], None, Some(vec![T::of(0.0); 4]), g, out),
        ),
        entry(
            "temperature count not 1 or B",
            InvalidShape,
            &["temperature", "3 values", "2 (one per batch row)"],
            move |g, out| {
                build_and_sample(3, &[0.5, 0.5, 0.5], None, Some(logits::<T>(ok)), g, out)
            },
        ),
        entry(
            "sizes whose product overflows (samples x B)",
            SizeOverflow,
            &[
                "samples x batch rows",
                "18446744073709551615 x 2",
                "overflows",
            ],
            |g, out| dist::<T>().draw(Noise::Generator(g, usize::MAX), Draw::Soft(out)),
        ),
        entry(
            "sizes whose product overflows (rows x K)",
            SizeOverflow,
            &["sample rows x K", "overflows"],
            |g, out| dist::<T>().draw(Noise::Generator(g, usize::MAX / 2), Draw::Soft(out)),
        ),
        entry(
            "output of the wrong length",
            InvalidShape,
            &["output", "5 elements", "expected 6"],
            |g, out| dist::<T>().draw(Noise::Generator(g, 1), Draw::Soft(&mut out[..5])),
        ),
        entry(
            "temperature 0",
            InvalidTemperature,
            &["temperature", "row 1", "0.0"],
            temp(0.0),
        ),
        entry(
            "temperature negative",
            InvalidTemperature,
            &["temperature", "row 1", "-1.5", "finite and > 0"],
            temp(-1.5),
        ),
        entry(
            "temperature NaN",
            InvalidTemperature,
            &["temperature", "row 1", "NaN"],
            temp(nan),
        ),
        entry(
            "temperature +inf",
            InvalidTemperature,
            &["temperature", "row 1", "inf"],
            temp(inf),
        ),
        entry(
            "probs negative",
            InvalidProbs,
            &["probs", "row 1", "category 2", "-0.5"],
            probs([0.2, 0.3, -0.5]),
        ),
        entry(
            "probs NaN",
            InvalidProbs,
            &["probs", "row 1", "category 0", "NaN"],
            probs([nan, 0.3, 0.5]),
        ),
        entry(
            "probs +inf",
            InvalidProbs,
            &["probs", "row 1", "category 1", "inf"],
            probs([0.1, inf, 0.5]),
        ),
        entry(
            "probs all zero",
            InvalidProbs,
            &["probs", "row 1", "sums to 0", "positive sum"],
            probs([0.0, 0.0, 0.0]),
        ),
        entry(
            "logits NaN",
            InvalidLogits,
            &["logits", "row 1", "category 1", "NaN"],
            logit([0.0, nan, 1.0]),
        ),
        entry(
            "logits +inf",
            InvalidLogits,
            &["logits", "row 1", "category 2", "inf"],
            logit([0.0, 1.0, inf]),
        ),
        entry(
            "logits all -inf",
            InvalidLogits,
            &["logits", "row 1", "-inf everywhere"],
            logit([-inf, -inf, -inf]),
        ),
        entry(
            "both probs and logits",
            InvalidParameterChoice,
            &["probs and logits both given"],
            move |g, out| {
                let p: Vec<T> = [0.2, 0.3, 0.5].repeat(2).into_iter().map(T::of).collect();
                build_and_sample(3, &[0.5], Some(p), Some(logits::<T>(ok)), g, out)
            },
        ),
        entry(
            "neither probs nor logits",
            InvalidParameterChoice,
            &["neither probs nor logits"],
            |g, out| build_and_sample(3, &[0.5], None, None, g, out),
        ),
        entry(
            "value off the simplex (sum)",
            InvalidValue,
            &["value", "row 1", "sum", "simplex"],
            value([0.2, 0.3, 0.6]),
        ),
        entry(
            "value below 0",
            InvalidValue,
            &["value", "row 1", "category 1", "-0.1"],
            value([0.5, -0.1, 0.6]),
        ),
        entry(
            "value above 1",
            InvalidValue,
            &["value", "row 1", "category 1", "1.5"],
            value([0.2, 1.5, -0.7]),
        ),
        entry(
            "value NaN",
            InvalidValue,
            &["value", "row 1", "category 2", "NaN"],
            value([0.5, 0.5, nan]),
        ),
        entry(
            "log-space value above 0",
            InvalidValue,
            &["log-space value", "row 1", "category 0", "0.1", "<= 0"],
            |_, out| {
                let x: Vec<T> = [
                    0.2f64.ln(),
                    0.3f64.ln(),
                    0.5f64.ln(),
                    0.1,
                    0.3f64.ln(),
                    0.6f64.ln(),
                ]
                .map(T::of)
                .to_vec();
                dist::<T>().log_prob_x_into(&x, &mut out[..2])
            },
        ),
        entry(
            "value rows not a multiple of batch rows",
            InvalidShape,
            &["value", "3 rows", "multiple", "2 batch rows"],
            |_, out| {
                dist::<T>().log_prob_into(
                    &[0.2, 0.3, 0.5]
                        .repeat(3)
                        .into_iter()
                        .map(T::of)
                        .collect::<Vec<_>>(),
                    &mut out[..3],
                )
            },
        ),
        entry(
            "value length not a multiple of K",
            InvalidShape,
            &["value", "4 elements", "K = 3"],
            |_, out| dist::<T>().log_prob_into(&[T::of(0.25); 4], &mut out[..1]),
        ),
        entry(
            "categorical: top_k = 0",
            InvalidOption,
            &["top_k is 0"],
            move |g, out| categorical_row1::<T>(g, out, ok, 0.5, Some(0)),
        ),
        entry(
            "categorical: temperature negative",
            InvalidTemperature,
            &["temperature: row 1 is -1.5", ">= 0"],
            move |g, out| categorical_row1::<T>(g, out, ok, -1.5, None),
        ),
        entry(
            "categorical: logits NaN",
            InvalidLogits,
            &["logits: row 1, category 1 is NaN"],
            move |g, out| categorical_row1::<T>(g, out, [0.0, nan, 1.0], 0.5, Some(2)),
        ),
        entry(
            "categorical: logits row all -inf",
            InvalidLogits,
            &["logits: row 1 is -inf everywhere"],
            move |g, out| categorical_row1::<T>(g, out, [f64::NEG_INFINITY; 3], 0.5, None),
        ),
    ]
}

/// Categorical indices of the `B = 2` logits with row 1 replaced, drawn
/// from `g`, their log-probabilities into `out` (which an error must leave
/// untouched, as the indices).
fn categorical_row1<T: Fl>(
    g: &mut Generator,
    out: &mut [T],
    row1: [f64; 3],
    t1: f64,
    top_k: Option<usize>,
) -> Result<(), Error> {
    let l = logits::<T>(row1);
    let t = [T::of(0.5), T::of(t1)];
    let mut index = vec![-7i64; 4];
    let params = relaxcat::categorical::CategoricalParams {
        k: 3,
        logits: &l,
        temperature: &t,
        top_k,
        validate: true,
    };
    let r = relaxcat::categorical::sample(
        &Exec::serial(),
        params,
        g,
        2,
        &mut index,
        Some(&mut out[..4]),
    );
    assert!(
        r.is_ok() || index.iter().all(|&i| i == -7),
        "indices written on error"
    );
    r
}

/// Classes that exist only at the C ABI: a Rust slice cannot be NULL, has
/// no leading dimension, and cannot alias a `&mut` output.
const C_ONLY: [&str; 3] = [
    "NULL pointer with a non-zero length",
    "leading dimension < K",
    "output aliasing an input",
];

fn run_matrix<T: Fl>() {
    const OUT: usize = 64;
    let entries = matrix::<T>();
    for e in &entries {
        let mut out = vec![sentinel::<T>(); OUT];
        let mut g = Generator::new(5);
        g.set_position(77);
        let before = g.clone();
        let what = format!("{} [{}]", T::TYPE_NAME, e.class);
        let err = match (e.call)(&mut g, &mut out) {
            Ok(()) => panic!("{what}: expected {:?}, got Ok", e.kind),
            Err(err) => err,
        };
        assert_eq!(err.kind(), e.kind, "{what}: message {:?}", err.message());
        for f in &e.fragments {
            assert!(
                err.message().contains(f),
                "{what}: message {:?} does not contain {f:?}",
                err.message()
            );
        }
        let s = sentinel::<T>().bits();
        assert!(
            out.iter().all(|v| v.bits() == s),
            "{what}: output written on error"
        );
        assert_eq!(g, before, "{what}: generator moved on error");
        println!("{what}: {:?}: {}", err.kind(), err.message());
    }
    assert_eq!(entries.len(), 31);
    for class in C_ONLY {
        println!(
            "{} [{class}]: C ABI only (tests/c/bad_input_matrix.c)",
            T::TYPE_NAME
        );
    }
}

#[test]
fn bad_input_matrix_f32() {
    run_matrix::<f32>();
}

#[test]
fn bad_input_matrix_f64() {
    run_matrix::<f64>();
}

/// Zero rows where zero is allowed: no samples, and no value rows, are
/// valid calls that write nothing (only parameter rows must be >= 1).
#[test]
fn zero_sample_and_value_rows_are_not_errors() {
    let d = dist::<f64>();
    let mut g = Generator::new(1);
    d.draw(Noise::Generator(&mut g, 0), Draw::Soft(&mut []))
        .unwrap();
    assert_eq!(g.position(), 0);
    assert!(d.log_prob(&[]).unwrap().is_empty());
    assert!(d.log_prob_x(&[]).unwrap().is_empty());
}
