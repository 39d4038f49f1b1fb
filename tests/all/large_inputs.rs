//! Large inputs (issue 15, item 5): a row longer than `2^31` elements and a
//! sample output longer than `2^32`, so that index arithmetic done in 32
//! bits anywhere (an `i32` or `u32` offset, a row start `r * k` in 32 bits,
//! a float element index) would wrap, read or write the wrong element, or
//! leave part of the buffer unwritten.
//!
//! - `logsumexp_of_a_row_past_2_pow_31`: one row of `K = 2^31 + 64` f32
//!   through `logsumexp_rows`, against an f64 recomputation (compensated
//!   sums) whose answer depends on the elements past index `2^31` (the
//!   unique maximum is at `2^31 + 40`); then the same buffer as
//!   `2^25 + 1` rows of 64 (the parallel path, rows starting up to `2^31`),
//!   every row against f64.
//! - `gumbel_noise_of_a_row_past_2_pow_31`: the Gumbel noise of one such row
//!   (`gumbel_rows`), every element bit for bit against the row rebuilt from
//!   `rand_xoshiro` lanes and the documented layout, sampled elements
//!   against the f64 Gumbel transform (one row is one task, so this call
//!   runs on one thread); then the same buffer as `2^25 + 1` rows of 64
//!   from a stream index inside a generator block (the parallel path: tasks
//!   of 512 rows, each positioned in its block), every element against the
//!   rebuilt blocks.
//! - `rsample_of_more_than_2_pow_32_elements`: `1025 x 4` samples of
//!   `K = 2^20` (`4100 x 2^20 = 2^32 + 4 * 2^20` f32, 17.2 GB) drawn into one
//!   caller buffer; every row sums to 1, and the rows near the start, at
//!   `2^31` and `2^32` elements and the last are the rows of small draws and
//!   the f64 softmax of the crate's noise for their stream rows.
//!
//! Ignored by default (peak memory about 8.7, 8.6 and 17.3 GB; one to two
//! minutes each on two cores). Run by hand, one at a time, on a machine with at
//! least 18 GB free:
//!
//! ```text
//! cargo test --release --test all large_inputs -- --ignored --nocapture --test-threads=1
//! ```
//!
//! Each test checks `MemAvailable` first and panics with a message rather
//! than start an allocation that cannot fit; each frees its buffers before
//! it returns. The big calls run on an `Exec` of two threads (the parallel
//! path), and the checks' own loops on the same pool. Timings and the peak
//! resident set so far (`VmHWM`) are printed.

use crate::common::{oracle, widen};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;
use relaxcat::testing::{self, MathFn};
use relaxcat::{
    Draw, Exec, Generator, Noise, RelaxedOneHotCategorical, Stream, Threads, gumbel_rows,
    logsumexp_rows,
};
use std::sync::Arc;
use std::time::Instant;

const EPS: f64 = f32::EPSILON as f64;

/// The long row: `2^31 + 64` elements, a whole number of 16-element
/// generator steps (f32 takes 16 uniforms per step of the eight lanes).
const LONG_K: usize = (1 << 31) + 64;

/// Where the long row's unique maximum is: past `2^31`.
const MAX_AT: usize = (1 << 31) + 40;

/// The chunk the long row's fill and f64 recomputation work in.
const CHUNK: usize = 1 << 20;

/// The error ratio limits of tests/all/oracle_kernels.rs (same measures).
const LIMIT_LOGSUMEXP: f64 = 1.0;
const LIMIT_GUMBEL: f64 = 2.0;
const LIMIT_SAMPLE: f64 = 4.0;

/// An `Exec` of two threads, and its pool (for the checks' own loops).
fn two_threads() -> (Exec, Arc<rayon::ThreadPool>) {
    let exec = Exec::new().with_threads(2).expect("a pool of two threads");
    let Threads::Pool(pool) = exec.threads().clone() else {
        unreachable!("with_threads(2) builds a pool")
    };
    (exec, pool)
}

fn gb(bytes: usize) -> f64 {
    bytes as f64 / 1e9
}

/// A field of /proc/meminfo or /proc/self/status, in bytes.
fn proc_kb(file: &str, field: &str) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Panics (with a message) unless `bytes` plus half a gigabyte are free;
/// no check where /proc/meminfo is missing.
fn require_memory(test: &str, bytes: usize) {
    if let Some(available) = proc_kb("/proc/meminfo", "MemAvailable:") {
        assert!(
            available >= bytes + (1 << 29),
            "[{test}] needs about {:.1} GB of memory, {:.1} GB available",
            gb(bytes),
            gb(available)
        );
    }
}

fn report_peak(test: &str, start: Instant) {
    let peak = proc_kb("/proc/self/status", "VmHWM:").map_or(f64::NAN, gb);
    println!(
        "[{test}] total {:.1} s; peak resident set of the process so far (VmHWM) {peak:.2} GB",
        start.elapsed().as_secs_f64()
    );
}

/// Prints how long `f` took.
fn timed<R>(test: &str, what: &str, f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    println!("[{test}] {what}: {:.1} s", t.elapsed().as_secs_f64());
    r
}

// ---------------------------------------------------------------------------
// logsumexp of one row of 2^31 + 64
// ---------------------------------------------------------------------------

/// Six spikes, at both ends, at `2^30`, on either side of `2^31` and at the
/// last element; the unique maximum 1 is at `MAX_AT`.
const SPIKES: [(usize, f32); 6] = [
    (0, 0.5),
    ((1 << 30) + 3, -0.25),
    ((1 << 31) - 1, 0.0),
    (1 << 31, 0.75),
    (MAX_AT, 1.0),
    (LONG_K - 1, 0.25),
];

/// Chunks (of `CHUNK`) of the long row that hold one "medium" element
/// each: all of them but the last, partial one.
const MEDIUM_COUNT: usize = LONG_K / CHUNK;

/// Element `k` of the long row, spikes aside. One medium element per chunk
/// (`-5` to `-5.16`, at an offset that walks through the 32 lanes of the
/// kernel's four accumulators, so no lane adds more than 64 of them); the
/// rest is bulk in `[-44.1, -40]`, varying along the row. Relative to the
/// maximum 1 a medium element weighs `e^-6 ~ 2.5e-3`, so every chunk's
/// medium element moves the answer by ~3e-4, far above the tolerance; the
/// whole bulk weighs `2^31 e^-41 ~ 3e-9`, below f32 resolution (an f32
/// blocked sum cannot resolve it anyway: each of its 32 lanes adds 2^26
/// terms, each under half an ulp of the lane's sum).
fn long_row_value(k: usize) -> f32 {
    let c = k / CHUNK;
    if k % CHUNK == 100 + c % 32 {
        -5.0 - 0.01 * (c % 17) as f32
    } else {
        -40.0 - 0.001 * (k % 4093) as f32
    }
}

/// `(logsumexp, max, ln sum exp(v - max))` of an f32 row in f64, with a
/// compensated sum.
fn logsumexp_f64(row: &[f32]) -> (f64, f64, f64) {
    let m = row.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
    let ls = oracle::sum(row.iter().map(|&v| (v as f64 - m).exp())).ln();
    (m + ls, m, ls)
}

#[test]
#[ignore = "needs ~9 GB of memory; run by hand: cargo test --release --test all large_inputs -- --ignored --nocapture --test-threads=1"]
fn logsumexp_of_a_row_past_2_pow_31() {
    const TEST: &str = "logsumexp_of_a_row_past_2_pow_31";
    let start = Instant::now();
    require_memory(TEST, LONG_K * 4 + (LONG_K / 64) * 4);
    let (exec, pool) = two_threads();
    println!(
        "[{TEST}] K = {LONG_K} f32 ({:.2} GB), backend {}",
        gb(LONG_K * 4),
        exec.backend().name()
    );

    let mut x = vec![0.0f32; LONG_K];
    timed(TEST, "fill", || {
        pool.install(|| {
            x.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
                for (i, v) in chunk.iter_mut().enumerate() {
                    *v = long_row_value(c * CHUNK + i);
                }
            })
        });
        for &(at, v) in &SPIKES {
            x[at] = v;
        }
    });

    // The f64 answer: the maximum (checked unique, at MAX_AT), then
    // compensated sums of exp(x - max) per chunk, added compensated.
    let (m, chunk_sums) = timed(TEST, "f64 recomputation", || {
        pool.install(|| {
            let m = x.par_iter().fold(|| f32::NEG_INFINITY, |a, &v| a.max(v));
            let m = m.reduce(|| f32::NEG_INFINITY, f32::max);
            let at_max = x.par_iter().filter(|&&v| v == m).count();
            assert_eq!((m, at_max, x[MAX_AT]), (1.0, 1, 1.0), "maximum not unique");
            let m = m as f64;
            let sums: Vec<f64> = x
                .par_chunks(CHUNK)
                .map(|c| oracle::sum(c.iter().map(|&v| (v as f64 - m).exp())))
                .collect();
            (m, sums)
        })
    });
    let s = oracle::sum(chunk_sums.iter().copied());
    let want = m + s.ln();
    // The answer without the 64 elements past 2^31 (chunks are 2^20, so
    // the first 2048 chunks are exactly the first 2^31 elements): what a
    // kernel that stopped at, or wrapped at, 2^31 could at best return.
    let prefix = m + oracle::sum(chunk_sums[..1 << 11].iter().copied()).ln();

    let mut got = [0.0f32];
    timed(TEST, "logsumexp_rows, one row", || {
        logsumexp_rows(&exec, &x, LONG_K, &mut got).unwrap()
    });
    // The measure of oracle_kernels, with sqrt of the number of terms that
    // are not negligible (6 spikes and the medium elements) in place of
    // sqrt K.
    let scale = EPS * (1.0 + m.abs() + s.ln() + ((SPIKES.len() + MEDIUM_COUNT) as f64).sqrt());
    let err = (got[0] as f64 - want).abs();
    println!(
        "[{TEST}] logsumexp {} vs f64 {want:.9}: error {err:.2e} ({:.3} of the tolerance \
         {:.2e}); without the elements past 2^31 the answer would be {prefix:.9} \
         (off by {:.2e})",
        got[0],
        err / scale / LIMIT_LOGSUMEXP,
        scale * LIMIT_LOGSUMEXP,
        want - prefix,
    );
    // The check can tell: the elements past 2^31 move the answer by far
    // more than the tolerance.
    assert!(want - prefix > 100.0 * LIMIT_LOGSUMEXP * scale);
    assert!(
        err <= LIMIT_LOGSUMEXP * scale,
        "logsumexp of the long row: got {}, want {want} (error {err:.3e}, tolerance {:.3e})",
        got[0],
        LIMIT_LOGSUMEXP * scale
    );

    // The same buffer as rows of 64: 2^25 + 1 rows, the last starting at
    // element 2^31 (it holds the maximum and the last element). Rows are
    // split into tasks on two threads, each task's input starting at
    // `row * 64`; every row against f64.
    const SHORT_K: usize = 64;
    let rows = LONG_K / SHORT_K;
    let mut out = vec![f32::NAN; rows];
    timed(TEST, "logsumexp_rows, rows of 64", || {
        logsumexp_rows(&exec, &x, SHORT_K, &mut out).unwrap()
    });
    let (worst, worst_row) = timed(TEST, "f64 check of every row of 64", || {
        pool.install(|| {
            out.par_iter()
                .zip(x.par_chunks(SHORT_K))
                .enumerate()
                .map(|(r, (&got, row))| {
                    let (want, m, ls) = logsumexp_f64(row);
                    let scale = EPS * (1.0 + m.abs() + ls + (SHORT_K as f64).sqrt());
                    let ratio = (got as f64 - want).abs() / scale;
                    // NaN (an unwritten row) counts as the worst.
                    (if ratio.is_nan() { f64::INFINITY } else { ratio }, r)
                })
                .reduce(|| (0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
        })
    });
    let last = rows - 1;
    println!(
        "[{TEST}] rows of 64: worst error ratio {worst:.3} (row {worst_row}; limit \
         {LIMIT_LOGSUMEXP}); last row (from element {}) = {}",
        last * SHORT_K,
        out[last]
    );
    assert!(
        worst <= LIMIT_LOGSUMEXP,
        "rows of 64: row {worst_row} (elements from {}) = {}, want {}",
        worst_row * SHORT_K,
        out[worst_row],
        logsumexp_f64(&x[worst_row * SHORT_K..(worst_row + 1) * SHORT_K]).0
    );
    drop(x);
    drop(out);
    report_peak(TEST, start);
}

// ---------------------------------------------------------------------------
// Gumbel noise of one row of 2^31 + 64
// ---------------------------------------------------------------------------

/// What [`check_lanes`] found.
#[derive(Clone, Copy, Debug)]
struct LaneCheck {
    /// Elements whose bits differ from the rebuilt row.
    mismatches: usize,
    /// The first of them: (element, got, want).
    first_mismatch: Option<(usize, f32, f32)>,
    /// Elements compared with the f64 transform, the worst error ratio
    /// and its element.
    sampled: usize,
    worst: f64,
    worst_at: usize,
}

/// Rebuilds the elements of generator lanes `lanes` of the long row `g`
/// (one block, `block`, of `seed`) from `rand_xoshiro` and compares them:
/// bit for bit with the crate's Gumbel transform of the rebuilt uniform,
/// and, at sampled elements, with the f64 transform.
fn check_lanes(
    g: &[f32],
    seed: u64,
    block: u64,
    lanes: std::ops::Range<usize>,
    backend: relaxcat::Backend,
) -> LaneCheck {
    let mut rngs: Vec<Xoshiro256PlusPlus> = lanes
        .clone()
        .map(|l| Xoshiro256PlusPlus::seed_from_u64(oracle::lane_seed(seed, block, l)))
        .collect();
    let steps = g.len() / 16;
    const BATCH: usize = 4096;
    let mut u = Vec::with_capacity(BATCH * 8);
    let mut pos = Vec::with_capacity(BATCH * 8);
    let mut want = vec![0.0f32; BATCH * 8];
    let mut out = LaneCheck {
        mismatches: 0,
        first_mismatch: None,
        sampled: 0,
        worst: 0.0,
        worst_at: 0,
    };
    let mut s0 = 0;
    while s0 < steps {
        let s1 = (s0 + BATCH).min(steps);
        u.clear();
        pos.clear();
        for s in s0..s1 {
            for (rng, lane) in rngs.iter_mut().zip(lanes.clone()) {
                // Vector 2s: the high halves of step s; vector 2s + 1: the
                // low halves.
                let w = rng.next_u64();
                u.push(oracle::uniform_f32((w >> 32) as u32) as f32);
                pos.push(16 * s + lane);
                u.push(oracle::uniform_f32(w as u32) as f32);
                pos.push(16 * s + 8 + lane);
            }
        }
        let want = &mut want[..u.len()];
        testing::math(backend, MathFn::Gumbel, &u, want);
        for ((&p, &w), &ui) in pos.iter().zip(want.iter()).zip(&u) {
            if g[p].to_bits() != w.to_bits() {
                out.mismatches += 1;
                out.first_mismatch.get_or_insert((p, g[p], w));
            }
            if !(4096..(1 << 31) - 4096).contains(&p) || p % 999_983 == 0 {
                let exact = oracle::gumbel(ui as f64);
                let ratio = (g[p] as f64 - exact).abs() / (EPS * (1.0 + exact.abs()));
                if ratio > out.worst || ratio.is_nan() {
                    (out.worst, out.worst_at) = (ratio, p);
                }
                out.sampled += 1;
            }
        }
        s0 = s1;
    }
    out
}

#[test]
#[ignore = "needs ~9 GB of memory; run by hand: cargo test --release --test all large_inputs -- --ignored --nocapture --test-threads=1"]
fn gumbel_noise_of_a_row_past_2_pow_31() {
    const TEST: &str = "gumbel_noise_of_a_row_past_2_pow_31";
    let start = Instant::now();
    require_memory(TEST, LONG_K * 4);
    let (exec, pool) = two_threads();
    let backend = exec.backend();
    // A stream index past 2^32 too.
    let stream = Stream::new(0x5EED_F1A2_6E00, (1 << 33) + 7);
    println!(
        "[{TEST}] one row of K = {LONG_K} f32 ({:.2} GB) at stream index {}, backend {}",
        gb(LONG_K * 4),
        stream.offset,
        backend.name()
    );

    let mut g = vec![0.0f32; LONG_K];
    timed(TEST, "gumbel_rows, one row", || {
        gumbel_rows(&exec, stream, LONG_K, &mut g).unwrap()
    });

    // How an element of the stream is addressed (src/rng.rs): a row of
    // K >= 4096 is a generator block of its own, block = stream index; its
    // eight xoshiro256++ lanes are seeded from `lane_seed(seed, block,
    // lane)`; element j is lane j % 8 of vector j / 8, and f32 vector v is
    // the high 32 bits of the lanes' step v / 2 when v is even, the low 32
    // bits when odd. The noise is per row, and no small call of the crate
    // reaches element 2^31 of a row without generating the 2^31 before it:
    //
    // - a small row (K = 2^16) at the same stream index is the same block
    //   from its start, so it must equal the big row's first 2^16 elements
    //   bit for bit (the only positions a small call can address);
    // - every element, including all those past 2^31 and the last, is then
    //   checked against the row rebuilt independently: `rand_xoshiro`
    //   lanes seeded by the oracle's `lane_seed`, stepped to the element,
    //   its uniform by the oracle's map, and the crate's own vector Gumbel
    //   transform (`testing::math`, the same `-ln(-ln u)` code), bit for
    //   bit. An index that wrapped at 2^31 (the element at
    //   2^31 + i written from, or to, the place of element i), a stretch
    //   left unwritten (0 here) or a generator position off by any number
    //   of steps shows up as a mismatch;
    // - sampled elements (the first 4096, the last 4160 around 2^31 and
    //   one in 999983) are also compared with the f64 transform of the same
    //   uniform (`oracle::gumbel`), independently of the crate's math.
    let mut small = vec![0.0f32; 1 << 16];
    gumbel_rows(&exec, stream, small.len(), &mut small).unwrap();
    let prefix_same = small
        .iter()
        .zip(&g)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(
        prefix_same,
        "the first 2^16 elements differ from a small call"
    );

    assert_eq!(oracle::rows_per_block(LONG_K), 1);
    let block = stream.offset;
    assert_eq!(LONG_K % 16, 0);
    // Two threads, each rebuilding four lanes over the whole row.
    let results: Vec<LaneCheck> = timed(TEST, "rebuild and compare every element", || {
        pool.install(|| {
            [0..4, 4..8]
                .into_par_iter()
                .map(|lanes| check_lanes(&g, stream.seed, block, lanes, backend))
                .collect()
        })
    });
    let mismatches: usize = results.iter().map(|r| r.mismatches).sum();
    let sampled: usize = results.iter().map(|r| r.sampled).sum();
    let worst = results
        .iter()
        .copied()
        .reduce(|a, b| {
            if b.worst > a.worst || b.worst.is_nan() {
                b
            } else {
                a
            }
        })
        .unwrap();
    println!(
        "[{TEST}] {mismatches} of {LONG_K} elements differ from the rebuilt row; {sampled} \
         sampled against the f64 transform, worst error ratio {:.3} at element {} (limit \
         {LIMIT_GUMBEL}); g[2^31] = {}, g[last] = {}",
        worst.worst,
        worst.worst_at,
        g[1 << 31],
        g[LONG_K - 1]
    );
    assert_eq!(
        mismatches,
        0,
        "elements differ from the rebuilt row; first (element, got, want): {:?}",
        results.iter().find_map(|r| r.first_mismatch)
    );
    assert!(
        worst.worst <= LIMIT_GUMBEL,
        "element {}: {} vs the f64 transform",
        worst.worst_at,
        g[worst.worst_at]
    );

    // The same buffer as rows of 64 on two threads: 64 rows per generator
    // block, the first row at stream index 7 of its block.
    timed(TEST, "gumbel_rows, rows of 64", || {
        gumbel_rows(&exec, stream, 64, &mut g).unwrap()
    });
    let (mismatches, first_mismatch) = timed(TEST, "rebuild and compare rows of 64", || {
        pool.install(|| check_rows_of_64(&g, stream, backend))
    });
    println!(
        "[{TEST}] rows of 64: {mismatches} of {LONG_K} elements differ from the rebuilt \
         blocks; last row (from element {}) starts {}",
        LONG_K - 64,
        g[LONG_K - 64]
    );
    assert_eq!(
        mismatches, 0,
        "rows of 64: elements differ from the rebuilt blocks; first (element, got, want): \
         {first_mismatch:?}"
    );
    drop(g);
    report_peak(TEST, start);
}

/// Checks `g`, rows of 64 of Gumbel noise from stream index `stream.offset`,
/// against the generator blocks rebuilt from `rand_xoshiro` (64 rows of
/// 64 per block: row `i` of a block is the block's vectors `8i .. 8i + 8`,
/// i.e. its uniforms `64i .. 64i + 64` in order) and the crate's Gumbel
/// transform, bit for bit. Returns the mismatches and the first one.
fn check_rows_of_64(
    g: &[f32],
    stream: Stream,
    backend: relaxcat::Backend,
) -> (usize, Option<(usize, f32, f32)>) {
    const K: u64 = 64;
    assert_eq!(oracle::rows_per_block(K as usize), 64);
    let first = stream.offset;
    let end = first + (g.len() as u64) / K;
    (first / 64..=(end - 1) / 64)
        .into_par_iter()
        .map_init(
            || (vec![0.0f32; 4096], vec![0.0f32; 4096]),
            |(u, want), block| {
                let mut rngs: Vec<Xoshiro256PlusPlus> = (0..8)
                    .map(|l| {
                        Xoshiro256PlusPlus::seed_from_u64(oracle::lane_seed(stream.seed, block, l))
                    })
                    .collect();
                for s in 0..256 {
                    for (lane, rng) in rngs.iter_mut().enumerate() {
                        let w = rng.next_u64();
                        u[16 * s + lane] = oracle::uniform_f32((w >> 32) as u32) as f32;
                        u[16 * s + 8 + lane] = oracle::uniform_f32(w as u32) as f32;
                    }
                }
                testing::math(backend, MathFn::Gumbel, u, want);
                let (mut mismatches, mut first_mismatch) = (0, None);
                for index in first.max(64 * block)..end.min(64 * block + 64) {
                    let row = ((index - first) * K) as usize;
                    let in_block = ((index - 64 * block) * K) as usize;
                    for j in 0..K as usize {
                        let (got, w) = (g[row + j], want[in_block + j]);
                        if got.to_bits() != w.to_bits() {
                            mismatches += 1;
                            first_mismatch.get_or_insert((row + j, got, w));
                        }
                    }
                }
                (mismatches, first_mismatch)
            },
        )
        .reduce(
            || (0, None),
            |a, b| (a.0 + b.0, if a.1.is_some() { a.1 } else { b.1 }),
        )
}

// ---------------------------------------------------------------------------
// rsample of more than 2^32 elements
// ---------------------------------------------------------------------------

const SAMPLE_K: usize = 1 << 20;
const BATCH_ROWS: usize = 4;
const SAMPLES: usize = 1025;
/// `SAMPLES x BATCH_ROWS` sample rows: `4100 x 2^20 = 2^32 + 2^22` elements.
const SAMPLE_ROWS: usize = SAMPLES * BATCH_ROWS;
const TEMPERATURES: [f32; BATCH_ROWS] = [0.5, 1.0, 2.0, 0.25];

/// Four parameter rows of 2^20 logits in `[-4, 0]` (multiples of 1/256, so
/// the kernel's shift by the row maximum is exact), each with its own
/// pattern; row 2 masks categories 5 and `K - 1`, row 3 has one large logit
/// (3) so that its shift is not 0.
fn sample_logits() -> Vec<f32> {
    let mut l: Vec<f32> = (0..BATCH_ROWS * SAMPLE_K)
        .map(|i| {
            let (b, k) = ((i / SAMPLE_K) as u64, (i % SAMPLE_K) as u64);
            -(((k * 2_654_435_761 + b * 40_503) % 1024) as f32) / 256.0
        })
        .collect();
    l[2 * SAMPLE_K + 5] = f32::NEG_INFINITY;
    l[3 * SAMPLE_K - 1] = f32::NEG_INFINITY;
    l[3 * SAMPLE_K + 777_777] = 3.0;
    l
}

#[test]
#[ignore = "needs ~17 GB of memory; run by hand: cargo test --release --test all large_inputs -- --ignored --nocapture --test-threads=1"]
fn rsample_of_more_than_2_pow_32_elements() {
    const TEST: &str = "rsample_of_more_than_2_pow_32_elements";
    let start = Instant::now();
    let len = SAMPLE_ROWS * SAMPLE_K;
    assert!(len > 1 << 32);
    require_memory(TEST, len * 4 + 4 * BATCH_ROWS * SAMPLE_K * 4);
    let (exec, pool) = two_threads();
    let logits = sample_logits();
    let dist = RelaxedOneHotCategorical::builder(SAMPLE_K)
        .temperature(&TEMPERATURES)
        .logits(&logits)
        .exec(exec.clone())
        .build()
        .unwrap();
    let seed = 0x1A26_E5A3_91E5;
    let first = (1u64 << 40) + 5;
    let mut generator = Generator::new(seed);
    generator.set_position(first);
    println!(
        "[{TEST}] {SAMPLES} samples x {BATCH_ROWS} rows of K = {SAMPLE_K}: {len} f32 \
         ({:.2} GB), stream indices from {first}, backend {}",
        gb(len * 4),
        exec.backend().name()
    );

    // rsample's path (Noise::Generator, Draw::Soft) into one caller buffer.
    let mut y = vec![0.0f32; len];
    timed(TEST, "draw (Noise::Generator, Draw::Soft)", || {
        dist.draw(
            Noise::Generator(&mut generator, SAMPLES),
            Draw::Soft(&mut y),
        )
        .unwrap()
    });
    assert_eq!(generator.position(), first + SAMPLE_ROWS as u64);

    // Every row: finite, in [0, 1], summing to 1 within the tolerance the
    // crate itself accepts for a value on the simplex (an unwritten row
    // sums to 0).
    let tolerance = testing::value_tolerance::<f32>(SAMPLE_K);
    let sums: Vec<(f64, bool)> = timed(TEST, "row sums of every row", || {
        pool.install(|| {
            y.par_chunks(SAMPLE_K)
                .map(|row| {
                    let in_range = row.iter().all(|&v| (0.0..=1.0).contains(&v));
                    (row.iter().map(|&v| v as f64).sum(), in_range)
                })
                .collect()
        })
    });
    let (worst_sum_row, worst_sum) = sums
        .iter()
        .enumerate()
        .map(|(i, &(s, _))| (i, (s - 1.0).abs()))
        .fold(
            (0, 0.0),
            |a, b| if b.1 > a.1 || b.1.is_nan() { b } else { a },
        );
    println!(
        "[{TEST}] every row: worst |sum - 1| = {worst_sum:.2e} (row {worst_sum_row}; \
         tolerance {tolerance:.2e})"
    );
    assert!(sums.iter().all(|s| s.1), "a value outside [0, 1]");
    assert!(
        worst_sum <= tolerance,
        "row {worst_sum_row} sums to {}",
        sums[worst_sum_row].0
    );

    // The rows near the start, at 2^31 elements (row 2048), the last before
    // 2^32 (row 4095 ends at element 2^32), past 2^32 and the last: each
    // (a) the same bits as a small draw of that row alone (Noise::Rows),
    // (b) the softmax, in f64, of (l - max l + g) / t with g the crate's
    //     noise for that stream row (`gumbel_rows` at stream index
    //     first + j), within the measure of oracle_kernels, masked
    //     categories exactly 0; and that noise against the f64 Gumbel
    //     transform of the oracle's uniforms for the row.
    let checked = [
        0usize, 1, 2, 3, 4, 5, 2046, 2047, 2048, 2049, 4094, 4095, 4096, 4097, 4098, 4099,
    ];
    assert_eq!(*checked.last().unwrap(), SAMPLE_ROWS - 1);
    let stream = Stream::new(seed, first);
    let (mut worst_y, mut worst_y_at) = (0.0f64, (0, 0));
    let mut worst_g = 0.0f64;
    let t_check = Instant::now();
    let mut small = vec![0.0f32; SAMPLE_K];
    let mut g = vec![0.0f32; SAMPLE_K];
    for &j in &checked {
        let row = &y[j * SAMPLE_K..(j + 1) * SAMPLE_K];
        dist.draw(Noise::Rows(stream, j..j + 1), Draw::Soft(&mut small))
            .unwrap();
        let same = small
            .iter()
            .zip(row)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(
            same,
            "row {j} (elements from {}) differs from a small draw",
            j * SAMPLE_K
        );

        gumbel_rows(&exec, Stream::new(seed, first + j as u64), SAMPLE_K, &mut g).unwrap();
        let u = oracle::stream_uniforms(seed, SAMPLE_K, first + j as u64, 1, false);
        for (k, (&gk, &uk)) in g.iter().zip(&u).enumerate() {
            let exact = oracle::gumbel(uk);
            let ratio = (gk as f64 - exact).abs() / (EPS * (1.0 + exact.abs()));
            assert!(ratio <= LIMIT_GUMBEL, "row {j} noise {k}: {gk} vs {exact}");
            worst_g = worst_g.max(ratio);
        }

        let b = j % BATCH_ROWS;
        let lb = &logits[b * SAMPLE_K..(b + 1) * SAMPLE_K];
        let shift = lb.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
        let l: Vec<f64> = lb.iter().map(|&v| v as f64 - shift).collect();
        let (z, y_o) = oracle::rsample(&l, &widen(&g), TEMPERATURES[b] as f64);
        let max_z = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sk = (SAMPLE_K as f64).sqrt();
        for (k, (&lk, (&zk, &yk))) in l.iter().zip(z.iter().zip(&y_o)).enumerate() {
            if lk == f64::NEG_INFINITY {
                assert_eq!(row[k], 0.0, "row {j}: masked category {k}");
                continue;
            }
            let scale =
                EPS * yk * (1.0 + zk.abs() + max_z.abs() + sk) + 2.0 * f32::from_bits(1) as f64;
            let ratio = (row[k] as f64 - yk).abs() / scale;
            if ratio > worst_y || ratio.is_nan() {
                (worst_y, worst_y_at) = (ratio, (j, k));
            }
        }
    }
    println!(
        "[{TEST}] checked rows {checked:?}: same bits as small draws; noise worst ratio \
         {worst_g:.3} (limit {LIMIT_GUMBEL}); samples vs f64 softmax worst ratio \
         {worst_y:.3} at (row, category) {worst_y_at:?} (limit {LIMIT_SAMPLE}); {:.1} s",
        t_check.elapsed().as_secs_f64()
    );
    assert!(
        worst_y <= LIMIT_SAMPLE,
        "row {} category {}: {} vs the f64 softmax",
        worst_y_at.0,
        worst_y_at.1,
        y[worst_y_at.0 * SAMPLE_K + worst_y_at.1]
    );
    drop(y);
    report_peak(TEST, start);
}
