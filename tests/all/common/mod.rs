//! Shared pieces of the integration tests.
//!
//! The heart of this module is [`oracle`]: a naive `f64` implementation of
//! everything the crate computes (docs/SPEC.md sections 3 and 4), written with
//! plain loops and std's `exp`/`ln`. It shares no code with the kernels: it
//! does not call into `relaxcat` at all, and reproduces the generator from
//! `rand_xoshiro` and the documented seeding rule. The rest is plumbing:
//! a float trait so tests can be generic over `f32`/`f64`, the list of
//! backends (reporting the ones this CPU lacks), bit comparisons, sentinel
//! buffers, deterministic test inputs and the reference JSON files.
#![allow(dead_code)]

use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};
use relaxcat::{Backend, Exec, Float};
use std::fmt::{Debug, Display};
use std::path::PathBuf;

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// `f32` or `f64`, with what the tests need to reason about them in `f64`.
pub trait Fl:
    Float + Copy + PartialEq + PartialOrd + Debug + Display + Default + Send + Sync + 'static
{
    /// Machine epsilon, as `f64`.
    const EPS: f64;
    /// Smallest positive subnormal, as `f64`.
    const DENORM_MIN: f64;
    /// Smallest positive normal, as `f64`.
    const MIN_NORMAL: f64;
    /// `"f32"` / `"f64"`.
    const TYPE_NAME: &'static str;
    /// Whether this is `f64` (two generator steps per draw).
    const IS_F64: bool;
    /// Rounds an `f64` to this type.
    fn of(x: f64) -> Self;
    /// Exact conversion to `f64`.
    fn f(self) -> f64;
    /// The bit pattern, widened.
    fn bits(self) -> u64;
    /// A value from its bit pattern (low bits used for `f32`).
    fn from_bits_(b: u64) -> Self;
}

impl Fl for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    const DENORM_MIN: f64 = f32::from_bits(1) as f64;
    const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;
    const TYPE_NAME: &'static str = "f32";
    const IS_F64: bool = false;
    fn of(x: f64) -> f32 {
        x as f32
    }
    fn f(self) -> f64 {
        self as f64
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn from_bits_(b: u64) -> f32 {
        f32::from_bits(b as u32)
    }
}

impl Fl for f64 {
    const EPS: f64 = f64::EPSILON;
    const DENORM_MIN: f64 = f64::from_bits(1);
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    const TYPE_NAME: &'static str = "f64";
    const IS_F64: bool = true;
    fn of(x: f64) -> f64 {
        x
    }
    fn f(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn from_bits_(b: u64) -> f64 {
        f64::from_bits(b)
    }
}

/// Converts a slice to `T`.
pub fn cast<T: Fl>(xs: &[f64]) -> Vec<T> {
    xs.iter().map(|&x| T::of(x)).collect()
}

/// Converts a slice to `f64` (exactly).
pub fn widen<T: Fl>(xs: &[T]) -> Vec<f64> {
    xs.iter().map(|x| x.f()).collect()
}

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/// Every backend this CPU can run, each with an [`Exec`] selecting it; the
/// ones it lacks are printed as skipped (run with `--nocapture` to see).
pub fn backends(test: &str) -> Vec<(Backend, Exec)> {
    for b in Backend::ALL {
        if !b.is_available() {
            println!(
                "[{test}] skipped backend {}: not available on this CPU",
                b.name()
            );
        }
    }
    let available = Backend::available();
    assert!(!available.is_empty(), "no backend available");
    available
        .into_iter()
        .map(|b| {
            let exec = Exec::new()
                .with_backend(b)
                .expect("available backend must be selectable");
            (b, exec)
        })
        .collect()
}

/// Serial variant of [`backends`] (the caller's thread only).
pub fn serial_backends(test: &str) -> Vec<(Backend, Exec)> {
    backends(test)
        .into_iter()
        .map(|(b, _)| {
            (
                b,
                Exec::serial().with_backend(b).expect("available backend"),
            )
        })
        .collect()
}

/// Two values are the same bits, or both NaN (any payload).
pub fn same_bits<T: Fl>(a: T, b: T) -> bool {
    (a.f().is_nan() && b.f().is_nan()) || a.bits() == b.bits()
}

/// Asserts two outputs are bit-identical (NaN equal to any NaN).
#[track_caller]
pub fn assert_bits_eq<T: Fl>(what: &str, a: &[T], b: &[T]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            same_bits(*x, *y),
            "{what}: element {i} differs: {x:?} ({:#x}) vs {y:?} ({:#x})",
            x.bits(),
            y.bits()
        );
    }
}

// ---------------------------------------------------------------------------
// Sentinel-padded buffers
// ---------------------------------------------------------------------------

/// A NaN with a payload no kernel produces.
pub fn sentinel<T: Fl>() -> T {
    if T::IS_F64 {
        T::from_bits_(0x7FF8_0000_DEAD_BEEF)
    } else {
        T::from_bits_(0x7FC0_1234)
    }
}

/// A buffer of `len` elements with `pad` sentinel elements on each side.
pub struct Padded<T: Fl> {
    pub buf: Vec<T>,
    pub pad: usize,
    pub len: usize,
}

impl<T: Fl> Padded<T> {
    pub fn new(len: usize, pad: usize) -> Self {
        Padded {
            buf: vec![sentinel::<T>(); len + 2 * pad],
            pad,
            len,
        }
    }
    pub fn inner(&mut self) -> &mut [T] {
        &mut self.buf[self.pad..self.pad + self.len]
    }
    pub fn get(&self) -> &[T] {
        &self.buf[self.pad..self.pad + self.len]
    }
    /// Panics if any padding element is not the sentinel (bit for bit).
    #[track_caller]
    pub fn check(&self, what: &str) {
        let s = sentinel::<T>().bits();
        for (i, v) in self.buf[..self.pad].iter().enumerate() {
            assert_eq!(
                v.bits(),
                s,
                "{what}: padding before the output, element {i}, was overwritten with {v:?}"
            );
        }
        for (i, v) in self.buf[self.pad + self.len..].iter().enumerate() {
            assert_eq!(
                v.bits(),
                s,
                "{what}: padding after the output, element {i}, was overwritten with {v:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Deterministic test inputs
// ---------------------------------------------------------------------------

/// A small deterministic source of test inputs (not the crate's generator).
pub struct Inputs(Xoshiro256PlusPlus);

impl Inputs {
    pub fn new(seed: u64) -> Self {
        Inputs(Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED_F00D))
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Approximately standard normal (sum of 12 uniforms minus 6).
    pub fn normalish(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
    /// An index in 0..n.
    pub fn index(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.range(lo, hi)).collect()
    }
}

// ---------------------------------------------------------------------------
// Reference files
// ---------------------------------------------------------------------------

/// `tests/data/<name>` (under `CARGO_MANIFEST_DIR`), parsed. The reference
/// files are part of the repository (tests/data/README.md), so a missing,
/// unreadable or unparsable file is a test failure: this panics naming the
/// path.
pub fn reference_json(name: &str) -> serde_json::Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reference file {} not readable ({e}); it is committed with the tests \
             (see tests/data/README.md)",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("reference file {}: invalid JSON: {e}", path.display()))
}

/// A JSON number, or one of the strings "inf", "-inf", "nan".
pub fn json_f64(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Number(n) => n.as_f64().expect("number"),
        serde_json::Value::String(s) => match s.as_str() {
            "inf" | "Infinity" => f64::INFINITY,
            "-inf" | "-Infinity" => f64::NEG_INFINITY,
            "nan" | "NaN" => f64::NAN,
            other => panic!("unexpected string number {other:?}"),
        },
        other => panic!("not a number: {other}"),
    }
}

/// A JSON array of numbers (see [`json_f64`]).
pub fn json_vec(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(json_f64).collect()
}

// ---------------------------------------------------------------------------
// Error measures
// ---------------------------------------------------------------------------

/// Tracks the worst `|got - want| / scale` seen, with where it happened.
#[derive(Debug, Default)]
pub struct Worst {
    pub ratio: f64,
    pub at: String,
}

impl Worst {
    pub fn see(&mut self, ratio: f64, at: impl FnOnce() -> String) {
        if ratio > self.ratio || ratio.is_nan() {
            self.ratio = if ratio.is_nan() { f64::INFINITY } else { ratio };
            self.at = at();
        }
    }
}

/// Compares `got` to `want` where non-finite values must match exactly
/// (same infinity, or both NaN); finite ones give `|got - want| / scale`.
/// Returns `None` if a non-finite mismatch makes the comparison fail.
pub fn err_ratio(got: f64, want: f64, scale: f64) -> Option<f64> {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            Some(0.0)
        } else {
            None
        };
    }
    if want.is_infinite() || got.is_infinite() {
        return if want == got { Some(0.0) } else { None };
    }
    Some((got - want).abs() / scale)
}

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

/// Naive `f64` reference implementations (docs/SPEC.md sections 3 and 4).
pub mod oracle {
    use super::*;

    /// Elements per generator block (SPEC section 4; `rng::BLOCK_ELEMENTS`).
    pub const BLOCK_ELEMENTS: usize = 4096;

    /// A compensated (Neumaier) sum, so that the oracle's own rounding
    /// stays well below the kernels' in f64 even for K = 4097.
    pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for v in values {
            let t = s + v;
            if s.abs() >= v.abs() {
                c += (s - t) + v;
            } else {
                c += (v - t) + s;
            }
            s = t;
        }
        s + c
    }

    /// `ln sum exp v`: `-inf` for all `-inf` (or empty), NaN with any NaN,
    /// `+inf` with any `+inf`.
    pub fn logsumexp(v: &[f64]) -> f64 {
        if v.iter().any(|x| x.is_nan()) {
            return f64::NAN;
        }
        let mut m = f64::NEG_INFINITY;
        for &x in v {
            if x > m {
                m = x;
            }
        }
        if !m.is_finite() {
            return m;
        }
        let s = sum(v.iter().map(|&x| (x - m).exp()));
        m + s.ln()
    }

    /// `softmax(v)`; NaN everywhere when the maximum is not finite.
    pub fn softmax(v: &[f64]) -> Vec<f64> {
        let m = v.iter().fold(
            f64::NEG_INFINITY,
            |a, &b| if b > a || b.is_nan() { b } else { a },
        );
        if !m.is_finite() {
            return vec![f64::NAN; v.len()];
        }
        let e: Vec<f64> = v.iter().map(|&x| (x - m).exp()).collect();
        let s = sum(e.iter().copied());
        e.iter().map(|x| x / s).collect()
    }

    /// `v - logsumexp(v)`; NaN everywhere when the maximum is not finite.
    pub fn log_softmax(v: &[f64]) -> Vec<f64> {
        let m = v.iter().fold(
            f64::NEG_INFINITY,
            |a, &b| if b > a || b.is_nan() { b } else { a },
        );
        if !m.is_finite() {
            return vec![f64::NAN; v.len()];
        }
        let s = sum(v.iter().map(|&x| (x - m).exp()));
        let ls = s.ln();
        v.iter().map(|&x| (x - m) - ls).collect()
    }

    /// The maximum of a row, and `ln sum exp(v - max)` (for error scales).
    pub fn max_and_log_sum(v: &[f64]) -> (f64, f64) {
        let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s = sum(v.iter().map(|&x| (x - m).exp()));
        (m, s.ln())
    }

    /// Gumbel noise from a uniform.
    pub fn gumbel(u: f64) -> f64 {
        -(-u.ln()).ln()
    }

    /// The f32 uniform of a 32-bit word: its top 23 bits `k`, `(k + 1/2) 2^-23`.
    pub fn uniform_f32(bits: u32) -> f64 {
        ((bits >> 9) as f64 + 0.5) * (1.0 / 8_388_608.0)
    }

    /// The f64 uniform of a 64-bit word: its top 52 bits `k`, `(k + 1/2) 2^-52`.
    pub fn uniform_f64(bits: u64) -> f64 {
        ((bits >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
    }

    /// Rows per generator block for rows of `k`.
    pub fn rows_per_block(k: usize) -> usize {
        BLOCK_ELEMENTS.div_ceil(k.max(1))
    }

    /// The u64 that seeds lane `lane` of block `block` through SplitMix64:
    /// the first SplitMix64 output of `seed`, plus `8 block + lane`.
    pub fn lane_seed(seed: u64, block: u64, lane: usize) -> u64 {
        SplitMix64::seed_from_u64(seed)
            .next_u64()
            .wrapping_add(block.wrapping_mul(8).wrapping_add(lane as u64))
    }

    /// The uniforms of stream rows `first .. first + rows` for rows of `k`,
    /// row-major, generated lane by lane with `rand_xoshiro`: a block's
    /// uniforms come in vectors of 8, lane `j` from generator lane `j` (f32:
    /// the high halves of a step, then its low halves; f64: one step per
    /// vector); row `r` of a block takes vectors `r V .. (r+1) V` with
    /// `V = ceil(k / 8)`; a block is re-seeded from scratch.
    pub fn stream_uniforms(seed: u64, k: usize, first: u64, rows: usize, is_f64: bool) -> Vec<f64> {
        let rpb = rows_per_block(k) as u64;
        let per_row = k.div_ceil(8) * 8;
        let mut out = Vec::with_capacity(rows * k);
        let mut block_uniforms: Vec<f64> = Vec::new();
        let mut current_block = u64::MAX;
        for r in 0..rows as u64 {
            let idx = first + r;
            let block = idx / rpb;
            if block != current_block {
                current_block = block;
                let mut lanes: Vec<Xoshiro256PlusPlus> = (0..8)
                    .map(|l| Xoshiro256PlusPlus::seed_from_u64(lane_seed(seed, block, l)))
                    .collect();
                block_uniforms.clear();
                while block_uniforms.len() < rpb as usize * per_row {
                    let w: Vec<u64> = lanes.iter_mut().map(|l| l.next_u64()).collect();
                    if is_f64 {
                        block_uniforms.extend(w.iter().map(|&w| uniform_f64(w)));
                    } else {
                        block_uniforms.extend(w.iter().map(|&w| uniform_f32((w >> 32) as u32)));
                        block_uniforms.extend(w.iter().map(|&w| uniform_f32(w as u32)));
                    }
                }
            }
            let start = (idx % rpb) as usize * per_row;
            out.extend_from_slice(&block_uniforms[start..start + k]);
        }
        out
    }

    /// A relaxed sample from normalised logits `l`, Gumbel noise `g` and
    /// temperature `t`: `(z, y)` with `z = (l + g) / t`, `y = softmax(z)`.
    pub fn rsample(l: &[f64], g: &[f64], t: f64) -> (Vec<f64>, Vec<f64>) {
        let z: Vec<f64> = l.iter().zip(g).map(|(l, g)| (l + g) / t).collect();
        let y = softmax(&z);
        (z, y)
    }

    /// The log-space sample `x = z - logsumexp(z)`.
    pub fn log_sample(l: &[f64], g: &[f64], t: f64) -> Vec<f64> {
        let z: Vec<f64> = l.iter().zip(g).map(|(l, g)| (l + g) / t).collect();
        log_softmax(&z)
    }

    /// Index of the largest element, the lowest index on ties.
    pub fn argmax(y: &[f64]) -> usize {
        let mut best = 0;
        for (i, &v) in y.iter().enumerate() {
            if v > y[best] {
                best = i;
            }
        }
        best
    }

    /// `lgamma(n) = ln((n-1)!)`, summed.
    pub fn lgamma_count(n: usize) -> f64 {
        sum((2..n).map(|i| (i as f64).ln()))
    }

    /// `log_prob` of value `y` (SPEC section 3) for raw logits `logits`
    /// (normalised here; the formula is shift-invariant anyway) and
    /// temperature `t`, with masking: categories with logit `-inf` are
    /// dropped (`K' = ` the rest), mass on one of them gives `-inf`, and so
    /// does an exact 0 on an unmasked one (the boundary of the open simplex
    /// is outside the support: this crate's documented convention).
    pub fn log_prob(logits: &[f64], t: f64, y: &[f64]) -> f64 {
        let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
        log_density(logits, t, &ly, true)
    }

    /// `log_prob_x` of a log-space value `x = ln y`: the density of `x`,
    /// `log_prob(y) + sum_k ln y_k`, same masking rules.
    pub fn log_prob_x(logits: &[f64], t: f64, x: &[f64]) -> f64 {
        log_density(logits, t, x, false)
    }

    fn log_density(logits: &[f64], t: f64, ly: &[f64], jacobian: bool) -> f64 {
        let l = log_softmax(logits);
        let mut kp = 0usize;
        let mut terms = Vec::new();
        let mut s = Vec::new();
        for (&lk, &lyk) in l.iter().zip(ly) {
            if lk == f64::NEG_INFINITY {
                if lyk != f64::NEG_INFINITY {
                    return f64::NEG_INFINITY; // mass on a masked category
                }
                continue;
            }
            if lyk == f64::NEG_INFINITY {
                return f64::NEG_INFINITY; // zero on an unmasked category
            }
            kp += 1;
            let coefficient = if jacobian { t + 1.0 } else { t };
            terms.push(lk);
            terms.push(-coefficient * lyk);
            s.push(lk - t * lyk);
        }
        if kp == 0 {
            return f64::NEG_INFINITY;
        }
        sum([
            lgamma_count(kp),
            (kp as f64 - 1.0) * t.ln(),
            sum(terms),
            -(kp as f64) * logsumexp(&s),
        ])
    }

    /// A scale for the rounding error of a log-density evaluation in a
    /// precision: the magnitudes of the terms it adds up.
    pub fn log_prob_scale(logits: &[f64], t: f64, ly: &[f64]) -> f64 {
        let l = log_softmax(logits);
        let mut scale = 1.0;
        let mut s = Vec::new();
        for (&lk, &lyk) in l.iter().zip(ly) {
            if lk == f64::NEG_INFINITY || !lyk.is_finite() {
                continue;
            }
            scale += lk.abs() + (t + 1.0) * lyk.abs();
            s.push(lk - t * lyk);
        }
        let lse = logsumexp(&s);
        if lse.is_finite() {
            scale += s.len() as f64 * lse.abs() + s.iter().map(|v| v.abs()).sum::<f64>();
        }
        scale + lgamma_count(s.len()) + s.len() as f64 * t.ln().abs()
    }
}
