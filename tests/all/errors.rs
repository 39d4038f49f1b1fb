//! Every error kind reachable from the Rust API, triggered on purpose.
//!
//! For each: the `ErrorKind`; a message that names the parameter, and where
//! there is one the row (and category) and the offending value; output
//! buffers, pre-filled with a sentinel, byte-identical afterwards (SPEC
//! section 2: "nothing is written to any output"); and a `Generator` whose
//! position did not move.

use crate::common::{Fl, backends, sentinel};
use relaxcat::{
    Backend, Error, ErrorKind, Exec, Generator, RelaxedOneHotCategorical, Stream, gumbel_rows,
    log_softmax_rows, logsumexp_rows, softmax_rows,
};
use relaxcat::{Draw, Noise};

/// Asserts `result` is an error of `kind` whose message contains every one
/// of `fragments`; returns the error.
#[track_caller]
fn expect_err<R: std::fmt::Debug>(
    result: Result<R, Error>,
    kind: ErrorKind,
    fragments: &[&str],
) -> Error {
    let e = match result {
        Ok(v) => panic!("expected {kind:?} error containing {fragments:?}, got Ok({v:?})"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), kind, "wrong kind for message {:?}", e.message());
    for f in fragments {
        assert!(
            e.message().contains(f),
            "message {:?} does not contain {f:?}",
            e.message()
        );
    }
    // Display is the message; the type is a std error.
    assert_eq!(e.to_string(), e.message());
    let _: &dyn std::error::Error = &e;
    e
}

/// A buffer of `n` sentinels.
fn filled<T: Fl>(n: usize) -> Vec<T> {
    vec![sentinel::<T>(); n]
}

/// Asserts every element is still the sentinel, bit for bit.
#[track_caller]
fn untouched<T: Fl>(what: &str, buf: &[T]) {
    let s = sentinel::<T>().bits();
    assert!(
        buf.iter().all(|v| v.bits() == s),
        "{what}: output written on error"
    );
}

fn dist<T: Fl>(exec: &Exec) -> RelaxedOneHotCategorical<'static, T> {
    // B = 2 rows of K = 3.
    let logits = [0.1, -0.4, 1.2, 0.0, 0.5, -2.0].map(T::of);
    RelaxedOneHotCategorical::builder(3)
        .logits(&logits)
        .temperature(&[T::of(0.5)])
        .exec(exec.clone())
        .build()
        .unwrap()
        .into_owned()
        .unwrap()
}

#[test]
fn builder_shape_and_choice_errors() {
    let t = [1.0f32];
    let l = [0.0f32, 1.0, 2.0];
    type D<'a> = RelaxedOneHotCategorical<'a, f32>;
    expect_err(
        D::builder(0).logits(&[]).temperature(&t).build(),
        ErrorKind::InvalidShape,
        &["k is 0"],
    );
    expect_err(
        D::builder(0).logits(&l).temperature(&t).build(),
        ErrorKind::InvalidShape,
        &["k is 0"],
    );
    expect_err(
        D::builder(3)
            .logits(&[1.0, 2.0, 3.0, 4.0])
            .temperature(&t)
            .build(),
        ErrorKind::InvalidShape,
        &["logits", "4 elements", "K = 3"],
    );
    expect_err(
        D::builder(3).probs(&[0.5, 0.5]).temperature(&t).build(),
        ErrorKind::InvalidShape,
        &["probs", "2 elements"],
    );
    expect_err(
        D::builder(3).logits(&[]).temperature(&t).build(),
        ErrorKind::InvalidShape,
        &["logits", "0 elements"],
    );
    expect_err(
        D::builder(3).logits(&l).probs(&l).temperature(&t).build(),
        ErrorKind::InvalidParameterChoice,
        &["both"],
    );
    expect_err(
        D::builder(3).temperature(&t).build(),
        ErrorKind::InvalidParameterChoice,
        &["neither"],
    );
    // Temperature count: 1 or B.
    let l2 = [0.0f32; 9];
    expect_err(
        D::builder(3).logits(&l2).temperature(&[1.0, 2.0]).build(),
        ErrorKind::InvalidShape,
        &["temperature", "2 values", "3"],
    );
    expect_err(
        D::builder(3).logits(&l2).build(),
        ErrorKind::InvalidShape,
        &["temperature", "0 values"],
    );
    // Shapes are checked even with validation off.
    expect_err(
        D::builder(3)
            .logits(&l2)
            .temperature(&[1.0, 2.0])
            .validate(false)
            .build(),
        ErrorKind::InvalidShape,
        &["temperature"],
    );
    expect_err(
        D::builder(3)
            .logits(&[1.0])
            .validate(false)
            .temperature(&t)
            .build(),
        ErrorKind::InvalidShape,
        &["logits"],
    );
    // Validation off: values are not checked.
    assert!(
        D::builder(3)
            .logits(&[f32::NAN, 0.0, 0.0])
            .temperature(&[-1.0])
            .validate(false)
            .build()
            .is_ok()
    );
}

fn temperature_errors<T: Fl>() {
    let l = [0.0, 1.0, 2.0, 0.5, 0.5, 0.5].map(T::of);
    for (bad, shown) in [
        (0.0, "0.0"),
        (-1.5, "-1.5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        // Per-row: the bad one is row 1.
        let t = [T::of(1.0), T::of(bad)];
        let r = RelaxedOneHotCategorical::builder(3)
            .logits(&l)
            .temperature(&t)
            .build();
        expect_err(
            r,
            ErrorKind::InvalidTemperature,
            &["temperature", "row 1", shown],
        );
        // Scalar: row 0.
        let r = RelaxedOneHotCategorical::builder(3)
            .logits(&l)
            .temperature(&[T::of(bad)])
            .build()
            .and_then(|d| d.into_owned());
        expect_err(
            r,
            ErrorKind::InvalidTemperature,
            &["temperature", "row 0", shown],
        );
    }
    // Subnormal and huge finite temperatures are valid.
    assert!(
        RelaxedOneHotCategorical::builder(3)
            .logits(&l)
            .temperature(&[T::of(T::DENORM_MIN)])
            .build()
            .is_ok()
    );
    assert!(
        RelaxedOneHotCategorical::builder(3)
            .logits(&l)
            .temperature(&[T::of(1e30)])
            .build()
            .is_ok()
    );
}

#[test]
fn temperature_errors_f32() {
    temperature_errors::<f32>();
}

#[test]
fn temperature_errors_f64() {
    temperature_errors::<f64>();
}

fn parameter_value_errors<T: Fl>() {
    let t = [T::of(1.0)];
    let build_p = |p: &[f64]| {
        RelaxedOneHotCategorical::builder(3)
            .probs(&p.iter().map(|&v| T::of(v)).collect::<Vec<_>>())
            .temperature(&t)
            .build()
            .and_then(|d| d.into_owned())
    };
    let build_l = |l: &[f64]| {
        RelaxedOneHotCategorical::builder(3)
            .logits(&l.iter().map(|&v| T::of(v)).collect::<Vec<_>>())
            .temperature(&t)
            .build()
            .and_then(|d| d.into_owned())
    };
    let ok = [0.2, 0.3, 0.5];
    let with = |row: [f64; 3]| [ok, row].concat();
    expect_err(
        build_p(&with([0.2, 0.3, -0.5])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1", "category 2", "-0.5"],
    );
    expect_err(
        build_p(&with([f64::NAN, 0.3, 0.5])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1", "category 0", "NaN"],
    );
    expect_err(
        build_p(&with([0.1, f64::INFINITY, 0.5])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1", "category 1", "inf"],
    );
    expect_err(
        build_p(&with([0.0, 0.0, 0.0])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1", "sum"],
    );
    expect_err(
        build_p(&with([-0.0, 0.0, 0.0])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1"],
    );
    // A row whose sum overflows T.
    let big = if T::IS_F64 { 1e308 } else { 3e38 };
    expect_err(
        build_p(&with([big, big, 0.0])),
        ErrorKind::InvalidProbs,
        &["probs", "row 1", "sum"],
    );
    expect_err(
        build_l(&with([0.0, f64::NAN, 1.0])),
        ErrorKind::InvalidLogits,
        &["logits", "row 1", "category 1", "NaN"],
    );
    expect_err(
        build_l(&with([0.0, 1.0, f64::INFINITY])),
        ErrorKind::InvalidLogits,
        &["logits", "row 1", "category 2", "inf"],
    );
    let ninf = f64::NEG_INFINITY;
    expect_err(
        build_l(&with([ninf, ninf, ninf])),
        ErrorKind::InvalidLogits,
        &["logits", "row 1", "-inf"],
    );
    // Valid edge cases: a masked category, zero probs, huge finite logits.
    assert!(build_l(&with([ninf, 0.0, ninf])).is_ok());
    assert!(build_p(&with([0.0, 0.0, 1e-30])).is_ok());
    assert!(build_l(&with([-1e4, 1e4, 0.0])).is_ok());
}

#[test]
fn parameter_value_errors_f32() {
    parameter_value_errors::<f32>();
}

#[test]
fn parameter_value_errors_f64() {
    parameter_value_errors::<f64>();
}

fn sampling_errors<T: Fl>() {
    for (backend, exec) in backends("sampling_errors") {
        let d = dist::<T>(&exec);
        let (k, b) = (3, 2);
        let what = |s: &str| format!("{} {backend:?} {s}", T::TYPE_NAME);
        let mut g = Generator::new(7);
        g.set_position(1000);
        let before = g.clone();

        // Wrong output lengths.
        let mut out = filled::<T>(2 * b * k - 1);
        expect_err(
            d.draw(Noise::Generator(&mut g, 2), Draw::Soft(&mut out)),
            ErrorKind::InvalidShape,
            &["output", "11", "12"],
        );
        untouched(&what("draw(Soft)"), &out);
        expect_err(
            d.draw(Noise::Generator(&mut g, 2), Draw::Log(&mut out)),
            ErrorKind::InvalidShape,
            &["output", "11", "12"],
        );
        untouched(&what("draw(Log)"), &out);
        expect_err(
            d.draw(Noise::Generator(&mut g, 2), Draw::Soft(&mut out)),
            ErrorKind::InvalidShape,
            &["output"],
        );
        untouched(&what("draw(Soft) again"), &out);
        let mut long = filled::<T>(2 * b * k + 1);
        expect_err(
            d.draw(Noise::Generator(&mut g, 2), Draw::Soft(&mut long)),
            ErrorKind::InvalidShape,
            &["output", "13", "12"],
        );
        untouched(&what("draw(Soft) long"), &long);
        let (mut hard, mut soft) = (filled::<T>(2 * b * k), filled::<T>(2 * b * k - 1));
        expect_err(
            d.draw(
                Noise::Generator(&mut g, 2),
                Draw::Hard {
                    hard: &mut hard,
                    soft: &mut soft,
                },
            ),
            ErrorKind::InvalidShape,
            &["soft output"],
        );
        untouched(&what("hard, bad soft"), &hard);
        untouched(&what("soft, bad soft"), &soft);
        let (mut hard, mut soft) = (filled::<T>(2 * b * k - 1), filled::<T>(2 * b * k));
        expect_err(
            d.draw(
                Noise::Generator(&mut g, 2),
                Draw::Hard {
                    hard: &mut hard,
                    soft: &mut soft,
                },
            ),
            ErrorKind::InvalidShape,
            &["hard output"],
        );
        untouched(&what("hard, bad hard"), &hard);
        untouched(&what("soft, bad hard"), &soft);

        // Sample counts that overflow: samples x B, then rows x K.
        let mut out = filled::<T>(6);
        expect_err(
            d.draw(Noise::Generator(&mut g, usize::MAX), Draw::Soft(&mut out)),
            ErrorKind::SizeOverflow,
            &["samples x batch rows"],
        );
        expect_err(
            d.draw(
                Noise::Generator(&mut g, usize::MAX / 2),
                Draw::Soft(&mut out),
            ),
            ErrorKind::SizeOverflow,
            &["sample rows x K"],
        );
        expect_err(
            d.draw(
                Noise::Generator(&mut g, usize::MAX / 2),
                Draw::Log(&mut out),
            ),
            ErrorKind::SizeOverflow,
            &["K"],
        );
        expect_err(
            d.draw(
                Noise::Generator(&mut g, usize::MAX),
                Draw::Hard {
                    hard: &mut out.clone(),
                    soft: &mut out,
                },
            ),
            ErrorKind::SizeOverflow,
            &["samples"],
        );
        untouched(&what("overflow"), &out);
        expect_err(
            d.rsample(&mut g, usize::MAX),
            ErrorKind::SizeOverflow,
            &["samples x batch rows"],
        );
        expect_err(
            d.rsample(&mut g, usize::MAX / 2),
            ErrorKind::SizeOverflow,
            &["sample rows x K"],
        );
        expect_err(
            d.rsample_log(&mut g, usize::MAX / 2),
            ErrorKind::SizeOverflow,
            &[],
        );
        expect_err(
            d.rsample_hard(&mut g, usize::MAX / 2),
            ErrorKind::SizeOverflow,
            &[],
        );
        expect_err(d.sample(&mut g, usize::MAX), ErrorKind::SizeOverflow, &[]);
        assert_eq!(g, before, "{}: generator advanced on error", what(""));

        // Stateless row ranges.
        let s = Stream::new(1, 2);
        let mut out = filled::<T>(6);
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..3;
        expect_err(
            d.draw(Noise::Rows(s, reversed), Draw::Soft(&mut out)),
            ErrorKind::InvalidShape,
            &["reversed"],
        );
        expect_err(
            d.draw(Noise::Rows(s, 0..usize::MAX), Draw::Soft(&mut out)),
            ErrorKind::SizeOverflow,
            &["K"],
        );
        expect_err(
            d.draw(Noise::Rows(s, 0..3), Draw::Soft(&mut out)),
            ErrorKind::InvalidShape,
            &["output", "6", "9"],
        );
        expect_err(
            d.draw(Noise::Rows(s, 1..2), Draw::Log(&mut out)),
            ErrorKind::InvalidShape,
            &["output", "6", "3"],
        );
        let mut hard = filled::<T>(6);
        expect_err(
            d.draw(
                Noise::Rows(s, 0..2),
                Draw::Hard {
                    hard: &mut hard,
                    soft: &mut out[..5],
                },
            ),
            ErrorKind::InvalidShape,
            &["soft output"],
        );
        untouched(&what("rows"), &out);
        untouched(&what("rows hard"), &hard);

        // Free functions.
        let mut out = filled::<T>(7);
        expect_err(
            gumbel_rows(&exec, s, 0, &mut out),
            ErrorKind::InvalidShape,
            &["k is 0"],
        );
        expect_err(
            gumbel_rows(&exec, s, 3, &mut out),
            ErrorKind::InvalidShape,
            &["output", "7", "K = 3"],
        );
        let input = [T::of(0.5); 6];
        expect_err(
            logsumexp_rows(&exec, &input, 0, &mut out),
            ErrorKind::InvalidShape,
            &["k is 0"],
        );
        expect_err(
            logsumexp_rows(&exec, &input, 4, &mut out[..1]),
            ErrorKind::InvalidShape,
            &["input", "6", "K = 4"],
        );
        expect_err(
            logsumexp_rows(&exec, &input, 3, &mut out[..3]),
            ErrorKind::InvalidShape,
            &["output", "3", "2"],
        );
        expect_err(
            softmax_rows(&exec, &input, 3, &mut out[..5]),
            ErrorKind::InvalidShape,
            &["output", "5", "6"],
        );
        expect_err(
            log_softmax_rows(&exec, &input, 3, &mut out),
            ErrorKind::InvalidShape,
            &["output", "7", "6"],
        );
        expect_err(
            log_softmax_rows(&exec, &input, 0, &mut out),
            ErrorKind::InvalidShape,
            &["k is 0"],
        );
        untouched(&what("free functions"), &out);
    }
}

#[test]
fn sampling_errors_f32() {
    sampling_errors::<f32>();
}

#[test]
fn sampling_errors_f64() {
    sampling_errors::<f64>();
}

fn density_errors<T: Fl>() {
    for (backend, exec) in backends("density_errors") {
        let d = dist::<T>(&exec);
        let what = |s: &str| format!("{} {backend:?} {s}", T::TYPE_NAME);
        let ok = [0.2, 0.3, 0.5];
        // Value batches: 2 rows, the second (row 1) bad.
        let value =
            |row: [f64; 3]| -> Vec<T> { [ok, row].concat().into_iter().map(T::of).collect() };
        let log_value = |row: [f64; 3]| -> Vec<T> {
            [ok.map(f64::ln), row]
                .concat()
                .into_iter()
                .map(T::of)
                .collect()
        };
        let mut out = filled::<T>(2);
        let cases: [([f64; 3], &[&str]); 7] = [
            ([0.2, 0.3, 0.6], &["value", "row 1", "sum", "simplex"]),
            ([0.2, 0.3, 0.4], &["value", "row 1", "sum"]),
            ([0.2, 1.5, -0.7], &["value", "row 1", "category 1", "1.5"]),
            ([0.5, -0.1, 0.6], &["value", "row 1", "category 1", "-0.1"]),
            (
                [0.5, 0.5, f64::NAN],
                &["value", "row 1", "category 2", "NaN"],
            ),
            (
                [f64::INFINITY, 0.0, 0.0],
                &["value", "row 1", "category 0", "inf"],
            ),
            (
                [0.5, f64::NEG_INFINITY, 0.5],
                &["value", "row 1", "category 1", "-inf"],
            ),
        ];
        for (row, fragments) in cases {
            expect_err(
                d.log_prob_into(&value(row), &mut out),
                ErrorKind::InvalidValue,
                fragments,
            );
            untouched(&what(&format!("log_prob {row:?}")), &out);
            expect_err(d.log_prob(&value(row)), ErrorKind::InvalidValue, fragments);
        }
        let log_cases: [([f64; 3], &[&str]); 4] = [
            (
                [0.1, 0.3f64.ln(), 0.6f64.ln()],
                &["log-space value", "row 1", "category 0", "0.1", "<= 0"],
            ),
            (
                [0.5f64.ln(), f64::NAN, 0.5f64.ln()],
                &["log-space value", "row 1", "category 1", "NaN"],
            ),
            (
                [0.5f64.ln(); 3],
                &["log-space value", "row 1", "sum of exp"],
            ),
            (
                [f64::INFINITY, 0.0, 0.0],
                &["log-space value", "row 1", "category 0", "inf"],
            ),
        ];
        for (row, fragments) in log_cases {
            expect_err(
                d.log_prob_x_into(&log_value(row), &mut out),
                ErrorKind::InvalidValue,
                fragments,
            );
            untouched(&what(&format!("log_prob_x {row:?}")), &out);
            expect_err(
                d.log_prob_x(&log_value(row)),
                ErrorKind::InvalidValue,
                fragments,
            );
        }
        // Shapes: value rows a multiple of B, a multiple of K, output length.
        let three_rows: Vec<T> = [ok, ok, ok].concat().into_iter().map(T::of).collect();
        let mut out3 = filled::<T>(3);
        expect_err(
            d.log_prob_into(&three_rows, &mut out3),
            ErrorKind::InvalidShape,
            &["value", "3 rows", "2 batch rows"],
        );
        expect_err(
            d.log_prob_x_into(&three_rows, &mut out3),
            ErrorKind::InvalidShape,
            &["log-space value", "3 rows"],
        );
        untouched(&what("3 rows"), &out3);
        let ragged: Vec<T> = [0.5, 0.5, 0.5, 0.5].map(T::of).to_vec();
        expect_err(
            d.log_prob_into(&ragged, &mut out),
            ErrorKind::InvalidShape,
            &["value", "4 elements", "K = 3"],
        );
        expect_err(d.log_prob(&ragged), ErrorKind::InvalidShape, &["value"]);
        expect_err(
            d.log_prob_into(&value(ok), &mut out3),
            ErrorKind::InvalidShape,
            &["log_prob output", "3", "2"],
        );
        expect_err(
            d.log_prob_x_into(&log_value(ok.map(f64::ln)), &mut out[..1]),
            ErrorKind::InvalidShape,
            &["output", "1", "2"],
        );
        untouched(&what("shapes"), &out);
        untouched(&what("shapes"), &out3);

        // Validation off: off-simplex values are scored, not refused; shapes
        // are still checked.
        let lax = RelaxedOneHotCategorical::builder(3)
            .logits(&[0.1, -0.4, 1.2, 0.0, 0.5, -2.0].map(T::of))
            .temperature(&[T::of(0.5)])
            .validate(false)
            .exec(exec.clone())
            .build()
            .unwrap()
            .into_owned()
            .unwrap();
        assert!(!lax.validates());
        assert!(lax.log_prob(&value([0.2, 0.3, 0.6])).is_ok());
        expect_err(
            lax.log_prob(&three_rows),
            ErrorKind::InvalidShape,
            &["rows"],
        );
    }
}

#[test]
fn density_errors_f32() {
    density_errors::<f32>();
}

#[test]
fn density_errors_f64() {
    density_errors::<f64>();
}

/// The row named in a value error is the absolute value row, also when the
/// rows are split between threads (60,000 elements, two threads).
#[test]
fn value_error_names_the_absolute_row_in_parallel() {
    let exec = Exec::new().with_threads(2).unwrap();
    let d = dist::<f64>(&exec);
    let rows = 20_000;
    let mut value: Vec<f64> = [0.2, 0.3, 0.5].repeat(rows);
    value[15_001 * 3 + 2] = 0.7;
    let mut out = filled::<f64>(rows);
    expect_err(
        d.log_prob_into(&value, &mut out),
        ErrorKind::InvalidValue,
        &["value", "row 15001", "sum"],
    );
    untouched("parallel log_prob", &out);
    value[15_001 * 3 + 2] = 0.5;
    value[19_999 * 3] = -0.2;
    value[19_999 * 3 + 1] = 0.7;
    expect_err(
        d.log_prob_into(&value, &mut out),
        ErrorKind::InvalidValue,
        &["row 19999", "category 0", "-0.2"],
    );
    untouched("parallel log_prob", &out);
    d.log_prob_into(&[0.2, 0.3, 0.5].repeat(rows), &mut out)
        .unwrap();
}

#[test]
fn exec_errors() {
    expect_err(
        Exec::new().with_threads(0),
        ErrorKind::InvalidOption,
        &["threads", "0"],
    );
    expect_err(
        Exec::serial().with_threads(0),
        ErrorKind::InvalidOption,
        &["threads"],
    );
    assert!(Exec::new().with_threads(1).is_ok());
    let missing: Vec<Backend> = Backend::ALL
        .into_iter()
        .filter(|b| !b.is_available())
        .collect();
    if missing.is_empty() {
        println!(
            "exec_errors: every backend is available on this CPU; the unavailable-backend error is not reachable here"
        );
    }
    for b in missing {
        expect_err(
            Exec::new().with_backend(b),
            ErrorKind::InvalidOption,
            &["backend", b.name()],
        );
    }
}

/// The error kinds are the C ABI's status codes: stable and append-only.
#[test]
fn error_kind_codes_are_stable() {
    let codes = [
        (ErrorKind::NullPointer, 1),
        (ErrorKind::InvalidShape, 2),
        (ErrorKind::SizeOverflow, 3),
        (ErrorKind::InvalidParameterChoice, 4),
        (ErrorKind::InvalidTemperature, 5),
        (ErrorKind::InvalidProbs, 6),
        (ErrorKind::InvalidLogits, 7),
        (ErrorKind::InvalidValue, 8),
        (ErrorKind::Aliasing, 9),
        (ErrorKind::InvalidOption, 10),
        (ErrorKind::Internal, 11),
        (ErrorKind::OutOfMemory, 12),
    ];
    for (kind, code) in codes {
        assert_eq!(kind as i32, code, "{kind:?}");
    }
}
