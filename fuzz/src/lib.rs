//! What the relaxcat fuzz targets share: decoding the fuzz input into
//! sizes and numbers, and the invariants every target checks.
//!
//! ```text
//! input bytes -> Input: byte / u64 / below(n) / real::<T>(Flavor)
//!   real: tags 0..=9 are special values (NaN, +-inf, +-0, subnormal,
//!         max, min normal, raw bits); others a value of the flavor's
//!         typical range (logits, probs, temperatures, gradients)
//! checks: simplex rows, log-simplex rows, one-hot rows, finiteness
//! ```
//!
//! Sizes are capped so one execution stays fast: at most `MAX_ELEMENTS`
//! elements per matrix (rows x K), K at most `MAX_K`.

use std::fmt::Debug;

pub mod ffi;

/// The crate under test (re-exported so the targets link it).
pub use relaxcat;

/// The most elements (rows x K) of any matrix a target allocates.
pub const MAX_ELEMENTS: usize = 4096;
/// The largest K a target uses (rows of more than 8 vectors, odd tails).
pub const MAX_K: usize = 1100;

/// The fuzz input, read front to back; reads past the end give zeros.
pub struct Input<'a> {
    data: &'a [u8],
    /// Whether `real` may return the special values (NaN, inf, ...).
    pub specials: bool,
}

impl<'a> Input<'a> {
    /// Reads `data`; the first byte's low bit turns special values on.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        let mut input = Input {
            data,
            specials: false,
        };
        input.specials = input.byte() & 1 == 1;
        input
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `N` bytes, zero-padded.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// A little-endian u64 of the next 8 bytes.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes::<8>())
    }

    /// A bool from the low bit of the next byte.
    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A number in `0..=max` (one byte for `max < 256`, else two).
    pub fn upto(&mut self, max: usize) -> usize {
        if max == 0 {
            return 0;
        }
        let raw = if max < 256 {
            self.byte() as usize
        } else {
            u16::from_le_bytes(self.bytes::<2>()) as usize
        };
        raw % (max + 1)
    }

    /// A number of categories in `1..=MAX_K`, mostly small.
    pub fn k(&mut self) -> usize {
        let b = self.byte();
        match b >> 6 {
            0..=2 => 1 + (b & 31) as usize,
            // 14 bits, so every K up to MAX_K (rows longer than the
            // density kernel's 1024-element chunk included) is reachable.
            _ => 1 + ((((b & 63) as usize) << 8) | self.byte() as usize) % MAX_K,
        }
    }

    /// A size that overflows (`size_t` or `PTRDIFF_MAX` bytes) in any
    /// product with a factor of at least 2.
    pub fn huge(&mut self) -> usize {
        const HUGE: [usize; 6] = [
            usize::MAX,
            usize::MAX - 1,
            usize::MAX / 2 + 1,
            isize::MAX as usize,
            1 << 62,
            (1 << 61) + 3,
        ];
        HUGE[self.byte() as usize % HUGE.len()]
    }

    /// A leading dimension for rows of `k`: mostly `k`, sometimes a few
    /// more, rarely huge (valid only for a single row) or below `k`.
    pub fn ld(&mut self, k: usize) -> usize {
        let b = self.byte();
        match b {
            0..=159 => k,
            160..=239 => k + 1 + (b as usize & 7),
            240..=249 => self.huge(),
            _ => k.saturating_sub(1 + (b as usize & 3)),
        }
    }

    /// A number of the given flavor, or (with `specials`) a special value.
    pub fn real<T: Real>(&mut self, flavor: Flavor) -> T {
        let tag = self.byte();
        if self.specials && tag < 10 {
            return match tag {
                0 => T::from_f(f64::NAN),
                1 => T::from_f(f64::INFINITY),
                2 => T::from_f(f64::NEG_INFINITY),
                3 => T::from_f(0.0),
                4 => T::from_f(-0.0),
                5 => T::SUBNORMAL,
                6 => T::MAX,
                7 => T::from_f(-T::MAX.to_f()),
                8 => T::MIN_NORMAL,
                _ => T::from_bits(self.u64()),
            };
        }
        let fine = self.byte() as f64 / 256.0;
        let tag = tag as f64;
        let v = match flavor {
            // 6% masked, else a spread of magnitudes around 0.
            Flavor::Logit if tag < 26.0 => f64::NEG_INFINITY,
            Flavor::Logit => (tag - 140.0 + fine) * LOGIT_SCALES[tag as usize % 8],
            Flavor::Prob if tag < 26.0 => 0.0,
            Flavor::Prob => ((tag - 25.0) / 8.0 + fine).powi(2) * PROB_SCALES[tag as usize % 4],
            // 2^-10 .. 2^10 (about 1e-3 .. 1e3), finely spread.
            Flavor::Temperature => ((tag - 128.0 + fine) / 12.4).exp2(),
            Flavor::Grad => (tag - 128.0 + fine) / 16.0,
        };
        T::from_f(v)
    }
}

const LOGIT_SCALES: [f64; 8] = [0.05, 0.1, 0.5, 1.0, 2.0, 10.0, 70.0, 0.01];
const PROB_SCALES: [f64; 4] = [1.0, 1e-3, 1e3, 1e-30];

/// The typical range `Input::real` draws from.
#[derive(Clone, Copy, Debug)]
pub enum Flavor {
    /// Logits around 0 up to about +-8000, 6% `-inf`.
    Logit,
    /// Probabilities, unnormalised, 6% zero.
    Prob,
    /// Temperatures in about `[1e-3, 1e3]`.
    Temperature,
    /// Upstream gradients in `[-8, 8]`.
    Grad,
}

/// `f32` and `f64` as the targets need them.
pub trait Real: Copy + Default + PartialOrd + Debug + Send + Sync + 'static {
    /// Machine epsilon, as f64.
    const EPS: f64;
    /// The largest finite value.
    const MAX: Self;
    /// The smallest positive subnormal.
    const SUBNORMAL: Self;
    /// The smallest positive normal.
    const MIN_NORMAL: Self;
    /// The name, for messages.
    const NAME: &'static str;
    /// Rounds from f64.
    fn from_f(v: f64) -> Self;
    /// Widens to f64.
    fn to_f(self) -> f64;
    /// From the low bits of `bits`.
    fn from_bits(bits: u64) -> Self;
    /// The bits, widened.
    fn bits(self) -> u64;
    /// Finite?
    fn finite(self) -> bool {
        self.to_f().is_finite()
    }
    /// NaN?
    fn nan(self) -> bool {
        self.to_f().is_nan()
    }
}

impl Real for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    const MAX: f32 = f32::MAX;
    const SUBNORMAL: f32 = f32::from_bits(1);
    const MIN_NORMAL: f32 = f32::MIN_POSITIVE;
    const NAME: &'static str = "f32";
    fn from_f(v: f64) -> f32 {
        v as f32
    }
    fn to_f(self) -> f64 {
        self as f64
    }
    fn from_bits(bits: u64) -> f32 {
        f32::from_bits(bits as u32)
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Real for f64 {
    const EPS: f64 = f64::EPSILON;
    const MAX: f64 = f64::MAX;
    const SUBNORMAL: f64 = f64::from_bits(1);
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    const NAME: &'static str = "f64";
    fn from_f(v: f64) -> f64 {
        v
    }
    fn to_f(self) -> f64 {
        self
    }
    fn from_bits(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// The bits of a slice, for byte-exact comparisons (NaN == NaN).
pub fn bits<T: Real>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.bits()).collect()
}

/// Whether two result slices are the same bits, any NaN matching any NaN
/// (NaN payloads of results from unvalidated, invalid input are not
/// specified).
pub fn same<T: Real>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.bits() == y.bits() || (x.nan() && y.nan()))
}

/// How far a simplex row's sum may be from 1: every entry within a couple
/// of ulps, summed in f64.
pub fn simplex_tolerance<T: Real>(k: usize) -> f64 {
    4.0 * T::EPS * (k as f64 + 2.0)
}

/// A sample row: entries in `[0, 1]`, masked entries exactly 0, sum 1.
pub fn check_simplex<T: Real>(what: &str, row: &[T], masked: &[bool]) {
    let mut sum = 0.0f64;
    for (j, &v) in row.iter().enumerate() {
        let v = v.to_f();
        assert!(
            (0.0..=1.0).contains(&v),
            "{what} ({}): entry {j} is {v:e}, outside [0, 1]; row {row:?}",
            T::NAME
        );
        if masked[j] {
            assert!(v == 0.0, "{what}: masked entry {j} is {v:e}, not 0");
        }
        sum += v;
    }
    assert!(
        (sum - 1.0).abs() <= simplex_tolerance::<T>(row.len()),
        "{what} ({}): row of {} sums to {sum:.17e}; row {row:?}",
        T::NAME,
        row.len()
    );
}

/// A log-space sample row: entries `<= 0` and not NaN, masked entries
/// exactly `-inf`, unmasked finite when `finite`, and `sum exp = 1`.
pub fn check_log_simplex<T: Real>(what: &str, row: &[T], masked: &[bool], finite: bool) {
    let mut sum = 0.0f64;
    for (j, &v) in row.iter().enumerate() {
        let v = v.to_f();
        assert!(
            v <= 0.0,
            "{what} ({}): entry {j} is {v:e}; row {row:?}",
            T::NAME
        );
        if masked[j] {
            assert!(v == f64::NEG_INFINITY, "{what}: masked entry {j} is {v:e}");
        } else if finite {
            assert!(v.is_finite(), "{what}: unmasked entry {j} is {v:e}");
        }
        sum += v.exp();
    }
    let tol = simplex_tolerance::<T>(row.len()) * 2.0;
    assert!(
        (sum - 1.0).abs() <= tol,
        "{what} ({}): sum of exp is {sum:.17e}; row {row:?}",
        T::NAME
    );
}

/// A hard sample row: one-hot at the first largest entry of `soft`.
pub fn check_one_hot<T: Real>(what: &str, hard: &[T], soft: &[T]) {
    let mut best = 0;
    for j in 1..soft.len() {
        if soft[j] > soft[best] {
            best = j;
        }
    }
    for (j, &h) in hard.iter().enumerate() {
        let want = if j == best { 1.0 } else { 0.0 };
        assert!(
            h.to_f() == want,
            "{what}: hard {hard:?} is not one-hot at {best} of soft {soft:?}"
        );
    }
}

/// Every entry finite.
pub fn check_finite<T: Real>(what: &str, v: &[T]) {
    if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.finite()) {
        panic!("{what} ({}): element {i} is {x:?}", T::NAME);
    }
}

/// No entry NaN.
pub fn check_no_nan<T: Real>(what: &str, v: &[T]) {
    if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| x.nan()) {
        panic!("{what} ({}): element {i} is NaN ({x:?})", T::NAME);
    }
}

/// The validity rules of relaxcat's parameter checks (docs/SPEC.md section 2),
/// written out again as the oracle for "valid input is accepted".
pub fn temperatures_valid<T: Real>(t: &[T]) -> bool {
    t.iter().all(|&v| v.finite() && v.to_f() > 0.0)
}

/// Probs rows finite, `>= 0`, with a positive sum finite in `T`.
pub fn probs_valid<T: Real>(p: &[T], k: usize) -> bool {
    p.chunks_exact(k).all(|r| {
        let sum: f64 = r.iter().map(|v| v.to_f()).sum();
        r.iter().all(|&v| v.finite() && v.to_f() >= 0.0) && sum > 0.0 && T::from_f(sum).finite()
    })
}

/// Logits rows without NaN or `+inf`, not all `-inf`.
pub fn logits_valid<T: Real>(l: &[T], k: usize) -> bool {
    l.chunks_exact(k).all(|r| {
        r.iter().all(|&v| !v.nan() && v.to_f() != f64::INFINITY)
            && r.iter().any(|&v| v.to_f() != f64::NEG_INFINITY)
    })
}

/// Parameters in the range docs/SPEC.md section 5 promises finite results for:
/// temperatures in `[1e-3, 1e3]` and finite logits of magnitude at most
/// `1e4` (any valid probs).
pub fn in_range<T: Real>(t: &[T], logits: Option<&[T]>) -> bool {
    t.iter().all(|&v| (1e-3..=1e3).contains(&v.to_f()))
        && logits.is_none_or(|l| {
            l.iter()
                .all(|&v| v.to_f() == f64::NEG_INFINITY || v.to_f().abs() <= 1e4)
        })
}

/// Sampling temperatures of the categorical sampler: finite and `>= 0`.
pub fn sampling_temperatures_valid<T: Real>(t: &[T]) -> bool {
    t.iter().all(|&v| v.finite() && v.to_f() >= 0.0)
}

/// The categories top-k allows in a logits row: the `top_k` largest above
/// `-inf`, ties at the threshold to the lowest indices (`-0` ties with
/// `+0`); every one above `-inf` without top-k.
pub fn top_k_allowed<T: Real>(row: &[T], top_k: Option<usize>) -> Vec<bool> {
    let mut order: Vec<usize> = (0..row.len())
        .filter(|&i| row[i].to_f() > f64::NEG_INFINITY)
        .collect();
    let key = |i: usize| row[i].to_f() + 0.0;
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    let mut allowed = vec![false; row.len()];
    for &i in order.iter().take(top_k.unwrap_or(usize::MAX)) {
        allowed[i] = true;
    }
    allowed
}

/// Categorical draws from valid parameters (`logits`: `B x K`, one
/// temperature or `B`): every index in `0..K`, allowed by top-k (so never
/// masked), the first argmax where `T = 0`; log-probabilities not NaN, at
/// most 0 up to rounding, and 0 where `T = 0`. `first_row` is the sample
/// row of `out[0]`.
#[allow(clippy::too_many_arguments)]
pub fn check_categorical<T: Real>(
    what: &str,
    out: &[i64],
    log_prob: Option<&[T]>,
    logits: &[T],
    k: usize,
    temperature: &[T],
    top_k: Option<usize>,
    first_row: usize,
) {
    let b = logits.len() / k;
    for (j, &i) in out.iter().enumerate() {
        let p = (first_row + j) % b;
        let row = &logits[p * k..(p + 1) * k];
        assert!(
            (0..k as i64).contains(&i),
            "{what}: index {i} outside 0..{k}"
        );
        let allowed = top_k_allowed(row, top_k);
        assert!(
            allowed[i as usize],
            "{what} ({}): row {j} drew {i}, not allowed (logit {:?}, top_k {top_k:?})",
            T::NAME,
            row[i as usize]
        );
        let t = temperature[if temperature.len() == 1 { 0 } else { p }].to_f();
        if t == 0.0 {
            let m = row
                .iter()
                .map(|x| x.to_f())
                .fold(f64::NEG_INFINITY, f64::max);
            let first = row.iter().position(|x| x.to_f() == m).unwrap();
            assert_eq!(
                i as usize, first,
                "{what}: T = 0 row {j} is not the first argmax"
            );
        }
        if let Some(lp) = log_prob {
            let v = lp[j].to_f();
            assert!(!v.is_nan() && v <= 1e-3, "{what}: log_prob {v} of row {j}");
            if t == 0.0 {
                assert_eq!(v, 0.0, "{what}: log_prob at T = 0");
            }
        }
    }
}
