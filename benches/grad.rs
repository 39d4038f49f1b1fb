//! Criterion benchmarks of the gradient kernels, against the forward
//! kernels alone.
//!
//! Ids are `grad/<op>/f32/tN/ROWSxK`, with `Throughput::Elements(rows x K)`
//! so criterion prints elements/s (ns/element = 1e9 / that):
//!
//! ```text
//! rsample_fwd          draw(Draw::Soft)                    (forward alone)
//! rsample_fwd_log      draw(Draw::SoftWithLog): y and x = ln y (fused)
//! rsample_bwd          rsample_backward(Both), lbar and tbar (backward alone)
//! rsample_fwdbwd       draw(Draw::SoftWithLog) + rsample_backward(Both)
//! log_prob_fwd         log_prob_into                       (forward alone)
//! log_prob_fwdbwd      log_prob_backward: log_prob, lbar, tbar in one pass
//! log_prob_fwdbwd_v    the same plus the value gradient
//! rsample_step         oneshot::rsample_with_log_rows + oneshot::rsample_backward
//!                      (a training step on new logits: the distribution is
//!                      built inside each call, as a framework's op does)
//! log_prob_step        oneshot::log_prob_backward (the same for log_prob)
//! ```
//!
//! `rsample_step / rsample_fwdbwd` is the cost of taking the parameters as
//! given on every call (issue: "≤ 1.15x the kernels-only line").
//!
//! The fwd+bwd figures compare with baselines.md's "fwd+bwd (logits, t)"
//! rows (JAX jit vjp, torch). Shapes and temperature as baselines.md: B =
//! rows parameter rows, one sample per row, temperature 0.5 (a scalar),
//! logits roughly standard normal, validation on (the default).
//!
//! ```text
//! cargo bench --bench grad                        # everything
//! cargo bench --bench grad -- 'fwdbwd/f32/t2'     # a regex filter
//! cargo bench --bench grad -- --test              # run each once
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use relaxcat::oneshot::{self, Params};
use relaxcat::{Draw, Noise, Stream};
use relaxcat::{Exec, Generator, LogProbGrads, ParamGrads, RelaxedOneHotCategorical, SampleForm};
use std::hint::black_box;
use std::time::Duration;

/// `rows x K`, as in baselines.md.
const SHAPES: [(usize, usize); 5] = [
    (65536, 8),
    (8192, 64),
    (1024, 1000),
    (64, 32000),
    (16, 262144),
];
/// Thread counts (the machine has 2 cores; 2 is the figure compared).
const THREADS: [usize; 2] = [2, 1];
const TEMPERATURE: f32 = 0.5;

/// Roughly standard normal numbers from a fixed xorshift (sum of uniforms).
fn normals(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    let mut u = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n)
        .map(|_| (0..4).map(|_| u()).sum::<f32>() * 1.7 - 3.4)
        .collect()
}

/// dL/dlogits into `logits`, dL/dt into `temperature`: the parameter
/// gradients every backward bench asks for.
fn param_grads<'a>(logits: &'a mut [f32], temperature: &'a mut [f32]) -> ParamGrads<'a, f32> {
    ParamGrads {
        logits: Some(logits),
        temperature: Some(temperature),
        probs: None,
    }
}

/// [`param_grads`] plus the log-density into `log_prob` and, when given,
/// the value gradient.
fn log_prob_grads<'a>(
    logits: &'a mut [f32],
    temperature: &'a mut [f32],
    value: Option<&'a mut [f32]>,
    log_prob: &'a mut [f32],
) -> LogProbGrads<'a, f32> {
    LogProbGrads {
        params: param_grads(logits, temperature),
        value,
        log_prob: Some(log_prob),
    }
}

fn bench_grad(c: &mut Criterion) {
    let mut group = c.benchmark_group("grad");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &threads in &THREADS {
        let exec = Exec::new().with_threads(threads).expect("a thread pool");
        for &(rows, k) in &SHAPES {
            let n = rows * k;
            let id =
                |op: &str| BenchmarkId::new(format!("{op}/f32/t{threads}"), format!("{rows}x{k}"));
            group.throughput(Throughput::Elements(n as u64));
            let logits = normals(n, 0x5EED);
            let dist = RelaxedOneHotCategorical::builder(k)
                .temperature(&[TEMPERATURE])
                .logits(&logits)
                .exec(exec.clone())
                .build()
                .expect("a distribution");
            let upstream = normals(n, 0xBEEF);
            let upstream_rows = normals(rows, 0xFEED);
            let (mut y, mut x) = (vec![0f32; n], vec![0f32; n]);
            let (mut gl, mut gt) = (vec![0f32; n], vec![0f32; 1]);
            let mut gv = vec![0f32; n];
            let mut lp = vec![0f32; rows];
            let mut rng = Generator::new(7);

            group.bench_function(id("rsample_fwd"), |b| {
                b.iter(|| {
                    dist.draw(Noise::Generator(&mut rng, 1), Draw::Soft(black_box(&mut y)))
                        .unwrap()
                })
            });
            group.bench_function(id("rsample_fwd_log"), |b| {
                b.iter(|| {
                    dist.draw(
                        Noise::Generator(&mut rng, 1),
                        Draw::SoftWithLog {
                            soft: black_box(&mut y),
                            log: black_box(&mut x),
                        },
                    )
                    .unwrap()
                })
            });
            dist.draw(
                Noise::Generator(&mut rng, 1),
                Draw::SoftWithLog {
                    soft: &mut y,
                    log: &mut x,
                },
            )
            .unwrap();
            group.bench_function(id("rsample_bwd"), |b| {
                b.iter(|| {
                    let grads = param_grads(&mut gl, &mut gt);
                    dist.rsample_backward(SampleForm::Both { soft: &y, log: &x }, &upstream, grads)
                        .unwrap()
                })
            });
            group.bench_function(id("rsample_fwdbwd"), |b| {
                b.iter(|| {
                    dist.draw(
                        Noise::Generator(&mut rng, 1),
                        Draw::SoftWithLog {
                            soft: &mut y,
                            log: &mut x,
                        },
                    )
                    .unwrap();
                    let grads = param_grads(&mut gl, &mut gt);
                    dist.rsample_backward(SampleForm::Both { soft: &y, log: &x }, &upstream, grads)
                        .unwrap()
                })
            });

            let params = Params::logits(k, &logits, &[TEMPERATURE]);
            let mut step = 0u64;
            group.bench_function(id("rsample_step"), |b| {
                b.iter(|| {
                    // A new stream position each step, as training does.
                    step += rows as u64;
                    let stream = Stream::new(7, step);
                    oneshot::rsample_with_log_rows(&exec, params, stream, 0..rows, &mut y, &mut x)
                        .unwrap();
                    let grads = param_grads(&mut gl, &mut gt);
                    let sample = SampleForm::Both { soft: &y, log: &x };
                    oneshot::rsample_backward(&exec, params, sample, &upstream, grads).unwrap()
                })
            });

            dist.draw(Noise::Generator(&mut rng, 1), Draw::Soft(&mut y))
                .unwrap();
            group.bench_function(id("log_prob_step"), |b| {
                b.iter(|| {
                    let grads = log_prob_grads(&mut gl, &mut gt, None, &mut lp);
                    oneshot::log_prob_backward(&exec, params, &y, &upstream_rows, grads).unwrap()
                })
            });
            group.bench_function(id("log_prob_fwd"), |b| {
                b.iter(|| dist.log_prob_into(&y, black_box(&mut lp)).unwrap())
            });
            group.bench_function(id("log_prob_fwdbwd"), |b| {
                b.iter(|| {
                    let grads = log_prob_grads(&mut gl, &mut gt, None, &mut lp);
                    dist.log_prob_backward(&y, &upstream_rows, grads).unwrap()
                })
            });
            group.bench_function(id("log_prob_fwdbwd_v"), |b| {
                b.iter(|| {
                    let grads = log_prob_grads(&mut gl, &mut gt, Some(&mut gv), &mut lp);
                    dist.log_prob_backward(&y, &upstream_rows, grads).unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_grad);
criterion_main!(benches);
