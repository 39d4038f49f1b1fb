//! Long rows keep their small terms: the row sums of `logsumexp`, the
//! samplers and `log_prob` add blocks of `SUM_BLOCK` (16384) elements up a
//! fixed tree of fan-out 64, so their error does not grow with `K`.
//!
//! Found by tests/all/large_inputs.rs: with one flat pass into 32 f32
//! lanes, each lane added `K / 32` terms, and once a lane's total was large
//! the small terms rounded away; at `K = 2^28` a soft sample summed to
//! 1.034 and `log_prob` rejected the crate's own sample. Here at
//! `K = 2^22` (16 MB rows), on every backend, against f64; the logsumexp
//! test also shows that a flat f32 lane sum of the same terms misses its
//! bound, so the bound tells the two orders apart.

use crate::common::backends;
use relaxcat::{Draw, Noise, RelaxedOneHotCategorical, Stream, logsumexp_rows};

const K: usize = 1 << 22;

/// `sum x` as 32 f32 lanes each adding every 32nd term in turn (the old
/// flat order, in effect), in f64 at the end.
fn flat_lane_sum(x: impl Iterator<Item = f32>) -> f64 {
    let mut lanes = [0f32; 32];
    for (i, v) in x.enumerate() {
        lanes[i % 32] += v;
    }
    lanes.iter().map(|&l| l as f64).sum()
}

/// A varying row: values in `[-10, 0]`, the maximum 0 first.
fn row() -> Vec<f32> {
    (0..K).map(|i| -((i % 1000) as f32) / 100.0).collect()
}

#[test]
fn logsumexp_of_a_long_row_is_accurate_on_every_backend() {
    let x = row();
    // f64, compensated: the reference.
    let (mut s, mut c) = (0f64, 0f64);
    for &v in &x {
        let y = (v as f64).exp() - c;
        let t = s + y;
        c = (t - s) - y;
        s = t;
    }
    let want = s.ln();
    // The blocked sum's error: at most ~(512 + 64) ulp per lane in the
    // worst case, far less in practice; the bound is 2e-5 (absolute, in
    // the log: relative in the sum).
    let bound = 2e-5;
    let flat = flat_lane_sum(x.iter().map(|&v| v.exp())).ln();
    assert!(
        (flat - want).abs() > bound,
        "a flat f32 sum is within the bound ({flat} vs {want}): the test cannot tell"
    );
    for (backend, exec) in backends("long row logsumexp") {
        let mut out = [0f32];
        logsumexp_rows(&exec, &x, K, &mut out).unwrap();
        let err = (out[0] as f64 - want).abs();
        assert!(
            err <= bound,
            "{backend:?}: logsumexp {} vs f64 {want}: error {err:e} > {bound:e}",
            out[0]
        );
    }
}

#[test]
fn a_long_sample_sums_to_one_and_log_prob_accepts_it() {
    let logits = vec![0f32; K];
    let bound = 2e-5;
    for (backend, exec) in backends("long row sample") {
        let dist = RelaxedOneHotCategorical::from_logits(&[1.0f32], &logits, K)
            .unwrap()
            .with_exec(exec);
        let mut y = vec![0f32; K];
        dist.draw(Noise::Rows(Stream::new(5, 0), 0..1), Draw::Soft(&mut y))
            .unwrap();
        let total: f64 = y.iter().map(|&v| v as f64).sum();
        assert!(
            (total - 1.0).abs() <= bound,
            "{backend:?}: a sample of K = 2^22 sums to {total}"
        );
        // The density's sums over the same row are as long.
        let lp = dist.log_prob(&y).unwrap();
        assert!(lp[0].is_finite(), "{backend:?}: log_prob {}", lp[0]);
    }
}
