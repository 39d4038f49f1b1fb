//! Samples are a pure function of (seed, stream row): SPEC section 4.
//!
//! - the same seed gives bit-identical results with 1 thread, 2 threads and
//!   the global pool, at sizes that really split into parallel tasks
//!   (more than `PARALLEL_MIN_ELEMENTS` = 32768 elements), on every backend,
//!   and every backend gives the same bits;
//! - rows `[a, b)` asked for alone equal that slice of the whole, for `a`,
//!   `b` not aligned to generator blocks (`rows_per_block(K)` rows), for
//!   soft, hard and log-space samples and for Gumbel noise;
//! - a `Generator` advances: two successive calls equal one call of twice
//!   the samples (rows laid out `S x B`), and it lands where it should.

use crate::common::{Fl, Inputs, assert_bits_eq, backends, cast, oracle};
use relaxcat::{Draw, Noise};
use relaxcat::{
    Exec, Generator, RelaxedOneHotCategorical, Stream, gumbel_rows, log_softmax_rows,
    logsumexp_rows, softmax_rows,
};

/// Shapes `(K, B, samples)`: every one is above the parallel threshold.
const SHAPES: [(usize, usize, usize); 3] = [(7, 2, 5000), (33, 3, 400), (1000, 1, 40)];

fn dist<T: Fl>(k: usize, b: usize, exec: Exec) -> RelaxedOneHotCategorical<'static, T> {
    let mut r = Inputs::new(k as u64 * 31 + b as u64);
    let mut logits = r.vec(k * b, -3.0, 3.0);
    if k > 2 {
        logits[1] = f64::NEG_INFINITY; // a masked category in row 0
    }
    let t: Vec<T> = cast(&(0..b).map(|i| 0.3 + i as f64).collect::<Vec<_>>());
    RelaxedOneHotCategorical::builder(k)
        .logits(&cast::<T>(&logits))
        .temperature(&t)
        .exec(exec)
        .build()
        .unwrap()
        .into_owned()
        .unwrap()
}

/// Everything a distribution computes from one stream, as bit patterns.
fn everything<T: Fl>(
    d: &RelaxedOneHotCategorical<T>,
    seed: u64,
    samples: usize,
) -> Vec<(&'static str, Vec<T>)> {
    let k = d.num_categories();
    let rows = samples * d.batch_rows();
    let stream = Stream::new(seed, 1_000_003);
    let mut g = Generator::new(seed);
    let y = d.rsample(&mut g, samples).unwrap();
    let x = d.rsample_log(&mut g, samples).unwrap();
    let (hard, soft) = d.rsample_hard(&mut g, samples).unwrap();
    let mut rows_y = vec![T::of(0.0); rows * k];
    d.draw(Noise::Rows(stream, 0..rows), Draw::Soft(&mut rows_y))
        .unwrap();
    let lp = d.log_prob(&y).unwrap();
    let lpx = d.log_prob_x(&x).unwrap();
    let mut noise = vec![T::of(0.0); rows * k];
    gumbel_rows(d.exec(), stream, k, &mut noise).unwrap();
    let mut lse = vec![T::of(0.0); rows];
    logsumexp_rows(d.exec(), &noise, k, &mut lse).unwrap();
    let mut sm = vec![T::of(0.0); rows * k];
    softmax_rows(d.exec(), &noise, k, &mut sm).unwrap();
    let mut lsm = vec![T::of(0.0); rows * k];
    log_softmax_rows(d.exec(), &noise, k, &mut lsm).unwrap();
    vec![
        ("rsample", y),
        ("rsample_log", x),
        ("hard", hard),
        ("hard's soft", soft),
        ("draw(Noise::Rows)", rows_y),
        ("log_prob", lp),
        ("log_prob_x", lpx),
        ("gumbel_rows", noise),
        ("logsumexp_rows", lse),
        ("softmax_rows", sm),
        ("log_softmax_rows", lsm),
    ]
}

fn threads_and_backends<T: Fl>() {
    for (k, b, samples) in SHAPES {
        assert!(
            k * b * samples > 32 * 1024,
            "shape too small to go parallel"
        );
        let mut reference: Option<Vec<(&str, Vec<T>)>> = None;
        for (backend, exec) in backends("thread_count_and_backend_do_not_change_results") {
            let execs = [
                ("serial", Exec::serial().with_backend(backend).unwrap()),
                ("1 thread", exec.clone().with_threads(1).unwrap()),
                ("2 threads", exec.clone().with_threads(2).unwrap()),
                ("3 threads", exec.clone().with_threads(3).unwrap()),
                ("global pool", exec.clone()),
            ];
            for (name, e) in execs {
                let out = everything(&dist::<T>(k, b, e), 99, samples);
                match &reference {
                    None => reference = Some(out),
                    Some(r) => {
                        for ((what, a), (_, b)) in out.iter().zip(r) {
                            assert_bits_eq(
                                &format!(
                                    "{} K={k} {what}: {backend:?} {name} vs serial",
                                    T::TYPE_NAME
                                ),
                                a,
                                b,
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn thread_count_and_backend_do_not_change_results_f32() {
    threads_and_backends::<f32>();
}

#[test]
fn thread_count_and_backend_do_not_change_results_f64() {
    threads_and_backends::<f64>();
}

/// Row ranges `[a, b)`: the start, straddling block boundaries, mid-block
/// to mid-block across many blocks, the end; with two threads so the long
/// ranges split into tasks whose boundaries fall mid-range.
fn row_ranges(k: usize, n: usize) -> Vec<(usize, usize)> {
    let rpb = oracle::rows_per_block(k);
    let mut ranges = vec![
        (0, 1),
        (1, 2),
        (rpb - 1, rpb + 1),
        (rpb / 2, 3 * rpb + 1),
        (123 % n, n),
        (n - 3, n),
        (7, n - 5),
    ];
    ranges.retain(|&(a, b)| a < b && b <= n);
    ranges
}

fn rows_alone<T: Fl>() {
    for (k, b, samples) in SHAPES {
        let exec = Exec::new().with_threads(2).unwrap();
        let d = dist::<T>(k, b, exec.clone());
        let n = samples * b;
        let stream = Stream::new(2718, 41);
        let mut y = vec![T::of(0.0); n * k];
        let mut x = vec![T::of(0.0); n * k];
        let mut hard = vec![T::of(0.0); n * k];
        let mut soft = vec![T::of(0.0); n * k];
        let mut g = vec![T::of(0.0); n * k];
        d.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
            .unwrap();
        d.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
            .unwrap();
        d.draw(
            Noise::Rows(stream, 0..n),
            Draw::Hard {
                hard: &mut hard,
                soft: &mut soft,
            },
        )
        .unwrap();
        gumbel_rows(&exec, stream, k, &mut g).unwrap();
        for (a, e) in row_ranges(k, n) {
            let what = |s: &str| format!("{} K={k} B={b} rows {a}..{e} {s}", T::TYPE_NAME);
            let part = a * k..e * k;
            let m = (e - a) * k;
            let mut py = vec![T::of(0.0); m];
            d.draw(Noise::Rows(stream, a..e), Draw::Soft(&mut py))
                .unwrap();
            assert_bits_eq(&what("soft"), &py, &y[part.clone()]);
            let mut px = vec![T::of(0.0); m];
            d.draw(Noise::Rows(stream, a..e), Draw::Log(&mut px))
                .unwrap();
            assert_bits_eq(&what("log"), &px, &x[part.clone()]);
            let (mut ph, mut ps) = (vec![T::of(0.0); m], vec![T::of(0.0); m]);
            d.draw(
                Noise::Rows(stream, a..e),
                Draw::Hard {
                    hard: &mut ph,
                    soft: &mut ps,
                },
            )
            .unwrap();
            assert_bits_eq(&what("hard"), &ph, &hard[part.clone()]);
            assert_bits_eq(&what("hard's soft"), &ps, &soft[part.clone()]);
            // Gumbel noise: rows a.. of a stream are rows 0.. of the stream
            // that starts a rows later.
            let mut pg = vec![T::of(0.0); m];
            gumbel_rows(
                &exec,
                Stream::new(stream.seed, stream.offset + a as u64),
                k,
                &mut pg,
            )
            .unwrap();
            assert_bits_eq(&what("gumbel"), &pg, &g[part.clone()]);
            if b == 1 {
                // With one parameter row, shifting the stream offset is the
                // same as asking for later rows.
                let mut q = vec![T::of(0.0); m];
                d.draw(
                    Noise::Rows(Stream::new(stream.seed, stream.offset + a as u64), 0..e - a),
                    Draw::Soft(&mut q),
                )
                .unwrap();
                assert_bits_eq(&what("soft via offset"), &q, &y[part]);
            }
        }
    }
}

#[test]
fn rows_asked_alone_equal_the_slice_of_the_whole_f32() {
    rows_alone::<f32>();
}

#[test]
fn rows_asked_alone_equal_the_slice_of_the_whole_f64() {
    rows_alone::<f64>();
}

/// Two successive `rsample` calls of S samples equal one call of 2S
/// (`S x B` rows each, the second call's rows following the first's), for
/// soft, log-space and hard samples; and the generator's draws equal
/// `draw(Noise::Rows(..))` on the stream `(seed, position)`.
fn generator_advances<T: Fl>() {
    let (k, b, s) = (9, 3, 700);
    let d = dist::<T>(k, b, Exec::new());
    let seed = 5;

    let mut g1 = Generator::new(seed);
    let first = d.rsample(&mut g1, s).unwrap();
    assert_eq!(g1.position(), (s * b) as u64);
    let second = d.rsample(&mut g1, s).unwrap();
    assert_eq!(g1.position(), (2 * s * b) as u64);
    let mut g2 = Generator::new(seed);
    let both = d.rsample(&mut g2, 2 * s).unwrap();
    assert_eq!(g2, g1);
    assert_bits_eq("soft first half", &first, &both[..s * b * k]);
    assert_bits_eq("soft second half", &second, &both[s * b * k..]);
    let mut rows = vec![T::of(0.0); 2 * s * b * k];
    d.draw(
        Noise::Rows(Stream::new(seed, 0), 0..2 * s * b),
        Draw::Soft(&mut rows),
    )
    .unwrap();
    assert_bits_eq("generator vs stream", &both, &rows);

    // Log-space and hard, from a generator moved to a position.
    let start = 12_345;
    let mut g1 = Generator::new(seed);
    g1.set_position(start);
    let (x1, x2) = (
        d.rsample_log(&mut g1, s).unwrap(),
        d.rsample_log(&mut g1, s).unwrap(),
    );
    let mut g2 = Generator::new(seed);
    g2.set_position(start);
    let x = d.rsample_log(&mut g2, 2 * s).unwrap();
    assert_bits_eq("log first half", &x1, &x[..s * b * k]);
    assert_bits_eq("log second half", &x2, &x[s * b * k..]);
    let mut xr = vec![T::of(0.0); 2 * s * b * k];
    d.draw(
        Noise::Rows(Stream::new(seed, start), 0..2 * s * b),
        Draw::Log(&mut xr),
    )
    .unwrap();
    assert_bits_eq("log generator vs stream", &x, &xr);

    let mut g1 = Generator::new(seed);
    let ((h1, s1), (h2, s2)) = (
        d.rsample_hard(&mut g1, s).unwrap(),
        d.rsample_hard(&mut g1, s).unwrap(),
    );
    let mut g2 = Generator::new(seed);
    let (h, so) = d.rsample_hard(&mut g2, 2 * s).unwrap();
    assert_bits_eq("hard first half", &h1, &h[..s * b * k]);
    assert_bits_eq("hard second half", &h2, &h[s * b * k..]);
    assert_bits_eq("hard soft first half", &s1, &so[..s * b * k]);
    assert_bits_eq("hard soft second half", &s2, &so[s * b * k..]);
    assert_bits_eq("hard's soft equals rsample", &so, &both);

    // `sample` is documented to give the same values as `rsample`.
    let mut g3 = Generator::new(seed);
    assert_bits_eq(
        "sample vs rsample",
        &d.sample(&mut g3, 2 * s).unwrap(),
        &both,
    );

    // A different seed gives different samples.
    let other = d.rsample(&mut Generator::new(seed + 1), s).unwrap();
    assert!(
        other.iter().zip(&first).any(|(a, b)| a.bits() != b.bits()),
        "seed ignored"
    );
}

#[test]
fn generator_advances_f32() {
    generator_advances::<f32>();
}

#[test]
fn generator_advances_f64() {
    generator_advances::<f64>();
}
