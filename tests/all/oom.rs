//! Allocation failure is an error, never an abort: forced with the
//! per-thread reservation cap (`relaxcat::testing::set_thread_allocation_limit`)
//! through the Rust API and the C ABI, and for real with a request larger
//! than any machine (a 64 TiB parameter matrix of untouched zero pages).
//!
//! With the cap at 0 bytes every reservation of a call fails, so the same
//! tests also pin which calls allocate at all: those listed in
//! `calls_that_allocate` fail with `OutOfMemory` and write nothing, and
//! those in `calls_on_caller_buffers_allocate_nothing` succeed with the
//! bits of an uncapped call.

use crate::common::sentinel;
use relaxcat::categorical::{self, CategoricalParams};
use relaxcat::ffi::*;
use relaxcat::testing::set_thread_allocation_limit;
use relaxcat::{
    Draw, ErrorKind, Exec, Generator, LogProbGrads, Noise, ParamGrads, RelaxedOneHotCategorical,
    Result, SampleForm, Stream, logsumexp_rows, oneshot,
};
use std::ffi::CStr;
use std::ptr::{null, null_mut};

const K: usize = 40;
const B: usize = 3;

fn logits() -> Vec<f32> {
    (0..B * K)
        .map(|i| ((i * 7) % 11) as f32 * 0.3 - 1.0)
        .collect()
}

/// Runs `f` with every reservation on this thread capped at `bytes`.
fn capped<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            set_thread_allocation_limit(None);
        }
    }
    let _reset = Reset;
    set_thread_allocation_limit(Some(bytes));
    f()
}

#[track_caller]
fn assert_oom<T: std::fmt::Debug>(what: &str, r: Result<T>) {
    match r {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{what}: {e}");
            assert!(
                e.message().contains("out of memory: cannot allocate")
                    && e.message().contains(" bytes"),
                "{what}: {e}"
            );
        }
        Ok(v) => panic!("{what}: succeeded under a 0-byte cap: {v:?}"),
    }
}

#[track_caller]
fn assert_untouched(what: &str, buf: &[f32]) {
    let s = sentinel::<f32>().to_bits();
    assert!(
        buf.iter().all(|v| v.to_bits() == s),
        "{what}: output written on error"
    );
}

#[test]
fn building_fails_cleanly_at_every_reservation() {
    let l = logits();
    let t = [0.7f32];
    let build = || {
        RelaxedOneHotCategorical::builder(K)
            .logits(&l)
            .temperature(&t)
            .exec(Exec::serial())
            .build()
    };
    // Caps from 0 up: each fails at a later reservation until the build
    // fits; every failure is an OutOfMemory error naming the byte count.
    let mut failures = 0;
    let mut cap = 0;
    loop {
        match capped(cap, build) {
            Ok(_) => break,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::OutOfMemory, "cap {cap}: {e}");
                failures += 1;
            }
        }
        cap += 4;
        assert!(cap < 4096, "a 3 x 40 distribution needs less than 4 KiB");
    }
    assert!(failures > 0);
    // From probs there is also the B x K ln p.
    let p = vec![1.0f32 / K as f32; B * K];
    let e = capped(B * K * 4 - 1, || {
        RelaxedOneHotCategorical::builder(K)
            .probs(&p)
            .temperature(&t)
            .exec(Exec::serial())
            .build()
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    assert_eq!(
        e.message(),
        "ln probs: out of memory: cannot allocate 480 bytes (120 x 4)"
    );
}

#[test]
fn calls_that_allocate() {
    let l = logits();
    let t = [0.7f32];
    let dist = RelaxedOneHotCategorical::from_logits(&t, &l, K)
        .unwrap()
        .with_exec(Exec::serial());
    let mut g = Generator::new(3);
    let y = dist.rsample(&mut g, 2).unwrap();
    let position = g.position();

    capped(0, || {
        // Vec-returning forms.
        assert_oom("rsample", dist.rsample(&mut g, 2));
        assert_oom("rsample_log", dist.rsample_log(&mut g, 2));
        assert_oom("rsample_hard", dist.rsample_hard(&mut g, 2));
        assert_oom("rsample_with_log", dist.rsample_with_log(&mut g, 2));
        assert_oom("rsample_hard_index", dist.rsample_hard_index(&mut g, 2));
        assert_oom("log_prob", dist.log_prob(&y));
        assert_oom("probs", dist.probs());
        assert_oom("logits", dist.logits());
        assert_eq!(g.position(), position, "the generator moved on error");
        // Copies.
        assert_oom("try_clone", dist.try_clone());
        assert_oom("into_owned", dist.clone().into_owned());
        // Temporaries of calls on caller buffers.
        let mut out = vec![sentinel::<f32>(); 2 * B];
        assert_oom("log_prob_into", dist.log_prob_into(&y, &mut out));
        assert_untouched("log_prob_into", &out);
        let mut p = vec![sentinel::<f32>(); B * K];
        assert_oom("probs_into", dist.probs_into(&mut p));
        assert_untouched("probs_into", &p);
        // Backward passes: the sample form they derive needs tile scratch;
        // log_prob's needs the value totals and tile scratch.
        let mut gl = vec![sentinel::<f32>(); B * K];
        let mut gt = vec![sentinel::<f32>(); 1];
        let grads = ParamGrads {
            logits: Some(&mut gl),
            probs: None,
            temperature: Some(&mut gt),
        };
        let r = dist.rsample_backward(SampleForm::Soft(&y), &y, grads);
        assert_oom("rsample_backward", r);
        let grads = LogProbGrads {
            params: ParamGrads {
                logits: Some(&mut gl),
                probs: None,
                temperature: Some(&mut gt),
            },
            value: None,
            log_prob: None,
        };
        assert_oom(
            "log_prob_backward",
            dist.log_prob_backward(&y, &[1.0; 2 * B], grads),
        );
        assert_untouched("backward logits gradient", &gl);
        assert_untouched("backward temperature gradient", &gt);
        // One-shot functions build a borrowed distribution: per-row state.
        let params = oneshot::Params::logits(K, &l, &t);
        let mut soft = vec![sentinel::<f32>(); B * K];
        let r = oneshot::rsample_rows(&Exec::serial(), params, Stream::new(1, 0), 0..B, &mut soft);
        assert_oom("oneshot::rsample_rows", r);
        assert_untouched("oneshot::rsample_rows", &soft);
        // Categorical sampling: per-row preparation and result temporaries.
        let mut index = vec![-7i64; B];
        let cat = CategoricalParams::new(K, &l, &t);
        let r = categorical::sample(&Exec::serial(), cat, &mut g, 1, &mut index, None);
        assert_oom("categorical::sample", r);
        assert!(index.iter().all(|&i| i == -7), "categorical wrote on error");
        assert_eq!(g.position(), position, "the generator moved on error");
    });
}

#[test]
fn calls_on_caller_buffers_allocate_nothing() {
    let l = logits();
    let t = [0.7f32];
    let dist = RelaxedOneHotCategorical::from_logits(&t, &l, K)
        .unwrap()
        .with_exec(Exec::serial());
    let stream = Stream::new(9, 4);
    let want = {
        let mut y = vec![0.0f32; 2 * B * K];
        dist.draw(Noise::Rows(stream, 0..2 * B), Draw::Soft(&mut y))
            .unwrap();
        y
    };
    let mut want_lse = vec![0.0f32; B];
    logsumexp_rows(&Exec::serial(), &l, K, &mut want_lse).unwrap();
    capped(0, || {
        let mut y = vec![0.0f32; 2 * B * K];
        dist.draw(Noise::Rows(stream, 0..2 * B), Draw::Soft(&mut y))
            .unwrap();
        assert_eq!(y, want);
        let mut x = vec![0.0f32; 2 * B * K];
        dist.draw(
            Noise::Rows(stream, 0..2 * B),
            Draw::SoftWithLog {
                soft: &mut y,
                log: &mut x,
            },
        )
        .unwrap();
        let mut lse = vec![0.0f32; B];
        logsumexp_rows(&Exec::serial(), &l, K, &mut lse).unwrap();
        assert_eq!(lse, want_lse);
        // Given both forms, the rsample backward pass needs no scratch.
        let mut gl = vec![0.0f32; B * K];
        let grads = ParamGrads {
            logits: Some(&mut gl),
            probs: None,
            temperature: None,
        };
        let both = SampleForm::Both { soft: &y, log: &x };
        dist.rsample_backward(both, &y, grads).unwrap();
    });
}

fn last_error() -> String {
    // SAFETY: a NUL-terminated string owned by the library, valid until the
    // next call on this thread.
    unsafe { CStr::from_ptr(relaxcat_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

#[track_caller]
fn expect_oom(status: i32, function: &str) {
    let message = last_error();
    assert_eq!(
        status, RELAXCAT_ERROR_OUT_OF_MEMORY,
        "{function}: {message}"
    );
    assert!(
        message.starts_with(function)
            && message.contains("out of memory")
            && message.contains(" bytes"),
        "{message:?}"
    );
}

#[test]
fn the_c_abi_returns_out_of_memory_and_writes_nothing() {
    let l = logits();
    let t = [0.7f32];
    let marker = std::ptr::dangling_mut::<relaxcat_dist_f32>();
    // SAFETY (whole test): the buffers hold the extents passed; handles
    // are from their `_new` and freed once.
    unsafe {
        let mut ctx = null_mut();
        assert_eq!(relaxcat_context_new(1, null(), &mut ctx), RELAXCAT_OK);
        let mut dist = marker;
        let s = capped(0, || {
            relaxcat_dist_f32_new(
                ctx,
                B,
                K,
                t.as_ptr(),
                1,
                null(),
                0,
                l.as_ptr(),
                K,
                0,
                &mut dist,
            )
        });
        expect_oom(s, "relaxcat_dist_f32_new");
        assert_eq!(dist, marker, "*out written on error");
        let mut other = std::ptr::dangling_mut();
        expect_oom(
            capped(0, || relaxcat_context_new(1, null(), &mut other)),
            "relaxcat_context_new",
        );
        let mut generator = std::ptr::dangling_mut();
        expect_oom(
            capped(0, || relaxcat_generator_new(1, &mut generator)),
            "relaxcat_generator_new",
        );
        let s = relaxcat_dist_f32_new(
            ctx,
            B,
            K,
            t.as_ptr(),
            1,
            null(),
            0,
            l.as_ptr(),
            K,
            0,
            &mut dist,
        );
        assert_eq!(s, RELAXCAT_OK);
        // A strided output goes through a temporary; a contiguous one is
        // written in place and needs nothing.
        let ld = K + 3;
        let mut strided = vec![sentinel::<f32>(); (B - 1) * ld + K];
        let s = capped(0, || {
            relaxcat_dist_f32_rsample_rows(dist, 5, 0, 0, B, strided.as_mut_ptr(), ld)
        });
        expect_oom(s, "relaxcat_dist_f32_rsample_rows");
        assert_untouched("strided rsample_rows", &strided);
        let mut y = vec![0.0f32; B * K];
        let s = capped(0, || {
            relaxcat_dist_f32_rsample_rows(dist, 5, 0, 0, B, y.as_mut_ptr(), K)
        });
        assert_eq!(s, RELAXCAT_OK, "{}", last_error());
        let mut lp = vec![sentinel::<f32>(); B];
        let s = capped(0, || {
            relaxcat_dist_f32_log_prob(dist, B, y.as_ptr(), K, lp.as_mut_ptr())
        });
        expect_oom(s, "relaxcat_dist_f32_log_prob");
        assert_untouched("log_prob", &lp);
        let mut copy = std::ptr::dangling_mut();
        expect_oom(
            capped(0, || relaxcat_dist_f32_with_context(dist, ctx, &mut copy)),
            "relaxcat_dist_f32_with_context",
        );
        // And the next call on the thread, uncapped, succeeds.
        let s = relaxcat_dist_f32_log_prob(dist, B, y.as_ptr(), K, lp.as_mut_ptr());
        assert_eq!(s, RELAXCAT_OK);
        relaxcat_dist_f32_free(dist);
        relaxcat_context_free(ctx);
    }
}

#[cfg(all(target_os = "linux", target_pointer_width = "64", not(miri)))]
mod larger_than_the_machine {
    use super::*;
    use std::ffi::c_void;

    unsafe extern "C" {
        fn mmap(
            addr: *mut c_void,
            len: usize,
            prot: i32,
            flags: i32,
            fd: i32,
            off: i64,
        ) -> *mut c_void;
        fn munmap(addr: *mut c_void, len: usize) -> i32;
    }
    const PROT_READ: i32 = 1;
    const MAP_PRIVATE: i32 = 2;
    const MAP_ANONYMOUS: i32 = 0x20;
    const MAP_NORESERVE: i32 = 0x4000;
    const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

    /// A 64 TiB matrix of zero logits (2^44 f32), mapped without reserving
    /// memory: never touched, so it costs nothing. A distribution handle
    /// copies its parameters, and a second 64 TiB cannot fit the 128 TiB
    /// user address space of x86-64 beside the first, whatever the RAM and
    /// the overcommit policy: the reservation fails, and the call must say
    /// so instead of aborting. The copy is reserved before the parameters
    /// are read, so the call returns at once.
    #[test]
    fn a_distribution_larger_than_the_machine_is_an_error() {
        let (rows, k) = (1usize << 24, 1usize << 20);
        let bytes = rows * k * 4;
        // SAFETY: a fresh private read-only anonymous mapping.
        let p = unsafe {
            mmap(
                null_mut(),
                bytes,
                PROT_READ,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == MAP_FAILED {
            // Strict overcommit (vm.overcommit_memory = 2), or a sanitizer's
            // shadow memory taking the address space: nothing to test with.
            eprintln!("larger_than_the_machine: cannot map 64 TiB here; not run");
            return;
        }
        let t = [1.0f32];
        let mut dist = std::ptr::dangling_mut::<relaxcat_dist_f32>();
        let started = std::time::Instant::now();
        // SAFETY: `p` holds rows * k readable f32 (zero pages).
        let s = unsafe {
            relaxcat_dist_f32_new(
                null(),
                rows,
                k,
                t.as_ptr(),
                1,
                null(),
                0,
                p as *const f32,
                k,
                0,
                &mut dist,
            )
        };
        let message = last_error();
        // SAFETY: the mapping made above.
        unsafe { munmap(p, bytes) };
        assert_eq!(s, RELAXCAT_ERROR_OUT_OF_MEMORY, "{message}");
        assert_eq!(
            message,
            "relaxcat_dist_f32_new: logits copy: out of memory: cannot allocate \
             70368744177664 bytes (17592186044416 x 4)"
        );
        assert_eq!(dist, std::ptr::dangling_mut(), "*out written on error");
        assert!(
            started.elapsed().as_secs() < 5,
            "the failure came after reading the parameters ({:?})",
            started.elapsed()
        );
    }
}
