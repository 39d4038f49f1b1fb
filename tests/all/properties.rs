//! Property tests (proptest) over random shapes, parameters and seeds, for
//! `f32` and `f64`:
//!
//! - `log_prob(y) = log_prob_x(x) - sum_k x_k` for a sample `y` and its
//!   log-space twin `x` drawn from the same stream rows;
//! - adding a constant to a logits row moves samples and log-densities by
//!   no more than the rounding of the shifted logits allows (the shift is
//!   not bitwise: see `shift_tolerance`);
//! - a distribution from `probs = softmax(logits)` agrees with the one from
//!   `logits`;
//! - a scalar temperature gives the same bits as that value repeated once
//!   per batch row;
//! - rows `[a, b)` asked for alone (the `_rows_into` / `Stream` API, and a
//!   `Generator` at the same position) are the same bits as that slice of
//!   the whole draw.
//!
//! Inputs: `K` in `1..=40` (one case in ten in `41..=300`), 1-3 batch rows,
//! 1-4 samples, temperatures log-uniform in `[0.05, 10]` (a scalar or one
//! per row), logits of random spread with about one category in seven
//! masked (`-inf`) and at least one finite per row, any seed, stream
//! offsets small, near a generator-block boundary, or anywhere in `u64`.
//!
//! Reproducibility: the runner's seed is fixed (`PROPTEST_RNG_SEED`
//! overrides it, `PROPTEST_CASES` the case count), and no failure
//! persistence file is written; a failure prints the shrunk case, which is
//! all that is needed to replay it.
//!
//! Tolerances are `C * eps * scale`, `scale` the magnitudes that the
//! compared computations round (named at each check); `C` is pinned at
//! about twice the worst ratio seen over 3,000 cases per property, which
//! `--nocapture` prints (`worst ...` lines).

use crate::common::{Fl, assert_bits_eq, cast, oracle, widen};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use relaxcat::{Draw, Noise};
use relaxcat::{Generator, RelaxedOneHotCategorical, Stream};
use std::sync::Mutex;

/// Cases per property (each runs f32 and f64); the file runs in about a
/// second in release mode on two cores.
const CASES: u32 = 96;

/// Largest `|g|` of the Gumbel noise: `u` lies in `[2^-24, 1 - 2^-24]`
/// (f32) or `[2^-53, 1 - 2^-53]` (f64), so `g = -ln(-ln u)` is in
/// `[-2.8, 16.7]` or `[-3.6, 36.8]`.
fn gumbel_bound<T: Fl>() -> f64 {
    if T::IS_F64 { 37.0 } else { 17.0 }
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(CASES);
    if let Some(cases) = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.cases = cases;
    }
    config.failure_persistence = None;
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(0x00C0_FFEE_2026);
    }
    config
}

/// One random distribution and a draw from it.
#[derive(Clone, Debug)]
struct Case {
    k: usize,
    b: usize,
    samples: usize,
    /// Unnormalised logits, `B x K`, `-inf` where masked.
    logits: Vec<f64>,
    /// One temperature per batch row.
    temperature: Vec<f64>,
    /// Use `temperature[0]` as a scalar.
    scalar_temperature: bool,
    seed: u64,
    offset: u64,
}

impl Case {
    fn rows(&self) -> usize {
        self.samples * self.b
    }

    /// The temperatures the distribution is built with.
    fn temperatures(&self) -> &[f64] {
        if self.scalar_temperature {
            &self.temperature[..1]
        } else {
            &self.temperature
        }
    }

    /// The temperature of sample row `i`.
    fn t(&self, i: usize) -> f64 {
        self.temperature[if self.scalar_temperature {
            0
        } else {
            i % self.b
        }]
    }

    fn param_row(&self, i: usize) -> &[f64] {
        let p = i % self.b;
        &self.logits[p * self.k..(p + 1) * self.k]
    }

    fn dist<T: Fl>(&self, logits: &[f64]) -> RelaxedOneHotCategorical<'static, T> {
        RelaxedOneHotCategorical::from_logits(
            &cast::<T>(self.temperatures()),
            &cast(logits),
            self.k,
        )
        .expect("a valid case")
        .into_owned()
        .unwrap()
    }
}

fn case() -> impl Strategy<Value = Case> {
    let k = prop_oneof![9 => 1usize..=40, 1 => 41usize..=300];
    (k, 1usize..=3, 1usize..=4).prop_flat_map(|(k, b, samples)| {
        let n = k * b;
        let rpb = 4096u64.div_ceil(k as u64);
        let offset = prop_oneof![
            0u64..5_000,
            // Within a few rows of a generator block boundary.
            (1u64..20, 0u64..8).prop_map(move |(m, d)| (m * rpb).saturating_sub(d)),
            any::<u64>(),
        ];
        (
            // Logits: spread (log-uniform 0.03..8) times uniforms in
            // [-1, 1], plus a row offset; masked where the coin says so,
            // except at one kept category per row.
            (-3.5f64..2.1).prop_map(f64::exp),
            prop::collection::vec((-1.0f64..1.0, prop::bool::weighted(0.15)), n),
            prop::collection::vec((-20.0f64..20.0, 0usize..k), b),
            prop::collection::vec((0.05f64.ln()..10f64.ln()).prop_map(f64::exp), b),
            any::<bool>(),
            any::<u64>(),
            offset,
        )
            .prop_map(
                move |(spread, entries, rows, temperature, scalar, seed, offset)| {
                    let mut logits: Vec<f64> = entries
                        .iter()
                        .enumerate()
                        .map(|(i, &(u, masked))| {
                            if masked {
                                f64::NEG_INFINITY
                            } else {
                                rows[i / k].0 + spread * 8.0 * u
                            }
                        })
                        .collect();
                    for (r, &(shift, keep)) in rows.iter().enumerate() {
                        if logits[r * k + keep] == f64::NEG_INFINITY {
                            logits[r * k + keep] = shift;
                        }
                    }
                    Case {
                        k,
                        b,
                        samples,
                        logits,
                        temperature,
                        scalar_temperature: scalar,
                        seed,
                        offset,
                    }
                },
            )
    })
}

/// Worst error ratios seen, per named check (printed when they grow).
static WORST: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());

/// Records `ratio` for `name` and fails if it exceeds `limit`.
fn within(
    name: &str,
    ratio: f64,
    limit: f64,
    detail: impl FnOnce() -> String,
) -> Result<(), TestCaseError> {
    {
        let mut worst = WORST.lock().unwrap_or_else(|e| e.into_inner());
        match worst.iter_mut().find(|(n, _)| n == name) {
            Some((_, w)) if ratio > *w => {
                *w = ratio;
                println!("worst {name}: {ratio:.3}");
            }
            Some(_) => {}
            None => {
                worst.push((name.to_string(), ratio));
                println!("worst {name}: {ratio:.3}");
            }
        }
    }
    prop_assert!(
        ratio <= limit,
        "{name}: error {ratio:.3} > {limit} (units of eps x scale): {}",
        detail()
    );
    Ok(())
}

/// `log_prob(y) = log_prob_x(x) - sum x` on a sample and its log-space
/// twin (the same stream rows). Rows whose unmasked `y` fell below the
/// normal range are skipped (`y` has lost relative precision there, so `ln
/// y` is not `x` any more; an exact 0 must score `-inf`).
///
/// Tolerance: `4 eps scale` (worst seen 1.0 f32, 1.6 f64), `scale` the sum of the magnitudes of the
/// terms of the log-density (`oracle::log_prob_scale`): both sides add up
/// those terms, and `x` and `ln y` differ by a few ulps of `|x|` that the
/// density multiplies by `t + 1`. (`tests/consistency.rs` pins the same
/// constant on fixed inputs.)
fn log_prob_identity<T: Fl>(c: &Case) -> Result<(), TestCaseError> {
    let (k, n) = (c.k, c.rows());
    let d = c.dist::<T>(&c.logits);
    let stream = Stream::new(c.seed, c.offset);
    let mut y = vec![T::of(0.0); n * k];
    let mut x = vec![T::of(0.0); n * k];
    d.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
        .unwrap();
    d.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
        .unwrap();
    let lp = d.log_prob(&y).unwrap();
    let lpx = d.log_prob_x(&x).unwrap();
    for i in 0..n {
        let raw = c.param_row(i);
        let (yr, xr) = (widen(&y[i * k..(i + 1) * k]), widen(&x[i * k..(i + 1) * k]));
        for j in 0..k {
            let masked = raw[j] == f64::NEG_INFINITY;
            prop_assert_eq!(
                xr[j] == f64::NEG_INFINITY,
                masked,
                "x is -inf exactly where masked"
            );
            prop_assert!(!masked || yr[j] == 0.0, "masked y must be 0");
            prop_assert!((0.0..=1.0).contains(&yr[j]) && xr[j] <= 0.0);
        }
        prop_assert!(lpx[i].f().is_finite(), "log_prob_x of a sample is finite");
        if (0..k).any(|j| raw[j] > f64::NEG_INFINITY && yr[j] < T::MIN_NORMAL) {
            if (0..k).any(|j| raw[j] > f64::NEG_INFINITY && yr[j] == 0.0) {
                prop_assert_eq!(lp[i].f(), f64::NEG_INFINITY);
            }
            continue;
        }
        let sum_x = oracle::sum(xr.iter().copied().filter(|v| v.is_finite()));
        let scale = T::EPS * oracle::log_prob_scale(raw, c.t(i), &xr);
        within(
            &format!("{} log_prob identity", T::TYPE_NAME),
            (lp[i].f() - (lpx[i].f() - sum_x)).abs() / scale,
            4.0,
            || {
                format!(
                    "row {i}: log_prob {} vs log_prob_x - sum x {}",
                    lp[i],
                    lpx[i].f() - sum_x
                )
            },
        )?;
    }
    Ok(())
}

/// How far a sample may move when its logits row is shifted by `shift`.
///
/// The kernels normalise `l = v - logsumexp(v)` in `T`, so `v + c` is
/// rounded (an error of up to half an ulp of `|v| + |c|`) and the
/// normalised logits differ by a few ulps of `A = |c| + max|v| + max|l|`.
/// `z = (l + g) / t` then moves by `eps A / t` plus the rounding of `z`
/// itself (ulps of `(|l| + |g|) / t`), and `y = softmax(z)` by `y` times
/// twice that. So the check is `|y' - y| <= C eps y (A + G) / t` plus the
/// absolute rounding of subnormal results, and `|x' - x| <= C eps (A + G) /
/// t` in log space (`C = 4`; worst seen 0.9 / 1.7 for y / x in f32, 0.8 /
/// 0.8 in f64). Not bitwise: `logsumexp(v + c)` rounds differently from
/// `logsumexp(v) + c`, even when `v + c` is exact. Measured in f64 over 200
/// rows of K = 2..31: with `c = 1`, 92% of the normalised logits and 60% of
/// the sample rows are bitwise equal; with `c = 100`, 6% and none.
fn shift_invariance<T: Fl>(c: &Case, shift: f64) -> Result<(), TestCaseError> {
    let (k, n) = (c.k, c.rows());
    let shifted: Vec<f64> = c.logits.iter().map(|v| v + shift).collect();
    let (d0, d1) = (c.dist::<T>(&c.logits), c.dist::<T>(&shifted));
    let stream = Stream::new(c.seed, c.offset);
    let draw = |d: &RelaxedOneHotCategorical<T>| {
        let mut y = vec![T::of(0.0); n * k];
        let mut x = vec![T::of(0.0); n * k];
        d.draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y))
            .unwrap();
        d.draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x))
            .unwrap();
        (y, x)
    };
    let ((y0, x0), (y1, x1)) = (draw(&d0), draw(&d1));
    let norm = widen(&d0.logits().unwrap());
    let lp0 = d0.log_prob_x(&x0).unwrap();
    let lp1 = d1.log_prob_x(&x0).unwrap();
    for i in 0..n {
        let raw = c.param_row(i);
        let p = i % c.b;
        let max_abs = |v: &[f64]| {
            v.iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, |m, v| m.max(v.abs()))
        };
        let a = shift.abs() + max_abs(raw) + max_abs(&norm[p * k..(p + 1) * k]);
        let t = c.t(i);
        let per_unit = T::EPS * (a + gumbel_bound::<T>()) / t;
        for j in i * k..(i + 1) * k {
            let (u, v) = (y0[j].f(), y1[j].f());
            within(
                &format!("{} shift y", T::TYPE_NAME),
                ((u - v).abs() - T::DENORM_MIN).max(0.0)
                    / (per_unit * u.max(v)).max(f64::MIN_POSITIVE),
                4.0,
                || format!("shift {shift}: row {i}, element {j}: y {u:e} vs {v:e}"),
            )?;
            let (u, v) = (x0[j].f(), x1[j].f());
            if u == f64::NEG_INFINITY || v == f64::NEG_INFINITY {
                prop_assert_eq!(u, v);
                continue;
            }
            within(
                &format!("{} shift x", T::TYPE_NAME),
                (u - v).abs() / per_unit,
                4.0,
                || format!("shift {shift}: row {i}, element {j}: x {u:e} vs {v:e}"),
            )?;
        }
        // The log-density of one value under both: the normalised logits
        // enter K times (sum l and K logsumexp(l - t x)), each off by ulps
        // of A (worst seen 0.13 f32, 0.15 f64: the bound is loose, so the
        // limit is 0.5).
        let xr = widen(&x0[i * k..(i + 1) * k]);
        let scale = T::EPS * (oracle::log_prob_scale(raw, t, &xr) + 2.0 * k as f64 * a);
        within(
            &format!("{} shift log_prob_x", T::TYPE_NAME),
            (lp0[i].f() - lp1[i].f()).abs() / scale,
            0.5,
            || format!("shift {shift}: row {i}: {} vs {}", lp0[i], lp1[i]),
        )?;
    }
    Ok(())
}

/// `probs = softmax(logits)` (computed in f64 from the logits as rounded
/// to `T`, then rounded to `T`) builds the same distribution as `logits`,
/// up to that last rounding. Each form is checked against its own f64
/// reference: the logits form against `softmax` / `log_softmax` of its
/// logits, the probs form against `p / sum p` and `ln p - ln sum p` of its
/// rounded probs `p`:
///
/// - `probs()` within `5 eps (1 + |v - max v|)` relative (the exponent's
///   argument is rounded to ulps of `|v - max v|`; worst seen 2.2, f64);
/// - `logits()` within `4 eps (1 + |l|)` (worst seen 1.7);
/// - samples as in the shift check, with `A = 1 + max |l|` (the normalised
///   logits of the two forms differ by ulps of `|l|`) plus `D`, the largest
///   difference between the two f64 references' logits: rounding a
///   probability to `T` changes its log by up to `eps / 2`, and by far more
///   for a subnormal probability (a true limit of the probs form: 3e-44 in
///   f32 has 5 significant bits);
/// - samples within `C = 4` (worst seen 1.5);
/// - log-densities of one value within `0.5 (eps (scale + 2 K A) + 2 K D)`
///   (worst seen 0.18).
fn parameterisations_agree<T: Fl>(c: &Case) -> Result<(), TestCaseError> {
    let (k, n) = (c.k, c.rows());
    let logits_t: Vec<f64> = widen(&cast::<T>(&c.logits));
    let softmax: Vec<f64> = logits_t.chunks(k).flat_map(oracle::softmax).collect();
    let log_softmax: Vec<f64> = logits_t.chunks(k).flat_map(oracle::log_softmax).collect();
    let t = cast::<T>(c.temperatures());
    let from_logits = c.dist::<T>(&c.logits);
    let probs_t = cast::<T>(&softmax);
    // A probability that rounds to 0 in T masks its category in the probs
    // form only: that is not the same distribution (for this T).
    if probs_t
        .iter()
        .zip(&softmax)
        .any(|(p, s)| (p.f() > 0.0) != (*s > 0.0))
    {
        return Ok(());
    }
    let from_probs = RelaxedOneHotCategorical::from_probs(&t, &probs_t, k).unwrap();
    let p_rounded = widen(&probs_t);
    let (mut probs_probs, mut probs_logits) = (Vec::new(), Vec::new());
    for row in p_rounded.chunks(k) {
        let total = oracle::sum(row.iter().copied());
        probs_probs.extend(row.iter().map(|p| p / total));
        probs_logits.extend(row.iter().map(|p| p.ln() - total.ln()));
    }
    let spread = |v: &[f64], j: usize| {
        let max = v[j / k * k..(j / k + 1) * k]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if v[j].is_finite() { max - v[j] } else { 0.0 }
    };
    let forms = [
        ("logits", &from_logits, &softmax, &log_softmax),
        ("probs", &from_probs, &probs_probs, &probs_logits),
    ];
    for (name, d, want_p, want_l) in forms {
        for (j, (p, want)) in d.probs().unwrap().iter().zip(want_p.iter()).enumerate() {
            within(
                &format!("{} {name} probs", T::TYPE_NAME),
                (p.f() - want).abs()
                    / (T::EPS * want * (1.0 + spread(want_l, j))).max(T::DENORM_MIN),
                5.0,
                || format!("element {j}: {:e} vs {want:e}", p.f()),
            )?;
        }
        for (j, (l, want)) in d.logits().unwrap().iter().zip(want_l.iter()).enumerate() {
            if *want == f64::NEG_INFINITY {
                prop_assert_eq!(l.f(), f64::NEG_INFINITY, "{} element {}", name, j);
                continue;
            }
            within(
                &format!("{} {name} logits", T::TYPE_NAME),
                (l.f() - want).abs() / (T::EPS * (1.0 + want.abs())),
                4.0,
                || format!("element {j}: {:e} vs {want:e}", l.f()),
            )?;
        }
    }
    let stream = Stream::new(c.seed, c.offset);
    let mut y0 = vec![T::of(0.0); n * k];
    let mut y1 = vec![T::of(0.0); n * k];
    let mut x0 = vec![T::of(0.0); n * k];
    from_logits
        .draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y0))
        .unwrap();
    from_probs
        .draw(Noise::Rows(stream, 0..n), Draw::Soft(&mut y1))
        .unwrap();
    from_logits
        .draw(Noise::Rows(stream, 0..n), Draw::Log(&mut x0))
        .unwrap();
    let lp0 = from_logits.log_prob_x(&x0).unwrap();
    let lp1 = from_probs.log_prob_x(&x0).unwrap();
    for i in 0..n {
        let p = i % c.b;
        let row = p * k..(p + 1) * k;
        let a = 1.0
            + log_softmax[row.clone()]
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, |m, v| m.max(v.abs()));
        let dl = log_softmax[row.clone()]
            .iter()
            .zip(&probs_logits[row])
            .filter(|(u, _)| u.is_finite())
            .fold(0.0f64, |m, (u, v)| m.max((u - v).abs()));
        let per_unit = (T::EPS * (a + gumbel_bound::<T>()) + dl) / c.t(i);
        for j in i * k..(i + 1) * k {
            let (u, v) = (y0[j].f(), y1[j].f());
            within(
                &format!("{} probs vs logits y", T::TYPE_NAME),
                ((u - v).abs() - T::DENORM_MIN).max(0.0)
                    / (per_unit * u.max(v)).max(f64::MIN_POSITIVE),
                4.0,
                || format!("row {i}, element {j}: y {u:e} vs {v:e}"),
            )?;
        }
        let xr = widen(&x0[i * k..(i + 1) * k]);
        let scale = T::EPS
            * (oracle::log_prob_scale(c.param_row(i), c.t(i), &xr) + 2.0 * k as f64 * a)
            + 2.0 * k as f64 * dl;
        within(
            &format!("{} probs vs logits log_prob_x", T::TYPE_NAME),
            (lp0[i].f() - lp1[i].f()).abs() / scale,
            0.5,
            || format!("row {i}: {} vs {}", lp0[i], lp1[i]),
        )?;
    }
    Ok(())
}

/// Everything a distribution computes from one stream: soft, log-space,
/// hard samples, and the log-densities of the soft and log-space ones.
fn outputs<T: Fl>(
    d: &RelaxedOneHotCategorical<T>,
    stream: Stream,
    rows: std::ops::Range<usize>,
) -> [Vec<T>; 5] {
    let len = (rows.end - rows.start) * d.num_categories();
    let mut y = vec![T::of(0.0); len];
    let mut x = vec![T::of(0.0); len];
    let mut hard = vec![T::of(0.0); len];
    let mut soft = vec![T::of(0.0); len];
    d.draw(Noise::Rows(stream, rows.clone()), Draw::Soft(&mut y))
        .unwrap();
    d.draw(Noise::Rows(stream, rows.clone()), Draw::Log(&mut x))
        .unwrap();
    d.draw(
        Noise::Rows(stream, rows),
        Draw::Hard {
            hard: &mut hard,
            soft: &mut soft,
        },
    )
    .unwrap();
    assert_bits_eq("hard's soft rows == rsample", &soft, &y);
    // log_prob needs whole batches of value rows (written without `%` so
    // that clippy's is_multiple_of lint, which needs Rust 1.87, stays quiet
    // at any MSRV).
    let n = len / d.num_categories();
    let (lp, lpx) = if n / d.batch_rows() * d.batch_rows() == n {
        (d.log_prob(&y).unwrap(), d.log_prob_x(&x).unwrap())
    } else {
        (Vec::new(), Vec::new())
    };
    [y, x, hard, lp, lpx]
}

const OUTPUT_NAMES: [&str; 5] = [
    "rsample",
    "rsample_log",
    "rsample_hard",
    "log_prob",
    "log_prob_x",
];

/// A scalar temperature and the same value once per row: the same bits.
fn scalar_temperature_is_per_row<T: Fl>(c: &Case) {
    let t = T::of(c.temperature[0]);
    let logits = cast::<T>(&c.logits);
    let scalar = RelaxedOneHotCategorical::from_logits(&[t], &logits, c.k)
        .unwrap()
        .into_owned()
        .unwrap();
    let repeated = RelaxedOneHotCategorical::from_logits(&vec![t; c.b], &logits, c.k)
        .unwrap()
        .into_owned()
        .unwrap();
    let stream = Stream::new(c.seed, c.offset);
    let a = outputs(&scalar, stream, 0..c.rows());
    let b = outputs(&repeated, stream, 0..c.rows());
    for ((name, a), b) in OUTPUT_NAMES.iter().zip(&a).zip(&b) {
        assert_bits_eq(
            &format!("{} scalar vs per-row temperature: {name}", T::TYPE_NAME),
            a,
            b,
        );
    }
}

/// Rows `[a, b)` alone equal that slice of rows `[0, n)`, and a `Generator`
/// at position `offset` draws rows `[0, n)` of `Stream::new(seed, offset)`.
fn row_range_is_a_slice<T: Fl>(c: &Case, extra: usize, a: usize, len: usize) {
    let (k, n) = (c.k, c.rows() + extra);
    let (a, b) = (a % (n + 1), (a % (n + 1) + len).min(n));
    let d = c.dist::<T>(&c.logits);
    let stream = Stream::new(c.seed, c.offset);
    let whole = outputs(&d, stream, 0..n);
    let part = outputs(&d, stream, a..b);
    for (name, (w, p)) in OUTPUT_NAMES.iter().zip(whole.iter().zip(&part)).take(3) {
        assert_bits_eq(
            &format!("{} rows {a}..{b} of {n}: {name}", T::TYPE_NAME),
            p,
            &w[a * k..b * k],
        );
    }
    let mut g = Generator::new(c.seed);
    g.set_position(c.offset);
    let mut y = vec![T::of(0.0); c.rows() * k];
    d.draw(Noise::Generator(&mut g, c.samples), Draw::Soft(&mut y))
        .unwrap();
    assert_eq!(g.position(), c.offset.wrapping_add(c.rows() as u64));
    assert_bits_eq("generator vs stream", &y, &whole[0][..c.rows() * k]);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn log_prob_is_log_prob_x_minus_sum_x(c in case()) {
        log_prob_identity::<f32>(&c)?;
        log_prob_identity::<f64>(&c)?;
    }

    #[test]
    fn samples_are_invariant_to_shifting_logits(
        c in case(),
        shift in prop_oneof![(-30i32..=30).prop_map(f64::from), -300.0f64..300.0],
    ) {
        shift_invariance::<f32>(&c, shift)?;
        shift_invariance::<f64>(&c, shift)?;
    }

    #[test]
    fn probs_and_logits_parameterisations_agree(c in case()) {
        parameterisations_agree::<f32>(&c)?;
        parameterisations_agree::<f64>(&c)?;
    }

    #[test]
    fn scalar_temperature_equals_repeated(c in case()) {
        scalar_temperature_is_per_row::<f32>(&c);
        scalar_temperature_is_per_row::<f64>(&c);
    }

    #[test]
    fn row_range_equals_slice_of_whole(c in case(), extra in 0usize..600, a in any::<usize>(), len in 0usize..300) {
        row_range_is_a_slice::<f32>(&c, extra, a, len);
        row_range_is_a_slice::<f64>(&c, extra, a, len);
    }
}
