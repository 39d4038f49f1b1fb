//! Every kernel runs on a thread with a small stack, on every backend.
//!
//! An unoptimised build once overflowed the 2 MiB stack of a test thread:
//! the forced inlining of the kernels gave one frame the stack slots of a
//! whole kernel's variants, up to 3 MB (build.rs now turns it off at
//! `opt-level = 0`). An optimised build's frames are small either way, so
//! this test can fail only in an unoptimised build: `.ci/run` runs it in
//! one (a dev-profile `cargo test`).
//!
//! Each call runs on the calling thread (a serial `Exec`), on a thread of
//! 1 MiB, half the 2 MiB of Rust's test threads and rayon's workers; the
//! largest frame of a dev build with the fix is about 170 KB. The shapes
//! take each row path: one vector (K = 5), one chunk (K = 100) and long
//! rows (K = 1500, past the density's 1024-element chunk).

use crate::common::{Fl, cast, serial_backends};
use relaxcat::categorical::{self, CategoricalParams};
use relaxcat::{Draw, Generator, LogProbGrads, Noise, ParamGrads, SampleForm, Stream};
use relaxcat::{
    RelaxedOneHotCategorical, gumbel_rows, log_softmax_rows, logsumexp_rows, softmax_rows,
};

const STACK: usize = 1 << 20;

fn every_kernel<T: Fl>() {
    for k in [5usize, 100, 1500] {
        let rows = 3;
        let logits: Vec<f64> = (0..rows * k)
            .map(|i| ((i * 7) % 11) as f64 * 0.3 - 1.0)
            .collect();
        let logits = cast::<T>(&logits);
        let probs = cast::<T>(&vec![1.0 / k as f64; rows * k]);
        let temperature = [T::of(0.7)];
        for (backend, exec) in serial_backends("stack_frames") {
            let at = format!("{backend:?} K = {k}");
            for from_probs in [false, true] {
                let d = if from_probs {
                    RelaxedOneHotCategorical::from_probs(&temperature, &probs, k)
                } else {
                    RelaxedOneHotCategorical::from_logits(&temperature, &logits, k)
                }
                .unwrap()
                .with_exec(exec.clone());
                let n = rows * k;
                let (mut y, mut x, mut h) = (
                    vec![T::of(0.0); n],
                    vec![T::of(0.0); n],
                    vec![T::of(0.0); n],
                );
                let mut idx = vec![0i64; rows];
                let noise = || Noise::Rows(Stream::new(5, 0), 0..rows);
                d.draw(noise(), Draw::Soft(&mut y)).unwrap();
                d.draw(noise(), Draw::Log(&mut x)).unwrap();
                d.draw(noise(), Draw::Index(&mut idx)).unwrap();
                d.draw(
                    noise(),
                    Draw::HardWithLog {
                        hard: &mut h,
                        soft: &mut y,
                        log: &mut x,
                    },
                )
                .unwrap();
                let lp = d.log_prob(&y).unwrap();
                let lpx = d.log_prob_x(&x).unwrap();
                assert!(lpx.iter().all(|v| v.f().is_finite()), "log_prob_x, {at}");
                assert_eq!(lp.len(), rows, "{at}");
                let up = vec![T::of(0.25); n];
                let mut gl = vec![T::of(0.0); n];
                let mut gt = vec![T::of(0.0); 1];
                let both = SampleForm::Both { soft: &y, log: &x };
                d.rsample_backward(both, &up, grads(from_probs, &mut gl, &mut gt))
                    .unwrap();
                d.rsample_log_backward(both, &up, grads(from_probs, &mut gl, &mut gt))
                    .unwrap();
                let one = vec![T::of(1.0); rows];
                let mut gv = vec![T::of(0.0); n];
                for log_space in [false, true] {
                    let g = LogProbGrads {
                        params: grads(from_probs, &mut gl, &mut gt),
                        value: Some(&mut gv),
                        log_prob: None,
                    };
                    if log_space {
                        d.log_prob_x_backward(&x, &one, g).unwrap();
                    } else {
                        d.log_prob_backward(&y, &one, g).unwrap();
                    }
                }
                let mut p = vec![T::of(0.0); n];
                d.probs_into(&mut p).unwrap();
                d.logits_into(&mut p).unwrap();
            }
            let mut out = vec![T::of(0.0); rows * k];
            let mut lse = vec![T::of(0.0); rows];
            logsumexp_rows(&exec, &logits, k, &mut lse).unwrap();
            softmax_rows(&exec, &logits, k, &mut out).unwrap();
            log_softmax_rows(&exec, &logits, k, &mut out).unwrap();
            gumbel_rows(&exec, Stream::new(1, 0), k, &mut out).unwrap();
            for top_k in [None, Some(2)] {
                let mut params = CategoricalParams::new(k, &logits, &temperature);
                if let Some(top) = top_k {
                    params = params.top_k(top);
                }
                let mut idx = vec![0i64; 2 * rows];
                let mut lp = vec![T::of(0.0); 2 * rows];
                let mut generator = Generator::new(3);
                categorical::sample(&exec, params, &mut generator, 2, &mut idx, Some(&mut lp))
                    .unwrap();
                assert!(idx.iter().all(|&i| (0..k as i64).contains(&i)), "{at}");
            }
        }
    }
}

/// Gradients w.r.t. the logits (none for a distribution on probs: the
/// probs gradient is its own form) and the temperature.
fn grads<'g, T>(from_probs: bool, gl: &'g mut [T], gt: &'g mut [T]) -> ParamGrads<'g, T> {
    ParamGrads {
        logits: (!from_probs).then_some(gl),
        probs: None,
        temperature: Some(gt),
    }
}

#[test]
fn every_kernel_fits_a_one_mib_stack() {
    let run = |f: fn()| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(f)
            .unwrap()
            .join()
            .expect("a kernel call failed") // an overflow aborts the process instead
    };
    run(every_kernel::<f32>);
    run(every_kernel::<f64>);
}
