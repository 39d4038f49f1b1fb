//! Criterion benchmarks of the relaxcat kernels.
//!
//! Ids are `kernel/dtype/tN/ROWSxK` (e.g. `rsample/f32/t2/8192x64`) for the
//! row kernels and `prim/fn/dtype` for the one-thread primitives, all with
//! `Throughput::Elements` (rows x K, or 1M), so criterion prints elements/s
//! and `scripts/bench_table.py` turns the results into ns/element.
//!
//! ```text
//! cargo bench --bench kernels                      # everything (~10 min)
//! cargo bench --bench kernels -- 'rsample/f32/t2'  # a regex filter
//! cargo bench --bench kernels -- '^categorical'   # categorical sampling
//! cargo bench --bench kernels -- --test            # run each once
//! python3 scripts/bench_table.py                   # Markdown table
//! ```
//!
//! Shapes and temperature follow /work/shared/baselines.md: B = rows
//! parameter rows, one sample per row (S = 1), temperature 0.5, logits
//! roughly standard normal from a fixed xorshift (no extra dependency).

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use relaxcat::testing::{self, MathFn};
use relaxcat::{Backend, Exec, Float, Generator, RelaxedOneHotCategorical, Stream};
use relaxcat::{Draw, Noise};
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
/// Thread counts (the machine has 2 cores).
const THREADS: [usize; 2] = [1, 2];
const TEMPERATURE: f64 = 0.5;
const SEED: u64 = 0x5EED_0FBE_4C00;
/// Elements of the primitive benches.
const PRIM_ELEMENTS: usize = 1 << 20;

/// The element types benched, with what the benches need of them (the
/// crate's own conversions are sealed).
trait BenchFloat: Float + Copy + Send + Sync + 'static {
    const DTYPE: &'static str;
    fn of(x: f64) -> Self;
}
impl BenchFloat for f32 {
    const DTYPE: &'static str = "f32";
    fn of(x: f64) -> f32 {
        x as f32
    }
}
impl BenchFloat for f64 {
    const DTYPE: &'static str = "f64";
    fn of(x: f64) -> f64 {
        x
    }
}

/// xorshift64* uniforms in [0, 1).
struct XorShift(u64);
impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed | 1)
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Irwin-Hall of 4 uniforms, centred and scaled: mean 0, variance 1,
    /// within +-3.5.
    fn normalish(&mut self) -> f64 {
        ((0..4).map(|_| self.uniform()).sum::<f64>() - 2.0) * 3f64.sqrt()
    }
}

fn logits<T: BenchFloat>(n: usize, seed: u64) -> Vec<T> {
    let mut rng = XorShift::new(seed);
    (0..n).map(|_| T::of(rng.normalish())).collect()
}

/// Uniforms in (0, 1), never 0 (inputs to ln and the Gumbel transform).
fn open_uniforms<T: BenchFloat>(n: usize, seed: u64) -> Vec<T> {
    let mut rng = XorShift::new(seed);
    (0..n).map(|_| T::of(rng.uniform().max(1e-7))).collect()
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.sample_size(20);
}

/// One `exec` per thread count, built once (with_threads(2) owns a pool).
fn execs() -> Vec<(usize, Exec)> {
    THREADS
        .iter()
        .map(|&n| (n, Exec::new().with_threads(n).expect("thread pool")))
        .collect()
}

fn shape_name(rows: usize, k: usize) -> String {
    format!("{rows}x{k}")
}

fn dist<T: BenchFloat>(
    exec: &Exec,
    logits: &[T],
    k: usize,
    validate: bool,
) -> RelaxedOneHotCategorical<'static, T> {
    let temperature = [T::of(TEMPERATURE)];
    RelaxedOneHotCategorical::<T>::builder(k)
        .temperature(&temperature)
        .logits(logits)
        .validate(validate)
        .exec(exec.clone())
        .build()
        .expect("valid distribution")
        .into_owned()
        .expect("memory for the copy")
}

/// The row kernels, one group per kernel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Rsample,
    RsampleHard,
    RsampleLog,
    LogProb,
    LogProbNoValidate,
    LogProbX,
    LogSumExp,
    Softmax,
    Gumbel,
    BuildLogits,
    BuildProbs,
}

impl Kernel {
    const ALL: [Kernel; 11] = [
        Kernel::Rsample,
        Kernel::RsampleHard,
        Kernel::RsampleLog,
        Kernel::LogProb,
        Kernel::LogProbNoValidate,
        Kernel::LogProbX,
        Kernel::LogSumExp,
        Kernel::Softmax,
        Kernel::Gumbel,
        Kernel::BuildLogits,
        Kernel::BuildProbs,
    ];

    fn name(self) -> &'static str {
        match self {
            Kernel::Rsample => "rsample",
            Kernel::RsampleHard => "rsample_hard",
            Kernel::RsampleLog => "rsample_log",
            Kernel::LogProb => "log_prob",
            Kernel::LogProbNoValidate => "log_prob_novalidate",
            Kernel::LogProbX => "log_prob_x",
            Kernel::LogSumExp => "logsumexp_rows",
            Kernel::Softmax => "softmax_rows",
            Kernel::Gumbel => "gumbel_rows",
            Kernel::BuildLogits => "build_logits",
            Kernel::BuildProbs => "build_probs",
        }
    }
}

/// Inputs of one row-kernel bench, made on first use (so benches the
/// filter skips cost nothing) and outside the timed loop.
struct Setup<T: BenchFloat> {
    logits: Vec<T>,
    dist: Option<RelaxedOneHotCategorical<'static, T>>,
    values: Vec<T>,
    out: Vec<T>,
    hard: Vec<T>,
}

impl<T: BenchFloat> Setup<T> {
    fn new(kernel: Kernel, exec: &Exec, rows: usize, k: usize) -> Setup<T> {
        let n = rows * k;
        let logits = logits::<T>(n, SEED ^ n as u64);
        let needs_dist = matches!(
            kernel,
            Kernel::Rsample
                | Kernel::RsampleHard
                | Kernel::RsampleLog
                | Kernel::LogProb
                | Kernel::LogProbNoValidate
                | Kernel::LogProbX
        );
        let dist = needs_dist.then(|| dist(exec, &logits, k, kernel != Kernel::LogProbNoValidate));
        let mut generator = Generator::new(SEED);
        let values = match (&dist, kernel) {
            (Some(d), Kernel::LogProbX) => d.rsample_log(&mut generator, 1).unwrap(),
            (Some(d), Kernel::LogProb | Kernel::LogProbNoValidate) => {
                d.rsample(&mut generator, 1).unwrap()
            }
            _ => Vec::new(),
        };
        let out_len = match kernel {
            Kernel::LogProb | Kernel::LogProbNoValidate | Kernel::LogProbX | Kernel::LogSumExp => {
                rows
            }
            _ => n,
        };
        let hard = vec![T::of(0.0); if kernel == Kernel::RsampleHard { n } else { 0 }];
        // build_probs starts from the softmax of the logits.
        let logits = if kernel == Kernel::BuildProbs {
            let mut probs = vec![T::of(0.0); n];
            relaxcat::softmax_rows(exec, &logits, k, &mut probs).unwrap();
            probs
        } else {
            logits
        };
        Setup {
            logits,
            dist,
            values,
            out: vec![T::of(0.0); out_len],
            hard,
        }
    }

    /// One timed call.
    fn run(&mut self, kernel: Kernel, exec: &Exec, k: usize, generator: &mut Generator) {
        // The same stream rows every iteration, so runs are comparable.
        generator.set_position(0);
        let out = &mut self.out;
        match (kernel, &self.dist) {
            (Kernel::Rsample, Some(d)) => d
                .draw(Noise::Generator(generator, 1), Draw::Soft(out))
                .unwrap(),
            (Kernel::RsampleLog, Some(d)) => d
                .draw(Noise::Generator(generator, 1), Draw::Log(out))
                .unwrap(),
            (Kernel::RsampleHard, Some(d)) => d
                .draw(
                    Noise::Generator(generator, 1),
                    Draw::Hard {
                        hard: &mut self.hard,
                        soft: out,
                    },
                )
                .unwrap(),
            (Kernel::LogProb | Kernel::LogProbNoValidate, Some(d)) => {
                d.log_prob_into(black_box(&self.values), out).unwrap()
            }
            (Kernel::LogProbX, Some(d)) => d.log_prob_x_into(black_box(&self.values), out).unwrap(),
            (Kernel::LogSumExp, _) => {
                relaxcat::logsumexp_rows(exec, black_box(&self.logits), k, out).unwrap()
            }
            (Kernel::Softmax, _) => {
                relaxcat::softmax_rows(exec, black_box(&self.logits), k, out).unwrap()
            }
            (Kernel::Gumbel, _) => {
                relaxcat::gumbel_rows(exec, Stream::new(SEED, 0), k, out).unwrap()
            }
            // Construction as a user calls it: validation on, fresh
            // parameter buffers (so allocation is part of the cost).
            (Kernel::BuildLogits | Kernel::BuildProbs, _) => {
                let temperature = [T::of(TEMPERATURE)];
                let builder = RelaxedOneHotCategorical::<T>::builder(k)
                    .temperature(&temperature)
                    .exec(exec.clone());
                let params = black_box(&self.logits[..]);
                let builder = if kernel == Kernel::BuildProbs {
                    builder.probs(params)
                } else {
                    builder.logits(params)
                };
                black_box(builder.build().unwrap());
            }
            _ => unreachable!("sampling and density kernels have a distribution"),
        }
        black_box((&mut self.out, &mut self.hard));
    }
}

/// Benches `kernel` on one shape, dtype and exec.
fn bench_one<T: BenchFloat>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    kernel: Kernel,
    threads: usize,
    exec: &Exec,
    rows: usize,
    k: usize,
) {
    let id = BenchmarkId::new(format!("{}/t{threads}", T::DTYPE), shape_name(rows, k));
    group.throughput(Throughput::Elements((rows * k) as u64));
    // Criterion calls this closure once per warm-up round and sample, and
    // not at all when the filter excludes the id.
    let mut setup: Option<Setup<T>> = None;
    let mut generator = Generator::new(SEED);
    group.bench_function(id, |b| {
        let setup = setup.get_or_insert_with(|| Setup::new(kernel, exec, rows, k));
        b.iter(|| setup.run(kernel, exec, k, &mut generator));
    });
}

fn row_kernels(c: &mut Criterion) {
    let execs = execs();
    for kernel in Kernel::ALL {
        let mut group = c.benchmark_group(kernel.name());
        configure(&mut group);
        for (threads, exec) in &execs {
            for &(rows, k) in &SHAPES {
                bench_one::<f32>(&mut group, kernel, *threads, exec, rows, k);
            }
        }
        for (threads, exec) in &execs {
            for &(rows, k) in &SHAPES {
                bench_one::<f64>(&mut group, kernel, *threads, exec, rows, k);
            }
        }
        group.finish();
    }
}

/// One thread, 1M elements, default backend: the generator alone and the
/// elementwise math the kernels are built from.
fn primitives_of<T: BenchFloat>(group: &mut BenchmarkGroup<'_, WallTime>, backend: Backend) {
    let mut out = vec![T::of(0.0); PRIM_ELEMENTS];
    group.bench_function(BenchmarkId::new("uniform", T::DTYPE), |b| {
        b.iter(|| {
            testing::block_uniforms(backend, SEED, 0, &mut out);
            black_box(&mut out);
        })
    });
    // exp on the range softmax sees after subtracting the maximum (and some
    // above 0).
    let exp_in: Vec<T> = {
        let mut rng = XorShift::new(SEED ^ 1);
        (0..PRIM_ELEMENTS)
            .map(|_| T::of(-20.0 + 22.0 * rng.uniform()))
            .collect()
    };
    let uniforms = open_uniforms::<T>(PRIM_ELEMENTS, SEED ^ 2);
    let cases = [
        ("exp", MathFn::Exp, &exp_in),
        ("ln", MathFn::Ln, &uniforms),
        ("ln_normal", MathFn::LnNormal, &uniforms),
        ("gumbel", MathFn::Gumbel, &uniforms),
    ];
    for (name, f, input) in cases {
        group.bench_function(BenchmarkId::new(name, T::DTYPE), |b| {
            b.iter(|| {
                testing::math(backend, f, black_box(input), &mut out);
                black_box(&mut out);
            })
        });
    }
}

fn primitives(c: &mut Criterion) {
    let backend = Exec::new().backend();
    let mut group = c.benchmark_group("prim");
    configure(&mut group);
    group.throughput(Throughput::Elements(PRIM_ELEMENTS as u64));
    primitives_of::<f32>(&mut group, backend);
    primitives_of::<f64>(&mut group, backend);
    group.finish();
}

/// Vocabulary-scale shapes of the categorical benches (`rows x K`, f32).
const VOCAB_SHAPES: [(usize, usize); 3] = [(16, 128_000), (256, 32_000), (1, 262_144)];

/// What a categorical bench draws.
#[derive(Clone, Copy)]
enum Route {
    /// `relaxcat::categorical::sample_rows` at T = 1, every category.
    Plain,
    /// The same with `top_k = 50`.
    TopK,
    /// The same with the log-probabilities of the drawn indices.
    LogProb,
    /// `draw(.., Draw::Index(..))` of a distribution at t = 0.5.
    HardIndex,
}

/// Categorical sampling at vocabulary scale, one sample per row:
/// `categorical/f32/tN/ROWSxK` and its top-k, log-prob and hard-index
/// variants (elements/s count rows x K).
fn categorical(c: &mut Criterion) {
    use relaxcat::categorical::{CategoricalParams, sample_rows};
    let execs = execs();
    for (name, route) in [
        ("categorical", Route::Plain),
        ("categorical_top_k50", Route::TopK),
        ("categorical_log_prob", Route::LogProb),
        ("rsample_hard_index", Route::HardIndex),
    ] {
        let mut group = c.benchmark_group(name);
        configure(&mut group);
        for (threads, exec) in &execs {
            for &(rows, k) in &VOCAB_SHAPES {
                let id = BenchmarkId::new(format!("f32/t{threads}"), shape_name(rows, k));
                group.throughput(Throughput::Elements((rows * k) as u64));
                let mut setup: Option<(Vec<f32>, Vec<i64>, Vec<f32>)> = None;
                group.bench_function(id, |b| {
                    let (l, out, lp) = setup.get_or_insert_with(|| {
                        (
                            logits::<f32>(rows * k, SEED ^ (rows * k) as u64),
                            vec![0; rows],
                            vec![0.0; rows],
                        )
                    });
                    let t = [1.0f32];
                    let dist =
                        matches!(route, Route::HardIndex).then(|| dist::<f32>(exec, l, k, true));
                    b.iter(|| {
                        let stream = Stream::new(SEED, 0);
                        let p = CategoricalParams::new(k, black_box(&l[..]), &t);
                        match (route, &dist) {
                            (Route::Plain, _) => {
                                sample_rows(exec, p, stream, 0..rows, out, None).unwrap()
                            }
                            (Route::TopK, _) => {
                                sample_rows(exec, p.top_k(50), stream, 0..rows, out, None).unwrap()
                            }
                            (Route::LogProb, _) => {
                                sample_rows(exec, p, stream, 0..rows, out, Some(&mut lp[..]))
                                    .unwrap()
                            }
                            (Route::HardIndex, Some(d)) => d
                                .draw(Noise::Rows(stream, 0..rows), Draw::Index(out))
                                .unwrap(),
                            (Route::HardIndex, None) => unreachable!(),
                        }
                        black_box((&mut *out, &mut *lp));
                    });
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, row_kernels, primitives, categorical);
criterion_main!(benches);
