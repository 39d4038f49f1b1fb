//! Fuzzes the Rust API: the builder, every sampler (generator and
//! stateless), `log_prob(_x)`, the backward passes and the row kernels,
//! with shapes, buffer lengths, temperatures and parameters decoded from
//! the input, on a fuzzed backend, and compared bit for bit with the
//! scalar backend.
//!
//! ```text
//! input -> element type, specials on/off, backend
//!       -> Builder (k, temperature, probs|logits|both|neither, validate)
//!       -> up to 10 operations (samplers, densities, backward passes,
//!          one-shot calls, categorical draws, hard indices, row kernels),
//!          each: Ok -> invariants; Err -> the output buffers still hold
//!          their sentinel fill
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use relaxcat_fuzz::relaxcat::{
    Backend, Draw, Error, ErrorKind, Exec, Float, Generator, LogProbGrads, Noise, Param,
    ParamGrads, ProbsGrad, RelaxedOneHotCategorical, Result, SampleForm, Stream, categorical,
    gumbel_rows, log_softmax_rows, logsumexp_rows, oneshot, softmax_rows,
};
use relaxcat_fuzz::*;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    if input.bool() {
        run::<f64>(&mut input);
    } else {
        run::<f32>(&mut input);
    }
});

type Dist<T> = RelaxedOneHotCategorical<'static, T>;

fn sentinel<T: Real>() -> T {
    T::from_bits(0xA5A5_A5A5_A5A5_A5A5)
}

fn exec(input: &mut Input) -> Exec {
    let b = Backend::ALL[input.byte() as usize % Backend::ALL.len()];
    match Exec::serial().with_backend(b) {
        Ok(e) if input.byte() >= 16 => e,
        Ok(_) => Exec::new(),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidOption);
            assert!(!b.is_available());
            Exec::serial()
        }
    }
}

fn scalar() -> Exec {
    Exec::serial().with_backend(Backend::Scalar).unwrap()
}

/// Checks an error: a known kind, never Internal, with a message, and the
/// outputs untouched.
fn check_err<T: Real>(what: &str, e: &Error, outs: &[&[T]]) {
    assert!(e.kind() != ErrorKind::Internal, "{what}: {e:?}");
    assert!(!e.message().is_empty(), "{what}: empty message");
    let s = sentinel::<T>().bits();
    for (i, o) in outs.iter().enumerate() {
        assert!(
            o.iter().all(|x| x.bits() == s),
            "{what}: output {i} written on error {e:?}"
        );
    }
}

/// A length `want` or, rarely, a wrong one.
fn len(input: &mut Input, want: usize) -> usize {
    match input.byte() {
        0..=5 => want + 1 + input.upto(2),
        6..=9 => want.saturating_sub(1 + input.upto(2)),
        _ => want,
    }
}

struct State<T: Float> {
    dist: Dist<T>,
    validated: bool,
    /// Valid parameters (validated or valid anyway): forms and backends
    /// agree bit for bit; invalid unvalidated ones give unspecified numbers.
    valid: bool,
    in_range: bool,
    masked: Vec<bool>,
    given_probs: Option<Vec<T>>,
    /// The last sample: rows, soft, log.
    sample: Option<(usize, Vec<T>, Vec<T>)>,
}

impl<T: Real + Float> State<T> {
    fn masked_row(&self, i: usize) -> &[bool] {
        let (b, k) = (self.dist.batch_rows(), self.dist.num_categories());
        let r = i % b;
        &self.masked[r * k..(r + 1) * k]
    }
}

fn run<T: Real + Float>(input: &mut Input) {
    let exec = exec(input);
    let Some(mut st) = build::<T>(input, exec) else {
        row_kernels::<T>(input);
        return;
    };
    for _ in 0..10 {
        if input.is_empty() {
            break;
        }
        match input.byte() % 9 {
            0 | 1 => sample(input, &mut st),
            2 => log_prob(input, &st),
            3 => sample_backward(input, &st),
            4 => log_prob_backward(input, &st),
            5 => oneshot_calls(input, &st),
            6 => categorical_calls::<T>(input),
            7 => hard_index_calls(input, &st),
            _ => row_kernels::<T>(input),
        }
    }
}

fn build<T: Real + Float>(input: &mut Input, exec: Exec) -> Option<State<T>> {
    let k = if input.byte() < 3 { 0 } else { input.k() };
    let b = 1 + input.upto((MAX_ELEMENTS / k.max(1)).min(64) - 1);
    let n = if input.byte() < 6 {
        b * k + 1 + input.upto(2)
    } else {
        b * k
    };
    let t_len = match input.byte() {
        0..=191 => 1,
        192..=249 => b,
        _ => input.upto(3),
    };
    let t: Vec<T> = (0..t_len)
        .map(|_| input.real(Flavor::Temperature))
        .collect();
    let choice = input.byte();
    let use_probs = choice & 1 == 1;
    let flavor = if use_probs {
        Flavor::Prob
    } else {
        Flavor::Logit
    };
    let values: Vec<T> = (0..n).map(|_| input.real(flavor)).collect();
    let validate = input.byte() >= 32;
    let mut builder = Dist::<T>::builder(k)
        .temperature(&t)
        .validate(validate)
        .exec(exec);
    builder = match (use_probs, choice >= 248) {
        (true, false) => builder.probs(&values),
        (false, false) => builder.logits(&values),
        (_, true) if choice & 2 == 2 => builder.probs(&values).logits(&values),
        (_, true) => builder,
    };
    let shape_ok = k > 0 && n > 0 && n % k == 0 && choice < 248;
    let rows = if shape_ok { n / k } else { 1 };
    let valid = shape_ok
        && (t_len == 1 || t_len == rows)
        && (!validate
            || temperatures_valid(&t)
                && if use_probs {
                    probs_valid(&values, k)
                } else {
                    logits_valid(&values, k)
                });
    let dist = match builder.build() {
        Ok(d) => {
            assert!(valid, "build accepted invalid parameters");
            // Fuzz sizes are small: a copy never runs out of memory.
            d.into_owned().expect("copy")
        }
        Err(e) => {
            check_err::<T>("build", &e, &[]);
            assert!(!valid, "build rejected valid parameters: {e:?}");
            return None;
        }
    };
    assert_eq!((dist.num_categories(), dist.batch_rows()), (k, rows));
    assert!(bits(dist.temperature()) == bits(&t));
    assert_eq!(dist.validates(), validate);
    let (normalised_logits, normalised_probs) = (dist.logits().unwrap(), dist.probs().unwrap());
    let masked: Vec<bool> = normalised_logits
        .iter()
        .map(|l| l.to_f() == f64::NEG_INFINITY)
        .collect();
    if validate {
        for r in 0..rows {
            check_simplex(
                "probs",
                &normalised_probs[r * k..(r + 1) * k],
                &masked[r * k..(r + 1) * k],
            );
        }
    }
    Some(State {
        in_range: validate && in_range(&t, (!use_probs).then_some(&values[..])),
        validated: validate,
        valid: temperatures_valid(&t)
            && if use_probs {
                probs_valid(&values, k)
            } else {
                logits_valid(&values, k)
            },
        masked,
        given_probs: use_probs.then_some(values),
        dist,
        sample: None,
    })
}

/// The samplers: from a generator or a stream, soft / hard / log / fused.
fn sample<T: Real + Float>(input: &mut Input, st: &mut State<T>) {
    let d = &st.dist;
    let (b, k) = (d.batch_rows(), d.num_categories());
    let family = input.byte() % 6;
    let stateless = input.bool();
    let seed = input.u64();
    let position = match input.byte() {
        0..=127 => input.upto(300) as u64,
        128..=191 => u64::MAX - input.upto(300) as u64,
        _ => input.u64(),
    };
    let (rows, range) = if stateless {
        let begin = match input.byte() {
            0..=199 => input.upto(200),
            _ => usize::MAX - input.upto(70),
        };
        let count = input.upto((MAX_ELEMENTS / k).min(64));
        let Some(end) = begin.checked_add(count) else {
            return;
        };
        (count, begin..end)
    } else {
        let samples = input.upto((MAX_ELEMENTS / (b * k)).min(8));
        (samples * b, 0..samples)
    };
    let n = rows * k;
    let mut a = vec![sentinel::<T>(); len(input, n)];
    let mut s = vec![sentinel::<T>(); len(input, n)];
    let mut l = vec![sentinel::<T>(); len(input, n)];
    let mut g = Generator::new(seed);
    g.set_position(position);
    let stream = Stream::new(seed, position);
    let r = range.clone();
    let result = match (family, stateless) {
        (0, false) => d.draw(Noise::Generator(&mut g, r.end), Draw::Soft(&mut s)),
        (1, false) => d.draw(Noise::Generator(&mut g, r.end), Draw::Soft(&mut s)),
        (2, false) => d.draw(Noise::Generator(&mut g, r.end), Draw::Log(&mut l)),
        (3, false) => d.draw(
            Noise::Generator(&mut g, r.end),
            Draw::Hard {
                hard: &mut a,
                soft: &mut s,
            },
        ),
        (4, false) => d.draw(
            Noise::Generator(&mut g, r.end),
            Draw::SoftWithLog {
                soft: &mut s,
                log: &mut l,
            },
        ),
        (_, false) => d.draw(
            Noise::Generator(&mut g, r.end),
            Draw::HardWithLog {
                hard: &mut a,
                soft: &mut s,
                log: &mut l,
            },
        ),
        (0 | 1, true) => d.draw(Noise::Rows(stream, r), Draw::Soft(&mut s)),
        (2, true) => d.draw(Noise::Rows(stream, r), Draw::Log(&mut l)),
        (3, true) => d.draw(
            Noise::Rows(stream, r),
            Draw::Hard {
                hard: &mut a,
                soft: &mut s,
            },
        ),
        (4, true) => d.draw(
            Noise::Rows(stream, r),
            Draw::SoftWithLog {
                soft: &mut s,
                log: &mut l,
            },
        ),
        (_, true) => d.draw(
            Noise::Rows(stream, r),
            Draw::HardWithLog {
                hard: &mut a,
                soft: &mut s,
                log: &mut l,
            },
        ),
    };
    let (uses_a, uses_s, uses_l) = match family {
        0 | 1 => (false, true, false),
        2 => (false, false, true),
        3 => (true, true, false),
        4 => (false, true, true),
        _ => (true, true, true),
    };
    let lengths_ok =
        (!uses_a || a.len() == n) && (!uses_s || s.len() == n) && (!uses_l || l.len() == n);
    if let Err(e) = result {
        check_err("sampler", &e, &[&a, &s, &l]);
        assert!(!lengths_ok, "sampler rejected a good call: {e:?}");
        assert_eq!(g.position(), position, "generator moved on error");
        return;
    }
    assert!(lengths_ok, "sampler accepted wrong lengths");
    if !stateless {
        assert_eq!(g.position(), position.wrapping_add(rows as u64));
    }
    // The reference: stateless rows of both forms, on the scalar backend.
    let first = range.start;
    let rrange = if stateless { range.clone() } else { 0..rows };
    let scalar_dist = d.clone().with_exec(scalar());
    let mut rs = vec![T::default(); n];
    let mut rl = vec![T::default(); n];
    scalar_dist
        .draw(Noise::Rows(stream, rrange.clone()), Draw::Soft(&mut rs))
        .unwrap();
    scalar_dist
        .draw(Noise::Rows(stream, rrange), Draw::Log(&mut rl))
        .unwrap();
    let first = if stateless { first } else { 0 };
    for i in 0..rows {
        let m = st.masked_row(first + i);
        let (rsr, rlr) = (&rs[i * k..(i + 1) * k], &rl[i * k..(i + 1) * k]);
        if uses_s {
            assert!(
                !st.valid || same(&s[i * k..(i + 1) * k], rsr),
                "soft row {i}: backend or form differs"
            );
        }
        if uses_l {
            assert!(
                !st.valid || same(&l[i * k..(i + 1) * k], rlr),
                "log row {i}: backend or form differs"
            );
        }
        if uses_a {
            if st.valid {
                check_one_hot("hard", &a[i * k..(i + 1) * k], rsr);
            }
        }
        if st.validated {
            check_simplex("sample", rsr, m);
            check_log_simplex("log sample", rlr, m, st.in_range);
        }
    }
    if first == 0 {
        st.sample = Some((rows, rs, rl));
    }
}

/// Values to score: the last sample or fuzzed rows.
fn values<T: Real + Float>(input: &mut Input, st: &State<T>, log_space: bool) -> (Vec<T>, bool) {
    let k = st.dist.num_categories();
    match (input.byte() % 3, &st.sample) {
        (0, Some((_, s, l))) => (if log_space { l.clone() } else { s.clone() }, true),
        (1, _) => {
            let rows = st.dist.batch_rows() * (1 + input.upto(1));
            let mut v = Vec::new();
            for _ in 0..rows {
                let w: Vec<f64> = (0..k)
                    .map(|_| input.real::<T>(Flavor::Prob).to_f())
                    .collect();
                let total: f64 = w.iter().sum();
                v.extend(w.iter().map(|x| {
                    T::from_f(if log_space {
                        (x / total).ln()
                    } else {
                        x / total
                    })
                }));
            }
            (v, false)
        }
        _ => {
            let n = len(input, st.dist.batch_rows() * k);
            ((0..n).map(|_| input.real(Flavor::Grad)).collect(), false)
        }
    }
}

fn log_prob<T: Real + Float>(input: &mut Input, st: &State<T>) {
    let log_space = input.bool();
    let (v, from_sampler) = values(input, st, log_space);
    let d = &st.dist;
    let k = d.num_categories();
    let rows = v.len() / k;
    let mut out = vec![sentinel::<T>(); len(input, rows)];
    let r = if log_space {
        d.log_prob_x_into(&v, &mut out)
    } else {
        d.log_prob_into(&v, &mut out)
    };
    let shape_ok = v.len() % k == 0 && rows % d.batch_rows() == 0 && out.len() == rows;
    if let Err(e) = r {
        check_err("log_prob", &e, &[&out]);
        assert!(
            !(shape_ok && (from_sampler || !st.validated)),
            "log_prob rejected {e:?}"
        );
        return;
    }
    assert!(shape_ok, "log_prob accepted a bad shape");
    let again = if log_space {
        d.clone().with_exec(scalar()).log_prob_x(&v)
    } else {
        d.clone().with_exec(scalar()).log_prob(&v)
    };
    assert!(
        !st.valid || same(&again.unwrap(), &out),
        "log_prob: backend differs"
    );
    if !st.validated {
        return;
    }
    for (i, &x) in out.iter().enumerate() {
        let x = x.to_f();
        assert!(!x.is_nan() && x != f64::INFINITY, "log_prob row {i} is {x}");
        let row = &v[i * k..(i + 1) * k];
        let m = st.masked_row(i);
        let on_support = row.iter().zip(m).all(|(y, &m)| {
            let y = y.to_f();
            match (log_space, m) {
                (true, true) => y == f64::NEG_INFINITY,
                (true, false) => y.is_finite(),
                (false, true) => y == 0.0,
                (false, false) => y > 0.0,
            }
        });
        if st.in_range && on_support {
            assert!(
                x.is_finite(),
                "log_prob row {i} is {x} on the support: {row:?}"
            );
        }
        if !log_space && !on_support {
            assert!(
                x == f64::NEG_INFINITY,
                "log_prob row {i} off the support is {x}"
            );
        }
    }
}

/// Parameter-gradient outputs: each present or not, rarely of a wrong length.
struct Outs<T> {
    logits: Option<Vec<T>>,
    probs: Option<Vec<T>>,
    temperature: Option<Vec<T>>,
    given: Vec<T>,
    lengths_ok: bool,
}

fn outs<T: Real + Float>(input: &mut Input, st: &State<T>) -> Outs<T> {
    let d = &st.dist;
    let bk = d.batch_rows() * d.num_categories();
    let mut lengths_ok = true;
    let mut out = |input: &mut Input, want: usize| {
        input.bool().then(|| {
            let n = len(input, want);
            lengths_ok &= n == want;
            vec![sentinel::<T>(); n]
        })
    };
    let logits = out(input, bk);
    let probs = out(input, bk);
    let temperature = out(input, d.temperature().len());
    let given = st
        .given_probs
        .clone()
        .unwrap_or_else(|| vec![T::from_f(0.5); bk]);
    if probs.is_some() && st.given_probs.is_none() {
        lengths_ok = false;
    }
    Outs {
        logits,
        probs,
        temperature,
        given,
        lengths_ok,
    }
}

impl<T: Real> Outs<T> {
    fn grads(&mut self) -> ParamGrads<'_, T> {
        ParamGrads {
            logits: self.logits.as_deref_mut(),
            probs: self.probs.as_deref_mut().map(|out| ProbsGrad {
                given: &self.given,
                out,
            }),
            temperature: self.temperature.as_deref_mut(),
        }
    }

    fn all(&self) -> Vec<&[T]> {
        [&self.logits, &self.probs, &self.temperature]
            .into_iter()
            .flatten()
            .map(|v| &v[..])
            .collect()
    }

    /// A second set of outputs of the same shapes, still unwritten.
    fn copy(&self) -> Outs<T> {
        Outs {
            logits: self.logits.clone(),
            probs: self.probs.clone(),
            temperature: self.temperature.clone(),
            given: self.given.clone(),
            lengths_ok: self.lengths_ok,
        }
    }

    fn same(&self, other: &Outs<T>) -> bool {
        self.all().iter().zip(other.all()).all(|(a, b)| same(a, b))
    }
}

/// The form a backward pass gets the sample in (one byte): soft, log or both.
fn sample_form<'a, T>(input: &mut Input, soft: &'a [T], log: &'a [T]) -> SampleForm<'a, T> {
    match input.byte() % 3 {
        0 => SampleForm::Soft(soft),
        1 => SampleForm::Log(log),
        _ => SampleForm::Both { soft, log },
    }
}

fn sample_backward<T: Real + Float>(input: &mut Input, st: &State<T>) {
    let d = &st.dist;
    let k = d.num_categories();
    let (soft, log, from_sampler) = match &st.sample {
        Some((_, s, l)) if input.byte() < 200 => (s.clone(), l.clone(), true),
        _ => {
            let n = len(input, d.batch_rows() * k);
            let s: Vec<T> = (0..n).map(|_| input.real(Flavor::Prob)).collect();
            let l: Vec<T> = (0..n).map(|_| input.real(Flavor::Grad)).collect();
            (s, l, false)
        }
    };
    let grad: Vec<T> = (0..len(input, soft.len()))
        .map(|_| input.real(Flavor::Grad))
        .collect();
    let form = sample_form(input, &soft, &log);
    let which = input.byte() % 3;
    let mut o = outs(input, st);
    let mut o2 = o.copy();
    let run = |d: &Dist<T>, o: &mut Outs<T>| match which {
        0 => d.rsample_backward(form, &grad, o.grads()),
        1 => d.rsample_hard_backward(form, &grad, o.grads()),
        _ => d.rsample_log_backward(form, &grad, o.grads()),
    };
    let r = run(d, &mut o);
    let shape_ok =
        o.lengths_ok && grad.len() == soft.len() && soft.len() % (d.batch_rows() * k) == 0;
    if let Err(e) = r {
        check_err("rsample backward", &e, &o.all());
        assert!(!shape_ok, "rsample backward rejected a good call: {e:?}");
        return;
    }
    assert!(shape_ok, "rsample backward accepted a bad shape");
    run(&d.clone().with_exec(scalar()), &mut o2).unwrap();
    assert!(
        !st.valid || o.same(&o2),
        "rsample backward: backend differs"
    );
    if !st.in_range || !from_sampler || input.specials {
        return;
    }
    let underflow = soft
        .iter()
        .zip(st.masked.iter().cycle())
        .any(|(y, &m)| !m && y.to_f() == 0.0);
    if which == 2 && matches!(form, SampleForm::Soft(_)) && underflow {
        return;
    }
    for v in o.all() {
        check_finite("rsample backward", v);
    }
}

fn log_prob_backward<T: Real + Float>(input: &mut Input, st: &State<T>) {
    let log_space = input.bool();
    let (v, from_sampler) = values(input, st, log_space);
    let d = &st.dist;
    let k = d.num_categories();
    let rows = v.len() / k;
    let grad: Vec<T> = (0..len(input, rows))
        .map(|_| input.real(Flavor::Grad))
        .collect();
    let mut o = outs(input, st);
    let mut value_out = input
        .bool()
        .then(|| vec![sentinel::<T>(); len(input, v.len())]);
    let mut lp = input
        .bool()
        .then(|| vec![sentinel::<T>(); len(input, rows)]);
    let extra_ok = value_out.as_ref().is_none_or(|x| x.len() == v.len())
        && lp.as_ref().is_none_or(|x| x.len() == rows);
    let grads = LogProbGrads {
        params: o.grads(),
        value: value_out.as_deref_mut(),
        log_prob: lp.as_deref_mut(),
    };
    let r = if log_space {
        d.log_prob_x_backward(&v, &grad, grads)
    } else {
        d.log_prob_backward(&v, &grad, grads)
    };
    let shape_ok = o.lengths_ok
        && extra_ok
        && v.len() % k == 0
        && rows % d.batch_rows() == 0
        && grad.len() == rows;
    if let Err(e) = r {
        let mut all = o.all();
        all.extend(value_out.as_deref());
        all.extend(lp.as_deref());
        check_err("log_prob backward", &e, &all);
        assert!(
            !(shape_ok && (from_sampler || !st.validated)),
            "log_prob backward rejected {e:?}"
        );
        return;
    }
    assert!(shape_ok, "log_prob backward accepted a bad shape");
    if !st.validated {
        return;
    }
    if let Some(lp) = &lp {
        check_no_nan("log_prob (backward)", lp);
    }
    if !st.in_range || !from_sampler || input.specials {
        return;
    }
    if let Some(g) = &o.logits {
        check_finite("grad logits (log_prob)", g);
    }
    if let Some(g) = &o.temperature {
        check_finite("grad temperature (log_prob)", g);
    }
    if let Some(g) = &value_out {
        check_no_nan("grad value", g);
    }
}

/// The one-shot entry points on the distribution's own parameters (as
/// given): every `relaxcat::oneshot` function gives the same result (bits,
/// or the same error kind with the outputs untouched) as the method on the
/// distribution.
fn oneshot_calls<T: Real + Float>(input: &mut Input, st: &State<T>) {
    let d = &st.dist;
    let k = d.num_categories();
    let weights = match d.param() {
        Param::Logits => oneshot::Weights::Logits(d.given()),
        Param::Probs => oneshot::Weights::Probs(d.given()),
    };
    let p = oneshot::Params {
        k,
        weights,
        temperature: d.temperature(),
        validate: st.validated,
    };
    let exec = d.exec().clone();
    match input.byte() % 4 {
        0 => oneshot_samplers(input, st, &exec, p),
        1 => {
            let log_space = input.bool();
            let (v, _) = values(input, st, log_space);
            let m = len(input, v.len() / k);
            let (mut a, mut b) = (vec![sentinel::<T>(); m], vec![sentinel::<T>(); m]);
            let (r1, r2) = if log_space {
                (
                    oneshot::log_prob_x(&exec, p, &v, &mut a),
                    d.log_prob_x_into(&v, &mut b),
                )
            } else {
                (
                    oneshot::log_prob(&exec, p, &v, &mut a),
                    d.log_prob_into(&v, &mut b),
                )
            };
            agree("one-shot log_prob", st.valid, &r1, &r2, &[&a], &[&b]);
        }
        2 => {
            let n = len(input, d.batch_rows() * k);
            let soft: Vec<T> = (0..n).map(|_| input.real(Flavor::Prob)).collect();
            let log: Vec<T> = (0..n).map(|_| input.real(Flavor::Grad)).collect();
            let grad: Vec<T> = (0..len(input, n))
                .map(|_| input.real(Flavor::Grad))
                .collect();
            let form = sample_form(input, &soft, &log);
            let log_sampler = input.bool();
            let mut o1 = outs(input, st);
            let mut o2 = o1.copy();
            let (r1, r2) = if log_sampler {
                (
                    oneshot::rsample_log_backward(&exec, p, form, &grad, o1.grads()),
                    d.rsample_log_backward(form, &grad, o2.grads()),
                )
            } else {
                (
                    oneshot::rsample_backward(&exec, p, form, &grad, o1.grads()),
                    d.rsample_backward(form, &grad, o2.grads()),
                )
            };
            agree(
                "one-shot rsample backward",
                st.valid,
                &r1,
                &r2,
                &o1.all(),
                &o2.all(),
            );
        }
        _ => {
            let log_space = input.bool();
            let (v, _) = values(input, st, log_space);
            let rows = v.len() / k;
            let grad: Vec<T> = (0..len(input, rows))
                .map(|_| input.real(Flavor::Grad))
                .collect();
            let mut o1 = outs(input, st);
            let mut o2 = o1.copy();
            let value_len = input.bool().then(|| len(input, v.len()));
            let lp_len = input.bool().then(|| len(input, rows));
            let extra = |n: Option<usize>| n.map(|n| vec![sentinel::<T>(); n]);
            let (mut v1, mut v2) = (extra(value_len), extra(value_len));
            let (mut l1, mut l2) = (extra(lp_len), extra(lp_len));
            let g1 = LogProbGrads {
                params: o1.grads(),
                value: v1.as_deref_mut(),
                log_prob: l1.as_deref_mut(),
            };
            let g2 = LogProbGrads {
                params: o2.grads(),
                value: v2.as_deref_mut(),
                log_prob: l2.as_deref_mut(),
            };
            let (r1, r2) = if log_space {
                (
                    oneshot::log_prob_x_backward(&exec, p, &v, &grad, g1),
                    d.log_prob_x_backward(&v, &grad, g2),
                )
            } else {
                (
                    oneshot::log_prob_backward(&exec, p, &v, &grad, g1),
                    d.log_prob_backward(&v, &grad, g2),
                )
            };
            let mut a = o1.all();
            a.extend(v1.as_deref().into_iter().chain(l1.as_deref()));
            let mut b = o2.all();
            b.extend(v2.as_deref().into_iter().chain(l2.as_deref()));
            agree("one-shot log_prob backward", st.valid, &r1, &r2, &a, &b);
        }
    }
}

/// The one-shot samplers on rows `[begin, begin + count)` of a fuzzed
/// stream, against `draw` on the distribution.
fn oneshot_samplers<T: Real + Float>(
    input: &mut Input,
    st: &State<T>,
    exec: &Exec,
    p: oneshot::Params<'_, T>,
) {
    let d = &st.dist;
    let k = d.num_categories();
    let stream = Stream::new(input.u64(), input.u64());
    let begin = input.upto(300);
    let count = input.upto((MAX_ELEMENTS / k).min(64));
    let rows = begin..begin + count;
    let noise = Noise::Rows(stream, rows.clone());
    let which = input.byte() % 5;
    if which == 2 {
        let n = len(input, count);
        let (mut a, mut b) = (vec![i64::MIN; n], vec![i64::MIN; n]);
        let r1 = oneshot::rsample_hard_index_rows(exec, p, stream, rows, &mut a);
        let r2 = d.draw(noise, Draw::Index(&mut b));
        match (&r1, &r2) {
            (Ok(()), Ok(())) => assert!(!st.valid || a == b, "one-shot hard index differs"),
            (Err(e1), Err(e2)) => {
                assert_eq!(e1.kind(), e2.kind());
                assert!(
                    a.iter().all(|&v| v == i64::MIN),
                    "hard index written on error"
                );
            }
            _ => panic!("one-shot hard index: {r1:?} but the handle gave {r2:?}"),
        }
        return;
    }
    let n1 = len(input, count * k);
    let n2 = if which >= 3 {
        len(input, count * k)
    } else {
        n1
    };
    let fill = |n: usize| vec![sentinel::<T>(); n];
    let (mut a1, mut a2, mut b1, mut b2) = (fill(n1), fill(n2), fill(n1), fill(n2));
    let (r1, r2) = match which {
        0 => (
            oneshot::rsample_rows(exec, p, stream, rows, &mut a1),
            d.draw(noise, Draw::Soft(&mut b1)),
        ),
        1 => (
            oneshot::rsample_log_rows(exec, p, stream, rows, &mut a1),
            d.draw(noise, Draw::Log(&mut b1)),
        ),
        3 => (
            oneshot::rsample_hard_rows(exec, p, stream, rows, &mut a1, &mut a2),
            d.draw(
                noise,
                Draw::Hard {
                    hard: &mut b1,
                    soft: &mut b2,
                },
            ),
        ),
        _ => (
            oneshot::rsample_with_log_rows(exec, p, stream, rows, &mut a1, &mut a2),
            d.draw(
                noise,
                Draw::SoftWithLog {
                    soft: &mut b1,
                    log: &mut b2,
                },
            ),
        ),
    };
    agree(
        "one-shot sampler",
        st.valid,
        &r1,
        &r2,
        &[&a1, &a2],
        &[&b1, &b2],
    );
}

/// A one-shot result `r1` (outputs `a`) against the handle's `r2` (`b`):
/// both succeed with the same bits (for valid parameters), or both fail
/// with the same kind and `a` untouched.
fn agree<T: Real>(
    what: &str,
    valid: bool,
    r1: &Result<()>,
    r2: &Result<()>,
    a: &[&[T]],
    b: &[&[T]],
) {
    match (r1, r2) {
        (Ok(()), Ok(())) => assert!(
            !valid || a.iter().zip(b).all(|(x, y)| bits(x) == bits(y)),
            "{what}: bits differ from the handle's"
        ),
        (Err(e1), Err(e2)) => {
            assert_eq!(e1.kind(), e2.kind(), "{what}: {e1:?} vs {e2:?}");
            check_err::<T>(what, e1, a);
        }
        _ => panic!("{what}: {r1:?} but the handle gave {r2:?}"),
    }
}

/// `relaxcat::categorical::sample_rows` / `sample` on fuzzed logits,
/// temperatures (0 and negative included), top-k (0 included), validation,
/// ranges and output lengths: an error writes nothing and names a known
/// kind; a success on valid parameters draws allowed indices, the bits of
/// the scalar backend, and rows split over two calls give the same bits.
fn categorical_calls<T: Real + Float>(input: &mut Input) {
    let k = if input.byte() < 3 { 0 } else { input.k() };
    let b = 1 + input.upto((MAX_ELEMENTS / k.max(1)).clamp(1, 16) - 1);
    let n_logits = if input.byte() < 6 { b * k + 1 } else { b * k };
    let logits: Vec<T> = (0..n_logits).map(|_| input.real(Flavor::Logit)).collect();
    let t_len = match input.byte() {
        0..=191 => 1,
        192..=249 => b,
        _ => input.upto(3),
    };
    let t: Vec<T> = (0..t_len)
        .map(|_| match input.byte() {
            0..=19 => T::from_f(0.0),
            20..=24 => T::from_f(-1.0),
            _ => input.real(Flavor::Temperature),
        })
        .collect();
    let top_k = match input.byte() {
        0..=5 => Some(0),
        6..=127 => None,
        _ => Some(1 + input.upto(k + 2)),
    };
    let validate = input.byte() >= 32;
    let exec = exec(input);
    let seed = input.u64();
    let offset = input.u64();
    let begin = input.upto(300);
    let count = input.upto((4 * MAX_ELEMENTS / k.max(1)).min(64));
    let from_generator = input.byte() < 64;
    // The batch rows the call sees (one more when the logits have an extra
    // row of K = 1).
    let batch = if k > 0 && logits.len() % k == 0 && !logits.is_empty() {
        logits.len() / k
    } else {
        b
    };
    let (samples, rows) = if from_generator {
        (count / batch, 0..count / batch * batch)
    } else {
        (0, begin..begin + count)
    };
    let n = rows.len();
    let out_len = len(input, n);
    let want_lp = input.bool();
    let lp_len = if want_lp { len(input, n) } else { 0 };
    let mut out = vec![i64::MIN; out_len];
    let mut lp = vec![sentinel::<T>(); lp_len];
    let params = categorical::CategoricalParams {
        k,
        logits: &logits,
        temperature: &t,
        top_k,
        validate,
    };
    let stream = Stream::new(seed, offset);
    let result = if from_generator {
        let mut g = Generator::new(seed);
        g.set_position(offset);
        let r = categorical::sample(
            &exec,
            params,
            &mut g,
            samples,
            &mut out,
            want_lp.then_some(&mut lp[..]),
        );
        let want = if r.is_ok() {
            offset.wrapping_add(n as u64)
        } else {
            offset
        };
        assert_eq!(g.position(), want, "generator position: {r:?}");
        r
    } else {
        categorical::sample_rows(
            &exec,
            params,
            stream,
            rows.clone(),
            &mut out,
            want_lp.then_some(&mut lp[..]),
        )
    };
    let shape_ok =
        k > 0 && !logits.is_empty() && logits.len() % k == 0 && (t_len == 1 || t_len == batch);
    let values_ok = shape_ok && sampling_temperatures_valid(&t) && logits_valid(&logits, k);
    let good = shape_ok
        && out_len == n
        && lp_len == if want_lp { n } else { 0 }
        && top_k != Some(0)
        && (!validate || values_ok);
    if let Err(e) = result {
        assert!(
            out.iter().all(|&v| v == i64::MIN),
            "categorical: out written on error"
        );
        check_err::<T>("categorical", &e, &[&lp]);
        assert!(!good, "categorical rejected a good call: {e:?}");
        return;
    }
    assert!(good, "categorical accepted a bad call");
    if !values_ok {
        assert!(out.iter().all(|&i| (0..k as i64).contains(&i)));
        return;
    }
    check_categorical(
        "categorical",
        &out,
        want_lp.then_some(&lp[..]),
        &logits,
        k,
        &t,
        top_k,
        rows.start,
    );
    // The scalar backend, with the rows in two calls.
    let cut = rows.start + n / 2;
    let h = n / 2;
    let (mut a, mut al) = (vec![0i64; n], vec![T::default(); n]);
    let s = scalar();
    let (lo_a, hi_a) = a.split_at_mut(h);
    let (lo_l, hi_l) = al.split_at_mut(h);
    categorical::sample_rows(&s, params, stream, rows.start..cut, lo_a, Some(lo_l)).unwrap();
    categorical::sample_rows(&s, params, stream, cut..rows.end, hi_a, Some(hi_l)).unwrap();
    assert_eq!(a, out, "categorical: backend or split differs");
    if want_lp {
        assert!(
            same(&al, &lp),
            "categorical log_prob: backend or split differs"
        );
    }
}

/// `draw(.., Draw::Index)` is the position of the 1 of
/// `draw(.., Draw::Hard)` on the scalar backend; errors write nothing.
fn hard_index_calls<T: Real + Float>(input: &mut Input, st: &State<T>) {
    let d = &st.dist;
    let k = d.num_categories();
    let stream = Stream::new(input.u64(), input.u64());
    let begin = input.upto(300);
    let count = input.upto((MAX_ELEMENTS / k).min(64));
    let out_len = len(input, count);
    let mut out = vec![i64::MIN; out_len];
    match d.draw(
        Noise::Rows(stream, begin..begin + count),
        Draw::Index(&mut out),
    ) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidShape, "{e:?}");
            assert!(out_len != count && out.iter().all(|&v| v == i64::MIN));
        }
        Ok(()) => {
            assert_eq!(out_len, count);
            if !st.valid {
                return;
            }
            let (mut hard, mut soft) =
                (vec![T::default(); count * k], vec![T::default(); count * k]);
            d.clone()
                .with_exec(scalar())
                .draw(
                    Noise::Rows(stream, begin..begin + count),
                    Draw::Hard {
                        hard: &mut hard,
                        soft: &mut soft,
                    },
                )
                .unwrap();
            for i in 0..count {
                let one = hard[i * k..(i + 1) * k]
                    .iter()
                    .position(|h| h.to_f() == 1.0)
                    .unwrap();
                assert_eq!(out[i], one as i64, "hard index row {i}");
            }
        }
    }
}

fn row_kernels<T: Real + Float>(input: &mut Input) {
    let which = input.byte() % 4;
    let k = if input.byte() < 3 { 0 } else { input.k() };
    let rows = input.upto((MAX_ELEMENTS / k.max(1)).min(64));
    let exec = exec(input);
    let n = len(input, rows * k);
    let x: Vec<T> = (0..n).map(|_| input.real(Flavor::Logit)).collect();
    let want = if which == 0 { rows } else { n };
    let mut out = vec![sentinel::<T>(); len(input, want)];
    let stream = Stream::new(input.u64(), input.u64());
    let run = |exec: &Exec, out: &mut [T]| match which {
        0 => logsumexp_rows(exec, &x, k, out),
        1 => softmax_rows(exec, &x, k, out),
        2 => log_softmax_rows(exec, &x, k, out),
        _ => gumbel_rows(exec, stream, k, out),
    };
    let r = run(&exec, &mut out);
    let shape_ok = k > 0
        && if which == 3 {
            out.len() % k == 0
        } else {
            n % k == 0 && out.len() == if which == 0 { n / k } else { n }
        };
    if let Err(e) = r {
        check_err("row kernel", &e, &[&out]);
        assert!(!shape_ok, "row kernel rejected a good call: {e:?}");
        return;
    }
    assert!(shape_ok, "row kernel accepted a bad shape");
    let mut again = vec![sentinel::<T>(); out.len()];
    run(&scalar(), &mut again).unwrap();
    assert!(same(&again, &out), "row kernel {which}: backend differs");
    match which {
        0 => {}
        3 => check_finite("gumbel", &out),
        _ => {
            for (row, o) in x.chunks_exact(k).zip(out.chunks_exact(k)) {
                let valid = row.iter().all(|v| !v.nan() && v.to_f() != f64::INFINITY)
                    && row.iter().any(|v| v.to_f() != f64::NEG_INFINITY);
                if valid {
                    let m: Vec<bool> = row.iter().map(|v| v.to_f() == f64::NEG_INFINITY).collect();
                    if which == 1 {
                        check_simplex("softmax", o, &m);
                    } else {
                        check_log_simplex("log_softmax", o, &m, false);
                    }
                }
            }
        }
    }
}
