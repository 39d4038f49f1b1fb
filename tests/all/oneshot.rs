//! The one-shot entry points, in Rust (`relaxcat::oneshot`) and in the C
//! ABI (`relaxcat_*_f32`/`_f64` with a `relaxcat_params_*`), give the bits
//! of the handle path on every backend: samples of every kind, densities
//! and both backward passes, from logits and from probs, contiguous and
//! strided. Bad input is an error with nothing written, including an output
//! that overlaps the parameters (which one-shot calls read in place).

use crate::common::*;
use relaxcat::oneshot::{self, Params};
use relaxcat::{Draw, Noise};
use relaxcat::{
    Exec, LogProbGrads, ParamGrads, ProbsGrad, RelaxedOneHotCategorical, SampleForm, Stream,
};

/// The parameters of a case: `b` rows of `k`, logits with a masked
/// category, or probs with a zero.
fn inputs<T: Fl>(k: usize, b: usize, probs: bool) -> (Vec<T>, Vec<T>) {
    let mut r = Inputs::new(k as u64 * 7 + b as u64 + probs as u64);
    let mut w = if probs {
        r.vec(b * k, 0.0, 2.0)
    } else {
        // A large common offset: the kernels shift it out exactly.
        r.vec(b * k, -4.0, 4.0)
            .into_iter()
            .map(|v| v + 30.0)
            .collect()
    };
    if k > 2 {
        w[1] = if probs { 0.0 } else { f64::NEG_INFINITY };
    }
    let t: Vec<f64> = (0..b).map(|i| 0.4 + 0.3 * i as f64).collect();
    (cast(&w), cast(&t))
}

fn params<'a, T: Fl>(k: usize, w: &'a [T], t: &'a [T], probs: bool) -> Params<'a, T> {
    if probs {
        Params::probs(k, w, t)
    } else {
        Params::logits(k, w, t)
    }
}

fn handle<'a, T: Fl>(
    exec: &Exec,
    k: usize,
    w: &'a [T],
    t: &'a [T],
    probs: bool,
) -> RelaxedOneHotCategorical<'a, T> {
    let b = RelaxedOneHotCategorical::builder(k)
        .temperature(t)
        .exec(exec.clone());
    if probs { b.probs(w) } else { b.logits(w) }
        .build()
        .unwrap()
}

fn rust_matches_handle<T: Fl>() {
    for (backend, exec) in backends("oneshot_rust") {
        for &(k, b) in &[(1, 3), (3, 5), (8, 40), (9, 17), (100, 6), (1500, 2)] {
            for probs in [false, true] {
                let what = |s: &str| {
                    format!(
                        "{backend:?} {} K={k} B={b} probs={probs}: {s}",
                        T::TYPE_NAME
                    )
                };
                let (w, t) = inputs::<T>(k, b, probs);
                let p = params(k, &w, &t, probs);
                let d = handle(&exec, k, &w, &t, probs);
                let stream = Stream::new(99, 5);
                let n = 3 * b;
                let rows = 1..n;
                let len = (n - 1) * k;
                let z = || vec![T::of(0.0); len];
                let (mut a, mut h) = (z(), z());
                oneshot::rsample_rows(&exec, p, stream, rows.clone(), &mut a).unwrap();
                d.draw(Noise::Rows(stream, rows.clone()), Draw::Soft(&mut h))
                    .unwrap();
                assert_bits_eq(&what("rsample"), &a, &h);
                oneshot::rsample_log_rows(&exec, p, stream, rows.clone(), &mut a).unwrap();
                d.draw(Noise::Rows(stream, rows.clone()), Draw::Log(&mut h))
                    .unwrap();
                assert_bits_eq(&what("rsample_log"), &a, &h);
                let (mut a2, mut h2) = (z(), z());
                oneshot::rsample_hard_rows(&exec, p, stream, rows.clone(), &mut a, &mut a2)
                    .unwrap();
                d.draw(
                    Noise::Rows(stream, rows.clone()),
                    Draw::Hard {
                        hard: &mut h,
                        soft: &mut h2,
                    },
                )
                .unwrap();
                assert_bits_eq(&what("hard"), &a, &h);
                assert_bits_eq(&what("hard's soft"), &a2, &h2);

                // A training step: forward with log, both backward passes.
                let (mut y, mut x) = (vec![T::of(0.0); n * k], vec![T::of(0.0); n * k]);
                oneshot::rsample_with_log_rows(&exec, p, stream, 0..n, &mut y, &mut x).unwrap();
                let (mut hy, mut hx) = (vec![T::of(0.0); n * k], vec![T::of(0.0); n * k]);
                d.draw(
                    Noise::Rows(stream, 0..n),
                    Draw::SoftWithLog {
                        soft: &mut hy,
                        log: &mut hx,
                    },
                )
                .unwrap();
                assert_bits_eq(&what("with_log soft"), &y, &hy);
                assert_bits_eq(&what("with_log log"), &x, &hx);
                let up: Vec<T> = (0..n * k)
                    .map(|i| T::of(((i * 37) % 11) as f64 - 5.0))
                    .collect();
                let run_rsample_bwd = |one: bool| {
                    let mut gl = vec![T::of(0.0); b * k];
                    let mut gp = vec![T::of(0.0); b * k];
                    let mut gt = vec![T::of(0.0); b];
                    let g = ParamGrads {
                        logits: (!probs).then_some(&mut gl[..]),
                        probs: probs.then_some(ProbsGrad {
                            given: &w,
                            out: &mut gp[..],
                        }),
                        temperature: Some(&mut gt[..]),
                    };
                    let form = SampleForm::Both { soft: &y, log: &x };
                    if one {
                        oneshot::rsample_backward(&exec, p, form, &up, g).unwrap();
                    } else {
                        d.rsample_backward(form, &up, g).unwrap();
                    }
                    [gl, gp, gt]
                };
                for (name, (o, h)) in ["logits", "probs", "temperature"].iter().zip(
                    run_rsample_bwd(true)
                        .iter()
                        .zip(run_rsample_bwd(false).iter()),
                ) {
                    assert_bits_eq(&what(&format!("rsample_backward {name}")), o, h);
                }

                let (mut lp, mut hlp) = (vec![T::of(0.0); n], vec![T::of(0.0); n]);
                oneshot::log_prob(&exec, p, &y, &mut lp).unwrap();
                d.log_prob_into(&y, &mut hlp).unwrap();
                assert_bits_eq(&what("log_prob"), &lp, &hlp);
                oneshot::log_prob_x(&exec, p, &x, &mut lp).unwrap();
                d.log_prob_x_into(&x, &mut hlp).unwrap();
                assert_bits_eq(&what("log_prob_x"), &lp, &hlp);
                let pbar: Vec<T> = (0..n).map(|i| T::of(1.0 + (i % 3) as f64)).collect();
                let run_lp_bwd = |one: bool| {
                    let mut gl = vec![T::of(0.0); b * k];
                    let mut gp = vec![T::of(0.0); b * k];
                    let mut gt = vec![T::of(0.0); b];
                    let mut gv = vec![T::of(0.0); n * k];
                    let mut out = vec![T::of(0.0); n];
                    let g = LogProbGrads {
                        params: ParamGrads {
                            logits: (!probs).then_some(&mut gl[..]),
                            probs: probs.then_some(ProbsGrad {
                                given: &w,
                                out: &mut gp[..],
                            }),
                            temperature: Some(&mut gt[..]),
                        },
                        value: Some(&mut gv[..]),
                        log_prob: Some(&mut out[..]),
                    };
                    if one {
                        oneshot::log_prob_x_backward(&exec, p, &x, &pbar, g).unwrap();
                    } else {
                        d.log_prob_x_backward(&x, &pbar, g).unwrap();
                    }
                    [gl, gp, gt, gv, out]
                };
                for (name, (o, h)) in ["logits", "probs", "temperature", "value", "log_prob"]
                    .iter()
                    .zip(run_lp_bwd(true).iter().zip(run_lp_bwd(false).iter()))
                {
                    assert_bits_eq(&what(&format!("log_prob_x_backward {name}")), o, h);
                }
            }
        }
    }
}

#[test]
fn rust_oneshot_matches_handle_f32() {
    rust_matches_handle::<f32>();
}

#[test]
fn rust_oneshot_matches_handle_f64() {
    rust_matches_handle::<f64>();
}

#[test]
fn rust_oneshot_errors_name_the_problem_and_write_nothing() {
    let exec = Exec::serial();
    let w = [0.0f32, f32::NAN, 1.0];
    let t = [0.5f32];
    let mut out = vec![7.0f32; 3];
    let e = oneshot::rsample_rows(
        &exec,
        Params::logits(3, &w, &t),
        Stream::new(1, 0),
        0..1,
        &mut out,
    )
    .unwrap_err();
    assert_eq!(e.kind(), relaxcat::ErrorKind::InvalidLogits);
    assert!(e.message().contains("row 0, category 1"), "{}", e.message());
    assert!(out.iter().all(|&v| v == 7.0));
    // Validation off: accepted (unspecified numbers, no panic).
    oneshot::rsample_rows(
        &exec,
        Params::logits(3, &w, &t).validate(false),
        Stream::new(1, 0),
        0..1,
        &mut out,
    )
    .unwrap();
    let w = [0.2f32, 0.3, 0.5];
    let e = oneshot::log_prob(
        &exec,
        Params::probs(3, &w, &t),
        &[0.5, 0.5, 0.5],
        &mut out[..1],
    )
    .unwrap_err();
    assert_eq!(e.kind(), relaxcat::ErrorKind::InvalidValue);
    let e = oneshot::log_prob(
        &exec,
        Params::probs(3, &w, &[0.0]),
        &[0.2, 0.3, 0.5],
        &mut out[..1],
    )
    .unwrap_err();
    assert_eq!(e.kind(), relaxcat::ErrorKind::InvalidTemperature);
}

// ---------------------------------------------------------------------------
// The C ABI
// ---------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy)]
struct CParams {
    batch_rows: usize,
    k: usize,
    temperature: *const f32,
    temperature_len: usize,
    probs: *const f32,
    probs_ld: usize,
    logits: *const f32,
    logits_ld: usize,
    flags: u32,
}

const OK: i32 = 0;
const NULL_POINTER: i32 = 1;
const INVALID_LOGITS: i32 = 7;
const ALIASING: i32 = 9;

unsafe extern "C" {
    fn relaxcat_rsample_rows_f32(
        ctx: *const u8,
        params: *const CParams,
        seed: u64,
        offset: u64,
        row_begin: usize,
        row_end: usize,
        out: *mut f32,
        out_ld: usize,
    ) -> i32;
    fn relaxcat_log_prob_f32(
        ctx: *const u8,
        params: *const CParams,
        value_rows: usize,
        value: *const f32,
        value_ld: usize,
        out: *mut f32,
    ) -> i32;
    fn relaxcat_rsample_backward_f32(
        ctx: *const u8,
        params: *const CParams,
        rows: usize,
        soft: *const f32,
        soft_ld: usize,
        log: *const f32,
        log_ld: usize,
        grad: *const f32,
        grad_ld: usize,
        grad_logits: *mut f32,
        grad_logits_ld: usize,
        grad_probs: *mut f32,
        grad_probs_ld: usize,
        grad_temperature: *mut f32,
        grad_temperature_len: usize,
    ) -> i32;
}

#[test]
fn c_oneshot_matches_rust_strided_and_checks_overlap() {
    let exec = Exec::serial();
    let (k, b, ld) = (5, 4, 7);
    for probs in [false, true] {
        let (w, t) = inputs::<f32>(k, b, probs);
        // The parameters strided: ld = 7, padding NaN (never read).
        let mut strided = vec![f32::NAN; (b - 1) * ld + k];
        for r in 0..b {
            strided[r * ld..r * ld + k].copy_from_slice(&w[r * k..(r + 1) * k]);
        }
        let p = params(k, &w, &t, probs);
        let d = handle(&exec, k, &w, &t, probs);
        let n = 2 * b;
        for (ptr, pld) in [(w.as_ptr(), k), (strided.as_ptr(), ld)] {
            let cp = CParams {
                batch_rows: b,
                k,
                temperature: t.as_ptr(),
                temperature_len: t.len(),
                probs: if probs { ptr } else { std::ptr::null() },
                probs_ld: pld,
                logits: if probs { std::ptr::null() } else { ptr },
                logits_ld: pld,
                flags: 0,
            };
            let mut y = vec![0f32; n * k];
            // SAFETY: buffers sized as documented.
            let s = unsafe {
                relaxcat_rsample_rows_f32(std::ptr::null(), &cp, 3, 1, 0, n, y.as_mut_ptr(), k)
            };
            assert_eq!(s, OK);
            let mut want = vec![0f32; n * k];
            oneshot::rsample_rows(&exec, p, Stream::new(3, 1), 0..n, &mut want).unwrap();
            assert_bits_eq("C rsample_rows", &y, &want);
            let mut lp = vec![0f32; n];
            // SAFETY: as above.
            let s = unsafe {
                relaxcat_log_prob_f32(std::ptr::null(), &cp, n, y.as_ptr(), k, lp.as_mut_ptr())
            };
            assert_eq!(s, OK);
            assert_bits_eq("C log_prob", &lp, &d.log_prob(&y).unwrap());
            let up = vec![1f32; n * k];
            let mut g = vec![0f32; b * k];
            let mut gt = vec![0f32; b];
            let (gl_ptr, gp_ptr) = if probs {
                (std::ptr::null_mut(), g.as_mut_ptr())
            } else {
                (g.as_mut_ptr(), std::ptr::null_mut())
            };
            // SAFETY: as above.
            let s = unsafe {
                relaxcat_rsample_backward_f32(
                    std::ptr::null(),
                    &cp,
                    n,
                    y.as_ptr(),
                    k,
                    std::ptr::null(),
                    0,
                    up.as_ptr(),
                    k,
                    gl_ptr,
                    k,
                    gp_ptr,
                    k,
                    gt.as_mut_ptr(),
                    b,
                )
            };
            assert_eq!(s, OK);
            let mut hg = vec![0f32; b * k];
            let mut hgt = vec![0f32; b];
            let grads = if probs {
                ParamGrads {
                    probs: Some(ProbsGrad {
                        given: &w,
                        out: &mut hg[..],
                    }),
                    temperature: Some(&mut hgt[..]),
                    ..Default::default()
                }
            } else {
                ParamGrads {
                    logits: Some(&mut hg[..]),
                    temperature: Some(&mut hgt[..]),
                    ..Default::default()
                }
            };
            d.rsample_backward(SampleForm::Soft(&y), &up, grads)
                .unwrap();
            assert_bits_eq("C rsample_backward params", &g, &hg);
            assert_bits_eq("C rsample_backward temperature", &gt, &hgt);
        }
    }

    // An output over the parameters is an aliasing error, nothing written.
    let mut buf = vec![0.5f32; 64];
    let t = [1.0f32];
    let cp = CParams {
        batch_rows: 2,
        k: 4,
        temperature: t.as_ptr(),
        temperature_len: 1,
        probs: std::ptr::null(),
        probs_ld: 4,
        logits: buf.as_ptr(),
        logits_ld: 4,
        flags: 0,
    };
    let before = buf.clone();
    // SAFETY: buffers sized as documented (out = buf[4..12] overlaps logits).
    let s = unsafe {
        relaxcat_rsample_rows_f32(
            std::ptr::null(),
            &cp,
            1,
            0,
            0,
            2,
            buf.as_mut_ptr().add(4),
            4,
        )
    };
    assert_eq!(s, ALIASING);
    assert_eq!(buf, before);
    // NULL params, and invalid logits: named errors, nothing written.
    let mut out = vec![9f32; 8];
    // SAFETY: a NULL params is checked.
    let s = unsafe {
        relaxcat_rsample_rows_f32(
            std::ptr::null(),
            std::ptr::null(),
            1,
            0,
            0,
            2,
            out.as_mut_ptr(),
            4,
        )
    };
    assert_eq!(s, NULL_POINTER);
    let bad = [0f32, f32::INFINITY, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let cp = CParams {
        logits: bad.as_ptr(),
        ..cp
    };
    // SAFETY: buffers sized as documented.
    let s = unsafe {
        relaxcat_rsample_rows_f32(std::ptr::null(), &cp, 1, 0, 0, 2, out.as_mut_ptr(), 4)
    };
    assert_eq!(s, INVALID_LOGITS);
    assert!(out.iter().all(|&v| v == 9.0));
}
