//! Every kernel against the naive f64 oracle (tests/common), on every
//! backend this CPU has, for f32 and f64, over row lengths
//! K in {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 4097} (1, lanes +- 1,
//! 2 lanes +- 1, 4 lanes +- 1, odd primes, large, and a multi-chunk length)
//! and special rows; all backends must agree bit for bit; outputs written
//! into sub-slices of sentinel-filled buffers leave the padding untouched.
//!
//! Error measures (all stated relative to the *condition* of the problem,
//! since an input rounding of one ulp moves e.g. `exp(v - m)` by
//! `|v - m|` ulps). `eps` is the machine epsilon of the type under test and
//! `m` the row maximum:
//!
//! | kernel        | measure                                              |
//! |---------------|------------------------------------------------------|
//! | logsumexp     | `|err| / (eps (1 + |m| + ln s + sqrt K))`             |
//! | softmax       | `|err| / (eps y (1 + |v - m| + sqrt K) + dmin)`       |
//! | log_softmax   | `|err| / (eps (1 + |v - m| + ln s + sqrt K))`         |
//! | gumbel        | `|err| / (eps (1 + |g|))`                              |
//! | rsample y     | `|err| / (eps y (1 + |z| + |max z| + sqrt K) + dmin)` |
//! | rsample_log x | `|err| / (eps (1 + |z| + |max z| + ln s + sqrt K))`   |
//! | log_prob(_x)  | `|err| / (eps * sum of the magnitudes of the terms)`  |
//!
//! with `s = sum_k e^(v_k - m)` and `dmin = 2 * denorm_min` (a subnormal
//! output is rounded twice: by `exp` and by the scaling). The `sqrt K` term
//! is the typical growth of the rounding error of the row sum `s` (a
//! fixed-order blocked sum; the worst case grows like `K/32`, the random
//! rows here stay near `sqrt K`).
//!
//! Non-finite expected values (`-inf` for masked categories or a boundary
//! value, NaN for undefined rows) must be matched exactly. The limits on
//! these ratios (`LIMIT_*` below) were set from the measured worst cases
//! (printed with `--nocapture`) with headroom of about 2x. In plain terms,
//! for moderate rows (|z| up to ~10, K up to ~30) that is a relative error
//! of a few 1e-6 in f32 samples and a few 1e-15 in f64.

use crate::common::{
    Fl, Inputs, Padded, Worst, assert_bits_eq, backends, cast, err_ratio, oracle, widen,
};
use relaxcat::{Draw, Noise};
use relaxcat::{
    Exec, RelaxedOneHotCategorical, Stream, gumbel_rows, log_softmax_rows, logsumexp_rows,
    softmax_rows,
};

#[cfg(not(miri))]
const LENGTHS: [usize; 12] = [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 4097];
/// Under Miri (scripts/miri.sh), which interprets every operation (about
/// a tenth of a second per row of eight lanes): short rows only, a partial
/// vector, one of 7 lanes, and a full vector with a tail of one.
#[cfg(miri)]
const LENGTHS: [usize; 3] = [1, 7, 9];

// Pinned limits on the error ratios defined in the module docs: about
// twice the worst measured on this project's machines (AVX2, portable and
// scalar agree bit for bit, so the backend does not matter). Measured
// (f32 / f64): logsumexp 0.29 / 0.14, softmax 0.33 / 0.50 (normalised
// probs 0.39 / 0.22), log_softmax 0.89 / 0.41 (normalised logits
// 0.38 / 0.27), gumbel 0.65 / 1.00, rsample 1.46 / 1.83, rsample_log
// 1.70 / 1.93, log_prob 0.70 / 1.23 (fully masked chunks 0.25 / 1.36),
// log_prob_x 0.24 / 0.27.
const LIMIT_LOGSUMEXP: f64 = 1.0;
const LIMIT_SOFTMAX: f64 = 1.5;
const LIMIT_LOG_SOFTMAX: f64 = 2.0;
const LIMIT_GUMBEL: f64 = 2.0;
const LIMIT_SAMPLE: f64 = 4.0;
const LIMIT_LOG_SAMPLE: f64 = 4.0;
const LIMIT_LOG_PROB: f64 = 2.5;

/// Rows for the row maps: random, wide, huge, masked, all `-inf`, rows
/// whose softmax underflows into subnormals, and `+inf` rows. (Rows holding
/// a NaN are in `nan_rows_give_nan`.)
fn row_cases<T: Fl>(k: usize, seed: u64) -> Vec<(&'static str, Vec<f64>)> {
    let mut r = Inputs::new(seed + k as u64);
    // Spread that pushes exp(v - m) through the subnormal range to 0.
    let underflow = if T::IS_F64 { 760.0 } else { 120.0 };
    let mut cases = vec![
        (
            "normal",
            (0..k).map(|_| 2.0 * r.normalish()).collect::<Vec<_>>(),
        ),
        ("uniform", r.vec(k, -5.0, 5.0)),
        ("huge", r.vec(k, -1e4, 1e4)),
        ("subnormal-outputs", {
            let mut v = r.vec(k, -underflow, 0.0);
            v[k / 2] = 0.0;
            v
        }),
        ("constant", vec![3.25; k]),
        ("all -inf", vec![f64::NEG_INFINITY; k]),
        ("+inf", {
            let mut v = r.vec(k, -1.0, 1.0);
            v[k - 1] = f64::INFINITY;
            v
        }),
    ];
    if k > 1 {
        let mut v = r.vec(k, -3.0, 3.0);
        for (i, x) in v.iter_mut().enumerate() {
            if i % 3 == 1 {
                *x = f64::NEG_INFINITY;
            }
        }
        cases.push(("masked", v));
    }
    cases
        .into_iter()
        .map(|(name, v)| (name, widen(&cast::<T>(&v))))
        .collect()
}

#[derive(Default)]
struct Report {
    lse: Worst,
    softmax: Worst,
    log_softmax: Worst,
    gumbel: Worst,
    sample: Worst,
    log_sample: Worst,
    log_prob: Worst,
    log_prob_x: Worst,
}

#[track_caller]
fn see(w: &mut Worst, got: f64, want: f64, scale: f64, at: impl Fn() -> String) {
    match err_ratio(got, want, scale) {
        Some(r) => w.see(r, &at),
        None => panic!("{}: got {got}, want {want} (non-finite mismatch)", at()),
    }
}

fn row_maps<T: Fl>() {
    let mut report = Report::default();
    let eps = T::EPS;
    for k in LENGTHS {
        let cases = row_cases::<T>(k, 1);
        let input: Vec<f64> = cases.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let input_t: Vec<T> = cast(&input);
        let rows = cases.len();
        let mut first: Option<(Vec<T>, Vec<T>, Vec<T>)> = None;
        for (backend, exec) in backends("row_maps") {
            let mut lse = vec![T::of(0.0); rows];
            let mut sm = vec![T::of(0.0); rows * k];
            let mut lsm = vec![T::of(0.0); rows * k];
            logsumexp_rows(&exec, &input_t, k, &mut lse).unwrap();
            softmax_rows(&exec, &input_t, k, &mut sm).unwrap();
            log_softmax_rows(&exec, &input_t, k, &mut lsm).unwrap();
            for (i, (name, v)) in cases.iter().enumerate() {
                let at = |what: &str, j: usize| {
                    format!("{} {backend:?} K={k} {name} {what}[{j}]", T::TYPE_NAME)
                };
                let want = oracle::logsumexp(v);
                let (m, ls) = oracle::max_and_log_sum(v);
                let sk = (k as f64).sqrt();
                let scale = if m.is_finite() {
                    eps * (1.0 + m.abs() + ls + sk)
                } else {
                    1.0
                };
                see(&mut report.lse, lse[i].f(), want, scale, || {
                    at("logsumexp", 0)
                });
                let y = oracle::softmax(v);
                let x = oracle::log_softmax(v);
                for j in 0..k {
                    let d = (v[j] - m).abs();
                    let got = sm[i * k + j].f();
                    let s_scale = if y[j] > 0.0 {
                        eps * y[j] * (1.0 + d + sk) + 2.0 * T::DENORM_MIN
                    } else {
                        2.0 * T::DENORM_MIN
                    };
                    see(&mut report.softmax, got, y[j], s_scale, || at("softmax", j));
                    let got = lsm[i * k + j].f();
                    let l_scale = if x[j].is_finite() {
                        eps * (1.0 + d + ls + sk)
                    } else {
                        1.0
                    };
                    see(&mut report.log_softmax, got, x[j], l_scale, || {
                        at("log_softmax", j)
                    });
                }
            }
            match &first {
                None => first = Some((lse, sm, lsm)),
                Some((a, b, c)) => {
                    let what = |n: &str| {
                        format!("{} K={k} {n}: {backend:?} vs first backend", T::TYPE_NAME)
                    };
                    assert_bits_eq(&what("logsumexp"), &lse, a);
                    assert_bits_eq(&what("softmax"), &sm, b);
                    assert_bits_eq(&what("log_softmax"), &lsm, c);
                }
            }
        }
    }
    println!(
        "{} logsumexp worst {:.3} at {}",
        T::TYPE_NAME,
        report.lse.ratio,
        report.lse.at
    );
    println!(
        "{} softmax worst {:.3} at {}",
        T::TYPE_NAME,
        report.softmax.ratio,
        report.softmax.at
    );
    println!(
        "{} log_softmax worst {:.3} at {}",
        T::TYPE_NAME,
        report.log_softmax.ratio,
        report.log_softmax.at
    );
    assert!(
        report.lse.ratio <= LIMIT_LOGSUMEXP,
        "logsumexp: {:?}",
        report.lse
    );
    assert!(
        report.softmax.ratio <= LIMIT_SOFTMAX,
        "softmax: {:?}",
        report.softmax
    );
    assert!(
        report.log_softmax.ratio <= LIMIT_LOG_SOFTMAX,
        "log_softmax: {:?}",
        report.log_softmax
    );
}

#[test]
fn row_maps_match_oracle_f32() {
    row_maps::<f32>();
}

#[test]
fn row_maps_match_oracle_f64() {
    row_maps::<f64>();
}

/// ops.rs documents that a row holding a NaN gives NaN from `logsumexp_rows`
/// (and, "maximum not finite", NaN rows from `softmax_rows` and
/// `log_softmax_rows`); SPEC section 3: "any NaN gives NaN". (This caught
/// `exp(NaN) = +inf` in the first version of src/simd/math.rs, whose clamp
/// `splat(-104).max(x).min(splat(88.8))` dropped the NaN in `min`; fixed
/// since in "exp keeps NaN through its clamps".)
#[test]
fn nan_rows_give_nan() {
    fn check<T: Fl>() {
        for (backend, exec) in backends("nan_rows_give_nan") {
            for k in LENGTHS {
                for pos in [0, k / 2, k - 1] {
                    let mut row = vec![T::of(0.25); k];
                    row[pos] = T::of(f64::NAN);
                    let at = format!("{} {backend:?} K={k} NaN at {pos}", T::TYPE_NAME);
                    let mut lse = [T::of(0.0)];
                    logsumexp_rows(&exec, &row, k, &mut lse).unwrap();
                    assert!(lse[0].f().is_nan(), "{at}: logsumexp = {}", lse[0]);
                    let mut out = vec![T::of(0.0); k];
                    softmax_rows(&exec, &row, k, &mut out).unwrap();
                    assert!(
                        out.iter().all(|v| v.f().is_nan()),
                        "{at}: softmax = {out:?}"
                    );
                    log_softmax_rows(&exec, &row, k, &mut out).unwrap();
                    assert!(
                        out.iter().all(|v| v.f().is_nan()),
                        "{at}: log_softmax = {out:?}"
                    );
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Rows of zero length and zero rows are accepted and write nothing.
#[test]
fn empty_inputs() {
    for (_, exec) in backends("empty_inputs") {
        let mut out: Vec<f32> = vec![];
        logsumexp_rows::<f32>(&exec, &[], 3, &mut out).unwrap();
        softmax_rows::<f32>(&exec, &[], 3, &mut out).unwrap();
        log_softmax_rows::<f32>(&exec, &[], 3, &mut out).unwrap();
        gumbel_rows::<f64>(&exec, Stream::new(1, 2), 3, &mut []).unwrap();
    }
}

/// Stream positions for the Gumbel and sampler tests: the start, straddling
/// a block boundary, and far out.
fn stream_offsets(k: usize) -> [u64; 3] {
    let rpb = oracle::rows_per_block(k) as u64;
    [0, rpb - 1, (1u64 << 40) + 3]
}

fn gumbel<T: Fl>() {
    let mut report = Report::default();
    for k in LENGTHS {
        let rows = (2 * oracle::rows_per_block(k)).clamp(3, 40);
        for offset in stream_offsets(k) {
            let seed = 0xC0FFEE + k as u64;
            let u = oracle::stream_uniforms(seed, k, offset, rows, T::IS_F64);
            let mut first: Option<Vec<T>> = None;
            for (backend, exec) in backends("gumbel") {
                let mut g = vec![T::of(0.0); rows * k];
                gumbel_rows(&exec, Stream::new(seed, offset), k, &mut g).unwrap();
                for (j, (g, u)) in g.iter().zip(&u).enumerate() {
                    let want = oracle::gumbel(*u);
                    let at = || {
                        format!(
                            "{} {backend:?} K={k} offset {offset} element {j} (u={u})",
                            T::TYPE_NAME
                        )
                    };
                    see(
                        &mut report.gumbel,
                        g.f(),
                        want,
                        T::EPS * (1.0 + want.abs()),
                        at,
                    );
                }
                match &first {
                    None => first = Some(g),
                    Some(a) => {
                        assert_bits_eq(&format!("{} K={k} gumbel {backend:?}", T::TYPE_NAME), &g, a)
                    }
                }
            }
        }
    }
    println!(
        "{} gumbel worst {:.3} at {}",
        T::TYPE_NAME,
        report.gumbel.ratio,
        report.gumbel.at
    );
    assert!(
        report.gumbel.ratio <= LIMIT_GUMBEL,
        "gumbel: {:?}",
        report.gumbel
    );
}

#[test]
fn gumbel_matches_oracle_f32() {
    gumbel::<f32>();
}

#[test]
fn gumbel_matches_oracle_f64() {
    gumbel::<f64>();
}

/// A parameterisation for the sampler tests.
struct Params {
    name: &'static str,
    /// Raw parameters (logits, or probs if `probs`), B x K.
    values: Vec<f64>,
    probs: bool,
    /// Temperatures: one, or one per row.
    temperature: Vec<f64>,
}

fn param_cases<T: Fl>(k: usize) -> Vec<Params> {
    let mut r = Inputs::new(77 + k as u64);
    let mut logits: Vec<f64> = (0..k).map(|_| 2.0 * r.normalish()).collect();
    // Row 1: masked categories (every third from index 1), when K allows.
    let mut masked = r.vec(k, -3.0, 3.0);
    if k > 1 {
        for (i, x) in masked.iter_mut().enumerate() {
            if i % 3 == 1 {
                *x = f64::NEG_INFINITY;
            }
        }
    }
    logits.extend(masked);
    // Row 2: huge logits.
    logits.extend(r.vec(k, -1e4, 1e4));
    let logits = widen(&cast::<T>(&logits));
    // Probs with subnormal and zero entries.
    let mut probs = r.vec(k, 0.0, 1.0);
    probs[0] = 3.0 * T::DENORM_MIN;
    if k > 2 {
        probs[1] = 0.0;
        probs[2] = T::MIN_NORMAL / 4.0;
    }
    if k > 1 {
        probs[k - 1] = 1.0;
    }
    let probs = widen(&cast::<T>(&probs));

    let mut cases = Vec::new();
    for t in [1e-3, 1.0, 1e3] {
        let t = T::of(t).f();
        cases.push(Params {
            name: "logits",
            values: logits.clone(),
            probs: false,
            temperature: vec![t],
        });
    }
    cases.push(Params {
        name: "logits, per-row t",
        values: logits,
        probs: false,
        temperature: widen(&cast::<T>(&[0.1, 2.0, 1e-3])),
    });
    for t in [1e-3, 0.5] {
        let t = T::of(t).f();
        cases.push(Params {
            name: "subnormal probs",
            values: probs.clone(),
            probs: true,
            temperature: vec![t],
        });
    }
    cases
}

/// Normalised logits of the oracle for a parameter case.
fn oracle_logits(p: &Params, k: usize) -> Vec<f64> {
    p.values
        .chunks(k)
        .flat_map(|row| {
            let raw: Vec<f64> = if p.probs {
                row.iter().map(|v| v.ln()).collect()
            } else {
                row.to_vec()
            };
            oracle::log_softmax(&raw)
        })
        .collect()
}

/// Normalised probabilities of the oracle: `p / sum p`, or `softmax(l)`
/// (not `exp` of the normalised logits, which would lose the subnormals).
fn oracle_probs(p: &Params, k: usize) -> Vec<f64> {
    p.values
        .chunks(k)
        .flat_map(|row| {
            if p.probs {
                let s = oracle::sum(row.iter().copied());
                row.iter().map(|v| v / s).collect()
            } else {
                oracle::softmax(row)
            }
        })
        .collect()
}

fn sampler<T: Fl>() {
    let mut report = Report::default();
    let eps = T::EPS;
    let mut near_ties = 0usize;
    let mut hard_rows = 0usize;
    for k in LENGTHS {
        for p in param_cases::<T>(k) {
            let b_rows = p.values.len() / k;
            let samples = if k > 1000 { 1 } else { 3 };
            let n = samples * b_rows;
            let l_oracle = oracle_logits(&p, k);
            let probs_oracle = oracle_probs(&p, k);
            let values: Vec<T> = cast(&p.values);
            let temperature: Vec<T> = cast(&p.temperature);
            for offset in stream_offsets(k) {
                let seed = 31 + k as u64;
                let stream = Stream::new(seed, offset);
                type Outputs<T> = [Vec<T>; 9];
                let mut first: Option<Outputs<T>> = None;
                for (backend, exec) in backends("sampler") {
                    let at = |what: &str, i: usize, j: usize| {
                        format!(
                            "{} {backend:?} K={k} {} t={:?} offset {offset} {what} row {i} element {j}",
                            T::TYPE_NAME,
                            p.name,
                            p.temperature
                        )
                    };
                    let builder = RelaxedOneHotCategorical::<T>::builder(k)
                        .temperature(&temperature)
                        .exec(exec.clone());
                    let builder = if p.probs {
                        builder.probs(&values)
                    } else {
                        builder.logits(&values)
                    };
                    let dist = builder.build().unwrap();

                    // The normalised parameters.
                    for (j, (&got, &want)) in
                        dist.logits().unwrap().iter().zip(&l_oracle).enumerate()
                    {
                        let scale = eps * (1.0 + 2.0 * want.abs() + (k as f64).sqrt());
                        see(&mut report.log_softmax, got.f(), want, scale, || {
                            at("logits", j / k, j % k)
                        });
                    }
                    for (j, (&got, &want)) in
                        dist.probs().unwrap().iter().zip(&probs_oracle).enumerate()
                    {
                        let l = if want > 0.0 { l_oracle[j].abs() } else { 0.0 };
                        let scale =
                            eps * want * (1.0 + l + (k as f64).sqrt()) + 2.0 * T::DENORM_MIN;
                        see(&mut report.softmax, got.f(), want, scale, || {
                            at("probs", j / k, j % k)
                        });
                    }

                    let mut g = vec![T::of(0.0); n * k];
                    gumbel_rows(&exec, stream, k, &mut g).unwrap();
                    let mut y = vec![T::of(0.0); n * k];
                    dist.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
                        .unwrap();
                    let mut x = vec![T::of(0.0); n * k];
                    dist.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
                        .unwrap();
                    let mut hard = vec![T::of(0.0); n * k];
                    let mut soft = vec![T::of(0.0); n * k];
                    dist.draw(
                        Noise::Rows(stream, 0..n),
                        Draw::Hard {
                            hard: &mut hard,
                            soft: &mut soft,
                        },
                    )
                    .unwrap();
                    assert_bits_eq(&at("hard's soft output vs rsample", 0, 0), &soft, &y);
                    let lp = dist
                        .log_prob(&y)
                        .unwrap_or_else(|e| panic!("{}: {e}", at("log_prob of own sample", 0, 0)));
                    let lpx = dist.log_prob_x(&x).unwrap_or_else(|e| {
                        panic!("{}: {e}", at("log_prob_x of own sample", 0, 0))
                    });

                    // The sampler reads the parameters as given (ln p for
                    // probs), shifted by each row's largest log-weight.
                    let given = widen(&values);
                    let dl: Vec<f64> = given
                        .chunks(k)
                        .flat_map(|row| {
                            let lw: Vec<f64> = if p.probs {
                                row.iter().map(|v| v.ln()).collect()
                            } else {
                                row.to_vec()
                            };
                            let m = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                            let m = if m.is_finite() { m } else { 0.0 };
                            lw.into_iter().map(move |l| l - m)
                        })
                        .collect();
                    for i in 0..n {
                        let b = i % b_rows;
                        let t = p.temperature[if p.temperature.len() == 1 { 0 } else { b }];
                        let row = i * k..(i + 1) * k;
                        let gi = widen(&g[row.clone()]);
                        // The oracle starts from the same shifted log-weights.
                        let li = &dl[b * k..(b + 1) * k];
                        let (z, y_o) = oracle::rsample(li, &gi, t);
                        let x_o = oracle::log_sample(li, &gi, t);
                        let (m, ls) = oracle::max_and_log_sum(&z);
                        let sk = (k as f64).sqrt();
                        for j in 0..k {
                            let zj = if z[j].is_finite() { z[j].abs() } else { 0.0 };
                            let scale =
                                eps * y_o[j] * (1.0 + zj + m.abs() + sk) + 2.0 * T::DENORM_MIN;
                            see(&mut report.sample, y[i * k + j].f(), y_o[j], scale, || {
                                at("y", i, j)
                            });
                            let scale = eps * (1.0 + zj + m.abs() + ls + sk);
                            see(
                                &mut report.log_sample,
                                x[i * k + j].f(),
                                x_o[j],
                                scale,
                                || at("x", i, j),
                            );
                        }
                        // Hard: one-hot at the first maximum of the soft row.
                        let soft_row = widen(&soft[row.clone()]);
                        let idx = oracle::argmax(&soft_row);
                        for j in 0..k {
                            let want = if j == idx { 1.0 } else { 0.0 };
                            assert_eq!(hard[i * k + j].f(), want, "{}", at("hard", i, j));
                        }
                        hard_rows += 1;
                        let idx_o = oracle::argmax(&y_o);
                        if idx_o != idx {
                            // Only a near-tie of the exact values may flip it.
                            let gap = (y_o[idx_o] - y_o[idx]) / y_o[idx_o];
                            assert!(
                                gap <= 16.0 * eps * (1.0 + m.abs()),
                                "{}: oracle argmax {idx_o}",
                                at("hard", i, idx)
                            );
                            near_ties += 1;
                        }

                        // Densities of the samples.
                        let raw: Vec<f64> = if p.probs {
                            p.values[b * k..(b + 1) * k]
                                .iter()
                                .map(|v| v.ln())
                                .collect()
                        } else {
                            p.values[b * k..(b + 1) * k].to_vec()
                        };
                        let yi = widen(&y[row.clone()]);
                        let ly: Vec<f64> = yi.iter().map(|v| v.ln()).collect();
                        let want = oracle::log_prob(&raw, t, &yi);
                        let scale = eps * oracle::log_prob_scale(&raw, t, &ly);
                        see(&mut report.log_prob, lp[i].f(), want, scale, || {
                            at("log_prob", i, 0)
                        });
                        let xi = widen(&x[row.clone()]);
                        let want = oracle::log_prob_x(&raw, t, &xi);
                        let scale = eps * oracle::log_prob_scale(&raw, t, &xi);
                        see(&mut report.log_prob_x, lpx[i].f(), want, scale, || {
                            at("log_prob_x", i, 0)
                        });
                    }

                    let outputs: Outputs<T> = [
                        dist.logits().unwrap(),
                        dist.probs().unwrap(),
                        g,
                        y,
                        x,
                        hard,
                        soft,
                        lp,
                        lpx,
                    ];
                    match &first {
                        None => first = Some(outputs),
                        Some(f) => {
                            let names = [
                                "logits",
                                "probs",
                                "gumbel",
                                "rsample",
                                "rsample_log",
                                "hard",
                                "soft",
                                "log_prob",
                                "log_prob_x",
                            ];
                            for ((name, a), b) in names.iter().zip(&outputs).zip(f) {
                                assert_bits_eq(
                                    &at(&format!("{name} vs first backend"), 0, 0),
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
    for (name, w) in [
        ("normalised logits", &report.log_softmax),
        ("normalised probs", &report.softmax),
        ("rsample", &report.sample),
        ("rsample_log", &report.log_sample),
        ("log_prob", &report.log_prob),
        ("log_prob_x", &report.log_prob_x),
    ] {
        println!("{} {name} worst {:.3} at {}", T::TYPE_NAME, w.ratio, w.at);
    }
    println!(
        "{} hard rows {hard_rows}, argmax near-ties vs oracle {near_ties}",
        T::TYPE_NAME
    );
    assert!(
        report.log_softmax.ratio <= LIMIT_LOG_SOFTMAX,
        "logits: {:?}",
        report.log_softmax
    );
    assert!(
        report.softmax.ratio <= LIMIT_SOFTMAX,
        "probs: {:?}",
        report.softmax
    );
    assert!(
        report.sample.ratio <= LIMIT_SAMPLE,
        "rsample: {:?}",
        report.sample
    );
    assert!(
        report.log_sample.ratio <= LIMIT_LOG_SAMPLE,
        "rsample_log: {:?}",
        report.log_sample
    );
    assert!(
        report.log_prob.ratio <= LIMIT_LOG_PROB,
        "log_prob: {:?}",
        report.log_prob
    );
    assert!(
        report.log_prob_x.ratio <= LIMIT_LOG_PROB,
        "log_prob_x: {:?}",
        report.log_prob_x
    );
}

#[test]
fn sampler_and_density_match_oracle_f32() {
    sampler::<f32>();
}

#[test]
fn sampler_and_density_match_oracle_f64() {
    sampler::<f64>();
}

/// Hard samples break ties toward the lowest index: at an enormous
/// temperature every unmasked `z` is ~0, `exp(z - m)` rounds to exactly 1,
/// and the soft row is exactly uniform over the unmasked categories.
#[test]
fn hard_ties_go_to_lowest_index() {
    fn check<T: Fl>() {
        for (backend, exec) in backends("hard_ties_go_to_lowest_index") {
            for k in [1usize, 3, 8, 9, 17, 33] {
                for masked_prefix in [0usize, 1, 2] {
                    if masked_prefix >= k {
                        continue;
                    }
                    let mut logits = vec![T::of(0.5); k];
                    for l in logits.iter_mut().take(masked_prefix) {
                        *l = T::of(f64::NEG_INFINITY);
                    }
                    let t = [T::of(1e30)];
                    let dist = RelaxedOneHotCategorical::builder(k)
                        .logits(&logits)
                        .temperature(&t)
                        .exec(exec.clone())
                        .build()
                        .unwrap();
                    let n = 64;
                    let mut hard = vec![T::of(0.0); n * k];
                    let mut soft = vec![T::of(0.0); n * k];
                    dist.draw(
                        Noise::Rows(Stream::new(5, 0), 0..n),
                        Draw::Hard {
                            hard: &mut hard,
                            soft: &mut soft,
                        },
                    )
                    .unwrap();
                    for i in 0..n {
                        let s = &soft[i * k..(i + 1) * k];
                        let top = s.iter().map(|v| v.f()).fold(0.0, f64::max);
                        let ties = s.iter().filter(|v| v.f() == top).count();
                        assert_eq!(
                            ties,
                            k - masked_prefix,
                            "{} {backend:?} K={k}: soft row {s:?} not a full tie",
                            T::TYPE_NAME
                        );
                        for j in 0..k {
                            let want = if j == masked_prefix { 1.0 } else { 0.0 };
                            assert_eq!(
                                hard[i * k + j].f(),
                                want,
                                "{} {backend:?} K={k} prefix {masked_prefix} row {i}",
                                T::TYPE_NAME
                            );
                        }
                    }
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Outputs written into the middle of a sentinel-filled buffer (at an odd
/// offset, so vector stores are unaligned) leave the padding untouched and
/// equal the unpadded results; serial, and two threads at sizes that split
/// into parallel tasks.
#[test]
fn padded_outputs_untouched() {
    fn check<T: Fl>() {
        const PAD: usize = 5;
        for (backend, exec) in backends("padded_outputs_untouched") {
            let par = exec.clone().with_threads(2).unwrap();
            for (k, rows) in [
                (1usize, 37usize),
                (7, 13),
                (9, 5),
                (17, 3),
                (33, 2),
                (1000, 3),
                (4097, 2),
                (7, 9000),
                (33, 1500),
            ] {
                let exec = if rows * k > 32 * 1024 {
                    par.clone()
                } else {
                    exec.clone()
                };
                let mut r = Inputs::new(k as u64 * 1000 + rows as u64);
                let input: Vec<T> = cast(&r.vec(rows * k, -4.0, 4.0));
                let what = |n: &str| format!("{} {backend:?} K={k} rows={rows} {n}", T::TYPE_NAME);

                let mut plain = vec![T::of(0.0); rows];
                logsumexp_rows(&exec, &input, k, &mut plain).unwrap();
                let mut padded = Padded::<T>::new(rows, PAD);
                logsumexp_rows(&exec, &input, k, padded.inner()).unwrap();
                padded.check(&what("logsumexp"));
                assert_bits_eq(&what("logsumexp padded vs plain"), padded.get(), &plain);

                type RowFn<T> = fn(&Exec, &[T], usize, &mut [T]) -> relaxcat::Result<()>;
                let maps: [(&str, RowFn<T>); 2] = [
                    ("softmax", softmax_rows::<T>),
                    ("log_softmax", log_softmax_rows::<T>),
                ];
                for (name, f) in maps {
                    let mut plain = vec![T::of(0.0); rows * k];
                    f(&exec, &input, k, &mut plain).unwrap();
                    let mut padded = Padded::<T>::new(rows * k, PAD);
                    f(&exec, &input, k, padded.inner()).unwrap();
                    padded.check(&what(name));
                    assert_bits_eq(&what(name), padded.get(), &plain);
                }

                let stream = Stream::new(3, 1234);
                let mut plain = vec![T::of(0.0); rows * k];
                gumbel_rows(&exec, stream, k, &mut plain).unwrap();
                let mut padded = Padded::<T>::new(rows * k, PAD);
                gumbel_rows(&exec, stream, k, padded.inner()).unwrap();
                padded.check(&what("gumbel"));
                assert_bits_eq(&what("gumbel"), padded.get(), &plain);

                // The distribution's samplers and densities: B = 1 row.
                let t = [T::of(0.7)];
                let dist = RelaxedOneHotCategorical::builder(k)
                    .logits(&input[..k])
                    .temperature(&t)
                    .exec(exec.clone())
                    .build()
                    .unwrap();
                let mut y = vec![T::of(0.0); rows * k];
                dist.draw(Noise::Rows(stream, 0..rows), Draw::Soft(&mut y))
                    .unwrap();
                let mut padded = Padded::<T>::new(rows * k, PAD);
                dist.draw(Noise::Rows(stream, 0..rows), Draw::Soft(padded.inner()))
                    .unwrap();
                padded.check(&what("rsample"));
                assert_bits_eq(&what("rsample"), padded.get(), &y);

                let mut x = vec![T::of(0.0); rows * k];
                dist.draw(Noise::Rows(stream, 0..rows), Draw::Log(&mut x))
                    .unwrap();
                let mut padded = Padded::<T>::new(rows * k, PAD);
                dist.draw(Noise::Rows(stream, 0..rows), Draw::Log(padded.inner()))
                    .unwrap();
                padded.check(&what("rsample_log"));
                assert_bits_eq(&what("rsample_log"), padded.get(), &x);

                let mut hard_pad = Padded::<T>::new(rows * k, PAD);
                let mut soft_pad = Padded::<T>::new(rows * k, PAD + 2);
                {
                    let (h, s) = (hard_pad.inner() as *mut [T], soft_pad.inner());
                    // SAFETY: two distinct buffers; the raw pointer only
                    // sidesteps borrowing two fields of different structs.
                    dist.draw(
                        Noise::Rows(stream, 0..rows),
                        Draw::Hard {
                            hard: unsafe { &mut *h },
                            soft: s,
                        },
                    )
                    .unwrap();
                }
                hard_pad.check(&what("hard"));
                soft_pad.check(&what("hard's soft"));
                assert_bits_eq(&what("hard's soft"), soft_pad.get(), &y);

                let mut lp = vec![T::of(0.0); rows];
                dist.log_prob_into(&y, &mut lp).unwrap();
                let mut padded = Padded::<T>::new(rows, PAD);
                dist.log_prob_into(&y, padded.inner()).unwrap();
                padded.check(&what("log_prob"));
                assert_bits_eq(&what("log_prob"), padded.get(), &lp);

                let mut lpx = vec![T::of(0.0); rows];
                dist.log_prob_x_into(&x, &mut lpx).unwrap();
                let mut padded = Padded::<T>::new(rows, PAD);
                dist.log_prob_x_into(&x, padded.inner()).unwrap();
                padded.check(&what("log_prob_x"));
                assert_bits_eq(&what("log_prob_x"), padded.get(), &lpx);
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// `log_prob` works in chunks of 1024 categories merged in f64: rows whose
/// first, middle or last chunk is entirely masked, and whose largest term
/// sits in a later chunk, against the oracle (same measure and limit as
/// `sampler_and_density_match_oracle`).
#[test]
fn density_with_fully_masked_chunks() {
    fn check<T: Fl>() {
        let k = 2600; // chunks [0, 1024), [1024, 2048), [2048, 2600)
        let mut worst = Worst::default();
        for (backend, exec) in backends("density_with_fully_masked_chunks") {
            for masked in [0..1024, 1024..2048, 2048..2600, 0..2048] {
                let mut r = Inputs::new(masked.start as u64 + 7);
                let mut logits = r.vec(k, -2.0, 2.0);
                for l in &mut logits[masked.clone()] {
                    *l = f64::NEG_INFINITY;
                }
                // The largest logit in the last unmasked chunk.
                let top = if masked.end == 2600 { 1500 } else { 2500 };
                logits[top] = 6.0;
                let logits = widen(&cast::<T>(&logits));
                for t in [0.05, 1.0] {
                    let t = T::of(t).f();
                    let dist = RelaxedOneHotCategorical::builder(k)
                        .logits(&cast::<T>(&logits))
                        .temperature(&[T::of(t)])
                        .exec(exec.clone())
                        .build()
                        .unwrap()
                        .into_owned()
                        .unwrap();
                    let n = 4;
                    let mut y = vec![T::of(0.0); n * k];
                    let mut x = vec![T::of(0.0); n * k];
                    dist.draw(Noise::Rows(Stream::new(1, 0), 0..n), Draw::Soft(&mut y))
                        .unwrap();
                    dist.draw(Noise::Rows(Stream::new(1, 0), 0..n), Draw::Log(&mut x))
                        .unwrap();
                    let lp = dist.log_prob(&y).unwrap();
                    let lpx = dist.log_prob_x(&x).unwrap();
                    for i in 0..n {
                        let at = || {
                            format!(
                                "{} {backend:?} masked {masked:?} t={t} row {i}",
                                T::TYPE_NAME
                            )
                        };
                        let yi = widen(&y[i * k..(i + 1) * k]);
                        let xi = widen(&x[i * k..(i + 1) * k]);
                        let ly: Vec<f64> = yi.iter().map(|v| v.ln()).collect();
                        let want = oracle::log_prob(&logits, t, &yi);
                        see(
                            &mut worst,
                            lp[i].f(),
                            want,
                            T::EPS * oracle::log_prob_scale(&logits, t, &ly),
                            at,
                        );
                        let want = oracle::log_prob_x(&logits, t, &xi);
                        see(
                            &mut worst,
                            lpx[i].f(),
                            want,
                            T::EPS * oracle::log_prob_scale(&logits, t, &xi),
                            at,
                        );
                        assert!(lpx[i].f().is_finite(), "{}: log_prob_x not finite", at());
                    }
                }
            }
        }
        println!(
            "{} masked-chunk densities: worst {:.3} at {}",
            T::TYPE_NAME,
            worst.ratio,
            worst.at
        );
        assert!(worst.ratio <= LIMIT_LOG_PROB, "{worst:?}");
    }
    check::<f32>();
    check::<f64>();
}

/// Temperatures that pass validation but make `1/t` or `(l + g)/t`
/// overflow (f32 t <= 1e-38, f64 t <= 1e-308) still give samples without
/// NaN: `1/t` and `z` saturate at the largest finite value (see
/// `perturb_row` in src/kernels/sample.rs), and the log-space samples are
/// accepted by `log_prob_x`.
#[test]
fn tiny_valid_temperatures_never_give_nan() {
    fn check<T: Fl>(temps: &[f64]) {
        let logits: Vec<T> = cast(&[0.3, -0.2, 1.0, 0.0, 0.5]);
        for &t in temps {
            let dist = RelaxedOneHotCategorical::builder(5)
                .logits(&logits)
                .temperature(&[T::of(t)])
                .build()
                .unwrap()
                .into_owned()
                .unwrap();
            let mut g = relaxcat::Generator::new(1);
            let y = dist.rsample(&mut g, 1000).unwrap();
            let x = dist.rsample_log(&mut g, 1000).unwrap();
            let (hard, _) = dist.rsample_hard(&mut g, 1000).unwrap();
            for (name, v) in [("rsample", &y), ("rsample_log", &x), ("hard", &hard)] {
                let nans = v.iter().filter(|v| v.f().is_nan()).count();
                assert_eq!(nans, 0, "{} t={t:e}: {nans} NaN in {name}", T::TYPE_NAME);
            }
            assert!(
                dist.log_prob_x(&x).is_ok(),
                "{} t={t:e}: own log-space samples refused",
                T::TYPE_NAME
            );
        }
    }
    check::<f32>(&[1e-30, 1e-38, 1e-40, 1e-45]);
    check::<f64>(&[1e-300, 1e-308, 1e-310]);
}

/// The straight-through sample is one-hot at the first maximum of `y`,
/// whatever K: long rows are scanned in segments whose float lane indices
/// stay exact (f32 holds integers only up to 2^24), so K > 2^24 works.
/// (The test needs ~400 MB and ~0.3 s.)
#[test]
fn hard_index_exact_for_huge_k_f32() {
    let k = (1usize << 24) + 16;
    let target = (1usize << 24) + 1;
    let mut logits = vec![0f32; k];
    logits[target] = 200.0;
    let dist = RelaxedOneHotCategorical::builder(k)
        .logits(&logits)
        .temperature(&[1.0f32])
        .build()
        .unwrap()
        .into_owned()
        .unwrap();
    let mut hard = vec![0f32; k];
    let mut soft = vec![0f32; k];
    dist.draw(
        Noise::Rows(Stream::new(1, 0), 0..1),
        Draw::Hard {
            hard: &mut hard,
            soft: &mut soft,
        },
    )
    .unwrap();
    let soft_argmax = oracle::argmax(&soft.iter().map(|&v| v as f64).collect::<Vec<_>>());
    assert_eq!(soft_argmax, target);
    let hot: Vec<usize> = (0..k).filter(|&j| hard[j] == 1.0).collect();
    assert_eq!(
        hot,
        vec![target],
        "one-hot at {hot:?}, soft argmax {soft_argmax}"
    );
}
