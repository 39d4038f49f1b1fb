//! The C ABI called from Rust as a C program calls it: through raw
//! pointers, on small shapes. Handles made, queried and freed (NULL freed
//! too); NULL pointers, bad shapes, bad options, misaligned and
//! overlapping buffers rejected with the documented status, the thread's
//! last error naming the function, and nothing written (neither `*out`
//! nor any output buffer, and the generator not moved); and the results
//! bit-identical to the Rust API's.
//!
//! tests/c/test_relaxcat.c covers the same ground from C; this module is
//! what scripts/miri.sh runs to check the boundary's unsafe code (raw
//! pointers turned into slices, handles boxed and unboxed, C strings)
//! under Miri, which cannot run C. The functions are the library's own
//! declarations (`relaxcat::ffi`), called as a C caller links them.

use crate::common::{assert_bits_eq, sentinel};
use relaxcat::ffi::*;
use relaxcat::{Backend, Exec, Generator, ParamGrads, RelaxedOneHotCategorical, SampleForm};
use relaxcat::{Draw, Noise, Stream};
use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};

const OK: i32 = RELAXCAT_OK;
const NULL_POINTER: i32 = RELAXCAT_ERROR_NULL_POINTER;
const INVALID_SHAPE: i32 = RELAXCAT_ERROR_INVALID_SHAPE;
const SIZE_OVERFLOW: i32 = RELAXCAT_ERROR_SIZE_OVERFLOW;
const INVALID_PARAMETER_CHOICE: i32 = RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE;
const INVALID_TEMPERATURE: i32 = RELAXCAT_ERROR_INVALID_TEMPERATURE;
const INVALID_LOGITS: i32 = RELAXCAT_ERROR_INVALID_LOGITS;
const INVALID_VALUE: i32 = RELAXCAT_ERROR_INVALID_VALUE;
const ALIASING: i32 = RELAXCAT_ERROR_ALIASING;
const INVALID_OPTION: i32 = RELAXCAT_ERROR_INVALID_OPTION;

type Ctx = relaxcat_context;
type Gen = relaxcat_generator;
type Dist = relaxcat_dist_f32;
type Dist64 = relaxcat_dist_f64;

/// A pointer no call may write to `*out`: errors must leave it as is.
fn marker<T>() -> *mut T {
    std::ptr::dangling_mut()
}

fn c_str(p: *const c_char) -> String {
    assert!(!p.is_null(), "a relaxcat string was NULL");
    // SAFETY: relaxcat returns NUL-terminated strings, valid until the next
    // call on this thread.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn last_error() -> String {
    c_str(relaxcat_last_error_message())
}

/// Asserts `status` is `want` and, for an error, that the thread's last
/// message names `function` and every one of `fragments`.
#[track_caller]
fn expect(status: i32, want: i32, function: &str, fragments: &[&str]) {
    let message = last_error();
    assert_eq!(status, want, "status of {function} (message {message:?})");
    if want == OK {
        assert_eq!(message, "", "{function}: a success leaves no message");
        return;
    }
    assert!(
        message.starts_with(function),
        "{message:?} names {function}"
    );
    for f in fragments {
        assert!(message.contains(f), "{message:?} does not contain {f:?}");
    }
}

/// B = 2 rows of K = 3 (one masked category) and a shared temperature.
const K: usize = 3;
const B: usize = 2;
const LOGITS: [f64; 6] = [0.1, -0.4, 1.2, 0.0, f64::NEG_INFINITY, -2.0];
const T: f64 = 0.5;

/// A B x K logits matrix of `f32` with leading dimension `ld`, NaN padding.
fn strided_logits(ld: usize) -> Vec<f32> {
    let mut m = vec![f32::NAN; (B - 1) * ld + K];
    for r in 0..B {
        for c in 0..K {
            m[r * ld + c] = LOGITS[r * K + c] as f32;
        }
    }
    m
}

/// A distribution over `f32` from logits with leading dimension `ld`.
fn new_f32(ctx: *const Ctx, logits: &[f32], ld: usize) -> *mut Dist {
    let t = [T as f32];
    let mut dist = marker::<Dist>();
    // SAFETY: `logits` holds the (B - 1) * ld + K elements of the matrix.
    let s = unsafe {
        relaxcat_dist_f32_new(
            ctx,
            B,
            K,
            t.as_ptr(),
            1,
            null(),
            0,
            logits.as_ptr(),
            ld,
            0,
            &mut dist,
        )
    };
    expect(s, OK, "relaxcat_dist_f32_new", &[]);
    assert!(!dist.is_null() && dist != marker());
    dist
}

fn rust_dist_f32() -> RelaxedOneHotCategorical<'static, f32> {
    let logits = LOGITS.map(|v| v as f32);
    RelaxedOneHotCategorical::builder(K)
        .logits(&logits)
        .temperature(&[T as f32])
        .exec(Exec::serial())
        .build()
        .unwrap()
        .into_owned()
        .unwrap()
}

#[test]
fn status_strings_and_handles() {
    // SAFETY (whole test): every pointer passed is NULL where allowed,
    // a handle from its `_new` not yet freed, or writable local storage.
    unsafe {
        assert!(
            c_str(relaxcat_status_str(NULL_POINTER)).starts_with("RELAXCAT_ERROR_NULL_POINTER")
        );
        assert_eq!(c_str(relaxcat_status_str(-7)), "unknown relaxcat_status");

        // Contexts: NULL backend (the default), a named one, and errors.
        let mut ctx = marker::<Ctx>();
        expect(
            relaxcat_context_new(1, null(), null_mut()),
            NULL_POINTER,
            "relaxcat_context_new",
            &["out"],
        );
        expect(
            relaxcat_context_new(0, null(), &mut ctx),
            INVALID_OPTION,
            "relaxcat_context_new",
            &["threads"],
        );
        expect(
            relaxcat_context_new(1, c"no-such-backend".as_ptr(), &mut ctx),
            INVALID_OPTION,
            "relaxcat_context_new",
            &["no-such-backend"],
        );
        for b in Backend::ALL.into_iter().filter(|b| !b.is_available()) {
            let name = std::ffi::CString::new(b.name()).unwrap();
            expect(
                relaxcat_context_new(1, name.as_ptr(), &mut ctx),
                INVALID_OPTION,
                "relaxcat_context_new",
                &[b.name()],
            );
        }
        assert_eq!(ctx, marker(), "*out written on error");

        expect(
            relaxcat_context_new(1, null(), &mut ctx),
            OK,
            "relaxcat_context_new",
            &[],
        );
        let (mut threads, mut name) = (0usize, null::<c_char>());
        expect(
            relaxcat_context_threads(ctx, &mut threads),
            OK,
            "relaxcat_context_threads",
            &[],
        );
        assert_eq!(threads, 1);
        expect(
            relaxcat_context_backend(ctx, &mut name),
            OK,
            "relaxcat_context_backend",
            &[],
        );
        assert_eq!(c_str(name), Exec::new().backend().name());
        expect(
            relaxcat_context_threads(null(), &mut threads),
            NULL_POINTER,
            "relaxcat_context_threads",
            &["ctx"],
        );
        expect(
            relaxcat_context_backend(ctx, null_mut()),
            NULL_POINTER,
            "relaxcat_context_backend",
            &["out"],
        );
        expect(relaxcat_context_free(ctx), OK, "relaxcat_context_free", &[]);

        let mut scalar = marker::<Ctx>();
        expect(
            relaxcat_context_new(1, c"SCALAR".as_ptr(), &mut scalar),
            OK,
            "relaxcat_context_new",
            &[],
        );
        expect(
            relaxcat_context_backend(scalar, &mut name),
            OK,
            "relaxcat_context_backend",
            &[],
        );
        assert_eq!(c_str(name), "scalar");

        // A distribution outlives the context it was built with.
        let logits = strided_logits(K);
        let dist = new_f32(scalar, &logits, K);
        expect(
            relaxcat_context_free(scalar),
            OK,
            "relaxcat_context_free",
            &[],
        );
        let mut k = 0usize;
        expect(
            relaxcat_dist_f32_num_categories(dist, &mut k),
            OK,
            "relaxcat_dist_f32_num_categories",
            &[],
        );
        assert_eq!(k, K);
        let mut y = vec![0f32; B * K];
        expect(
            relaxcat_dist_f32_rsample_rows(dist, 5, 0, 0, B, y.as_mut_ptr(), K),
            OK,
            "relaxcat_dist_f32_rsample_rows",
            &[],
        );
        expect(
            relaxcat_dist_f32_free(dist),
            OK,
            "relaxcat_dist_f32_free",
            &[],
        );

        // Generators.
        let mut generator = marker::<Gen>();
        expect(
            relaxcat_generator_new(9, null_mut()),
            NULL_POINTER,
            "relaxcat_generator_new",
            &["out"],
        );
        expect(
            relaxcat_generator_new(9, &mut generator),
            OK,
            "relaxcat_generator_new",
            &[],
        );
        let mut position = 7u64;
        expect(
            relaxcat_generator_position(generator, &mut position),
            OK,
            "relaxcat_generator_position",
            &[],
        );
        assert_eq!(position, 0);
        expect(
            relaxcat_generator_position(null(), &mut position),
            NULL_POINTER,
            "relaxcat_generator_position",
            &["generator"],
        );
        expect(
            relaxcat_generator_free(generator),
            OK,
            "relaxcat_generator_free",
            &[],
        );

        // Freeing NULL does nothing.
        expect(
            relaxcat_context_free(null_mut()),
            OK,
            "relaxcat_context_free",
            &[],
        );
        expect(
            relaxcat_generator_free(null_mut()),
            OK,
            "relaxcat_generator_free",
            &[],
        );
        expect(
            relaxcat_dist_f32_free(null_mut()),
            OK,
            "relaxcat_dist_f32_free",
            &[],
        );
        expect(
            relaxcat_dist_f64_free(null_mut()),
            OK,
            "relaxcat_dist_f64_free",
            &[],
        );
    }
}

/// Everything one backend's calls give, for the comparison across backends.
#[derive(PartialEq, Debug)]
struct Outputs {
    f32: Vec<u32>,
    f64: Vec<u64>,
    index: Vec<i64>,
}

/// The calls through a context on `backend`, each against the Rust API on
/// that backend, bit for bit.
fn c_calls_match_the_rust_api(backend: Backend) -> Outputs {
    let exec = Exec::serial().with_backend(backend).unwrap();
    let name = std::ffi::CString::new(backend.name()).unwrap();
    let mut out = Outputs {
        f32: vec![],
        f64: vec![],
        index: vec![],
    };
    // SAFETY (whole function): buffers sized as the header documents.
    unsafe {
        let mut ctx = marker::<Ctx>();
        expect(
            relaxcat_context_new(1, name.as_ptr(), &mut ctx),
            OK,
            "relaxcat_context_new",
            &[],
        );
        let want_dist = rust_dist_f32().with_exec(exec.clone());
        // Strided parameters (ld = 5, NaN padding never read).
        let logits = strided_logits(5);
        let dist = new_f32(ctx, &logits, 5);

        // From a generator, which advances by the rows drawn.
        let mut generator = marker::<Gen>();
        expect(
            relaxcat_generator_new(11, &mut generator),
            OK,
            "relaxcat_generator_new",
            &[],
        );
        let samples = 2;
        let n = samples * B;
        let mut y = vec![0f32; n * K];
        expect(
            relaxcat_dist_f32_rsample(dist, generator, samples, y.as_mut_ptr(), K),
            OK,
            "relaxcat_dist_f32_rsample",
            &[],
        );
        let mut position = 0u64;
        expect(
            relaxcat_generator_position(generator, &mut position),
            OK,
            "relaxcat_generator_position",
            &[],
        );
        assert_eq!(position, n as u64);
        let want = want_dist.rsample(&mut Generator::new(11), samples).unwrap();
        assert_bits_eq("C rsample", &y, &want);

        // Stateless rows into a strided output: the padding is untouched.
        let ld = K + 2;
        let mut strided = vec![sentinel::<f32>(); (n - 1) * ld + K];
        expect(
            relaxcat_dist_f32_rsample_rows(dist, 11, 0, 0, n, strided.as_mut_ptr(), ld),
            OK,
            "relaxcat_dist_f32_rsample_rows",
            &[],
        );
        for r in 0..n {
            assert_bits_eq(
                "C rsample_rows (strided)",
                &strided[r * ld..r * ld + K],
                &y[r * K..(r + 1) * K],
            );
            if r + 1 < n {
                assert_bits_eq(
                    "C rsample_rows padding",
                    &strided[r * ld + K..(r + 1) * ld],
                    &[sentinel::<f32>(); 2],
                );
            }
        }

        let mut lp = vec![0f32; n];
        expect(
            relaxcat_dist_f32_log_prob(dist, n, y.as_ptr(), K, lp.as_mut_ptr()),
            OK,
            "relaxcat_dist_f32_log_prob",
            &[],
        );
        assert_bits_eq("C log_prob", &lp, &want_dist.log_prob(&y).unwrap());

        let up: Vec<f32> = (0..n * K).map(|i| 0.25 * i as f32 - 1.0).collect();
        let (mut gl, mut gt) = (vec![0f32; B * K], vec![0f32; 1]);
        expect(
            relaxcat_dist_f32_rsample_backward(
                dist,
                n,
                y.as_ptr(),
                K,
                null(),
                0,
                up.as_ptr(),
                K,
                gl.as_mut_ptr(),
                K,
                null(),
                0,
                null_mut(),
                0,
                gt.as_mut_ptr(),
                1,
            ),
            OK,
            "relaxcat_dist_f32_rsample_backward",
            &[],
        );
        let (mut hl, mut ht) = (vec![0f32; B * K], vec![0f32; 1]);
        want_dist
            .rsample_backward(
                SampleForm::Soft(&y),
                &up,
                ParamGrads {
                    logits: Some(&mut hl),
                    temperature: Some(&mut ht),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_bits_eq("C rsample_backward logits", &gl, &hl);
        assert_bits_eq("C rsample_backward temperature", &gt, &ht);
        for v in [&y, &lp, &gl, &gt] {
            out.f32.extend(v.iter().map(|x| x.to_bits()));
        }

        expect(
            relaxcat_dist_f32_free(dist),
            OK,
            "relaxcat_dist_f32_free",
            &[],
        );
        expect(
            relaxcat_generator_free(generator),
            OK,
            "relaxcat_generator_free",
            &[],
        );

        // Categorical sampling (top 2 of each row) from the strided logits.
        let t = [T as f32];
        let (mut index, mut index_lp) = (vec![-1i64; n], vec![0f32; n]);
        expect(
            relaxcat_categorical_sample_f32(
                ctx,
                B,
                K,
                logits.as_ptr(),
                5,
                t.as_ptr(),
                1,
                2,
                0,
                4,
                9,
                0,
                n,
                index.as_mut_ptr(),
                index_lp.as_mut_ptr(),
            ),
            OK,
            "relaxcat_categorical_sample_f32",
            &[],
        );
        let contiguous = LOGITS.map(|v| v as f32);
        let (mut want, mut want_lp) = (vec![-1i64; n], vec![0f32; n]);
        relaxcat::categorical::sample_rows(
            &exec,
            relaxcat::categorical::CategoricalParams::new(K, &contiguous, &t).top_k(2),
            Stream::new(4, 9),
            0..n,
            &mut want,
            Some(&mut want_lp),
        )
        .unwrap();
        assert_eq!(index, want, "C categorical indices");
        assert_bits_eq("C categorical log_prob", &index_lp, &want_lp);
        out.f32.extend(index_lp.iter().map(|x| x.to_bits()));
        out.index = index;

        // f64, from logits given contiguously.
        let t = [T];
        let mut dist = marker::<Dist64>();
        expect(
            relaxcat_dist_f64_new(
                ctx,
                B,
                K,
                t.as_ptr(),
                1,
                null(),
                0,
                LOGITS.as_ptr(),
                K,
                0,
                &mut dist,
            ),
            OK,
            "relaxcat_dist_f64_new",
            &[],
        );
        let mut y = vec![0f64; n * K];
        expect(
            relaxcat_dist_f64_rsample_rows(dist, 3, 1, 1, n + 1, y.as_mut_ptr(), K),
            OK,
            "relaxcat_dist_f64_rsample_rows",
            &[],
        );
        let rust = RelaxedOneHotCategorical::builder(K)
            .logits(&LOGITS)
            .temperature(&t)
            .exec(exec)
            .build()
            .unwrap();
        let mut want = vec![0f64; n * K];
        rust.draw(
            Noise::Rows(Stream::new(3, 1), 1..n + 1),
            Draw::Soft(&mut want),
        )
        .unwrap();
        assert_bits_eq("C f64 rsample_rows", &y, &want);
        let mut lp = vec![0f64; n];
        expect(
            relaxcat_dist_f64_log_prob(dist, n, y.as_ptr(), K, lp.as_mut_ptr()),
            OK,
            "relaxcat_dist_f64_log_prob",
            &[],
        );
        assert_bits_eq("C f64 log_prob", &lp, &rust.log_prob(&y).unwrap());
        for v in [&y, &lp] {
            out.f64.extend(v.iter().map(|x| x.to_bits()));
        }
        expect(
            relaxcat_dist_f64_free(dist),
            OK,
            "relaxcat_dist_f64_free",
            &[],
        );
        expect(relaxcat_context_free(ctx), OK, "relaxcat_context_free", &[]);
    }
    out
}

/// Through a context on each backend (under Miri: scalar and portable),
/// the same bits as the Rust API, and as every other backend.
#[test]
fn results_are_the_rust_apis_bits() {
    let mut first: Option<(Backend, Outputs)> = None;
    for backend in Backend::available() {
        let got = c_calls_match_the_rust_api(backend);
        match &first {
            None => first = Some((backend, got)),
            Some((b, want)) => assert!(got == *want, "{backend:?} differs from {b:?}"),
        }
    }
}

#[test]
fn errors_write_nothing() {
    let t = [T as f32];
    let logits = strided_logits(K);
    let l = logits.as_ptr();
    // SAFETY (whole test): every non-NULL pointer addresses the extent the
    // call is told (or the call is rejected before reading it).
    unsafe {
        // Construction: *out is never written on error.
        let mut out = marker::<Dist>();
        let new = |b: usize,
                   k: usize,
                   t: *const f32,
                   tl: usize,
                   p: *const f32,
                   l: *const f32,
                   ld: usize,
                   flags: u32,
                   out: *mut *mut Dist| {
            relaxcat_dist_f32_new(null(), b, k, t, tl, p, ld, l, ld, flags, out)
        };
        let f = "relaxcat_dist_f32_new";
        expect(
            new(B, K, t.as_ptr(), 1, null(), l, K, 0, null_mut()),
            NULL_POINTER,
            f,
            &["out"],
        );
        expect(
            new(B, K, null(), 1, null(), l, K, 0, &mut out),
            NULL_POINTER,
            f,
            &["temperature"],
        );
        expect(
            new(B, K, t.as_ptr(), 1, l, l, K, 0, &mut out),
            INVALID_PARAMETER_CHOICE,
            f,
            &["both"],
        );
        expect(
            new(B, K, t.as_ptr(), 1, null(), null(), K, 0, &mut out),
            INVALID_PARAMETER_CHOICE,
            f,
            &["NULL"],
        );
        expect(
            new(B, 0, t.as_ptr(), 1, null(), l, K, 0, &mut out),
            INVALID_SHAPE,
            f,
            &["0"],
        );
        expect(
            new(0, K, t.as_ptr(), 1, null(), l, K, 0, &mut out),
            INVALID_SHAPE,
            f,
            &["batch_rows"],
        );
        expect(
            new(B, K, t.as_ptr(), 1, null(), l, K - 1, 0, &mut out),
            INVALID_SHAPE,
            f,
            &["logits"],
        );
        // A wrong count (B = 2): `temperature` still holds the 3 values it
        // claims, as the header requires.
        let t3 = [T as f32; 3];
        expect(
            new(B, K, t3.as_ptr(), 3, null(), l, K, 0, &mut out),
            INVALID_SHAPE,
            f,
            &["temperature"],
        );
        expect(
            new(usize::MAX, K, t.as_ptr(), 1, null(), l, K, 0, &mut out),
            SIZE_OVERFLOW,
            f,
            &["logits"],
        );
        expect(
            new(B, K, t.as_ptr(), 1, null(), l, K, 6, &mut out),
            INVALID_OPTION,
            f,
            &["flags"],
        );
        let cold = [0f32];
        expect(
            new(B, K, cold.as_ptr(), 1, null(), l, K, 0, &mut out),
            INVALID_TEMPERATURE,
            f,
            &["temperature"],
        );
        let mut bad = logits.clone();
        bad[4] = f32::NAN;
        expect(
            new(B, K, t.as_ptr(), 1, null(), bad.as_ptr(), K, 0, &mut out),
            INVALID_LOGITS,
            f,
            &["row 1"],
        );
        let misaligned = l.cast::<u8>().wrapping_add(1).cast::<f32>();
        expect(
            new(B, K, t.as_ptr(), 1, null(), misaligned, K, 0, &mut out),
            INVALID_SHAPE,
            f,
            &["aligned"],
        );
        assert_eq!(out, marker(), "*out written on error");

        // Sampling: outputs untouched, the generator not moved.
        let dist = new_f32(null(), &logits, K);
        let mut generator = marker::<Gen>();
        expect(
            relaxcat_generator_new(1, &mut generator),
            OK,
            "relaxcat_generator_new",
            &[],
        );
        let mut y = vec![sentinel::<f32>(); 2 * B * K];
        let f = "relaxcat_dist_f32_rsample";
        expect(
            relaxcat_dist_f32_rsample(null(), generator, 2, y.as_mut_ptr(), K),
            NULL_POINTER,
            f,
            &["dist"],
        );
        expect(
            relaxcat_dist_f32_rsample(dist, null_mut(), 2, y.as_mut_ptr(), K),
            NULL_POINTER,
            f,
            &["generator"],
        );
        expect(
            relaxcat_dist_f32_rsample(dist, generator, 2, null_mut(), K),
            NULL_POINTER,
            f,
            &["out"],
        );
        expect(
            relaxcat_dist_f32_rsample(dist, generator, 2, y.as_mut_ptr(), K - 1),
            INVALID_SHAPE,
            f,
            &["out"],
        );
        expect(
            relaxcat_dist_f32_rsample(dist, generator, usize::MAX, y.as_mut_ptr(), K),
            SIZE_OVERFLOW,
            f,
            &[],
        );
        let y_misaligned = y.as_mut_ptr().cast::<u8>().wrapping_add(2).cast::<f32>();
        expect(
            relaxcat_dist_f32_rsample(dist, generator, 2, y_misaligned, K),
            INVALID_SHAPE,
            f,
            &["aligned"],
        );
        // No samples: NULL is allowed, and nothing moves.
        expect(
            relaxcat_dist_f32_rsample(dist, generator, 0, null_mut(), K),
            OK,
            f,
            &[],
        );
        let mut position = 0u64;
        expect(
            relaxcat_generator_position(generator, &mut position),
            OK,
            "relaxcat_generator_position",
            &[],
        );
        assert_eq!(position, 0, "the generator moved on error");
        let f = "relaxcat_dist_f32_rsample_rows";
        expect(
            relaxcat_dist_f32_rsample_rows(dist, 1, 0, 3, 2, y.as_mut_ptr(), K),
            INVALID_SHAPE,
            f,
            &[],
        );
        expect(
            relaxcat_dist_f32_rsample_rows(dist, 1, 0, 0, 2, null_mut(), K),
            NULL_POINTER,
            f,
            &["out"],
        );
        assert!(
            y.iter().all(|v| v.to_bits() == sentinel::<f32>().to_bits()),
            "output written on error"
        );

        // Densities: bad shapes, values and overlap.
        let f = "relaxcat_dist_f32_log_prob";
        let value = [0.2f32, 0.3, 0.5, 0.6, 0.0, 0.4];
        let mut lp = vec![sentinel::<f32>(); B];
        expect(
            relaxcat_dist_f32_log_prob(dist, 1, value.as_ptr(), K, lp.as_mut_ptr()),
            INVALID_SHAPE,
            f,
            &["multiple"],
        );
        expect(
            relaxcat_dist_f32_log_prob(dist, B, null(), K, lp.as_mut_ptr()),
            NULL_POINTER,
            f,
            &["value"],
        );
        expect(
            relaxcat_dist_f32_log_prob(dist, B, value.as_ptr(), K, null_mut()),
            NULL_POINTER,
            f,
            &["out"],
        );
        let off = [0.2f32, 0.3, 0.6, 0.6, 0.0, 0.4];
        expect(
            relaxcat_dist_f32_log_prob(dist, B, off.as_ptr(), K, lp.as_mut_ptr()),
            INVALID_VALUE,
            f,
            &["row 0"],
        );
        assert!(
            lp.iter()
                .all(|v| v.to_bits() == sentinel::<f32>().to_bits()),
            "output written on error"
        );
        let mut shared = value.to_vec();
        let before = shared.clone();
        let p = shared.as_mut_ptr();
        expect(
            relaxcat_dist_f32_log_prob(dist, B, p, K, p.add(1)),
            ALIASING,
            f,
            &["overlaps"],
        );
        assert_eq!(shared, before);
        expect(
            relaxcat_dist_f32_log_prob(dist, B, value.as_ptr(), K, lp.as_mut_ptr()),
            OK,
            f,
            &[],
        );

        expect(
            relaxcat_dist_f32_free(dist),
            OK,
            "relaxcat_dist_f32_free",
            &[],
        );
        expect(
            relaxcat_generator_free(generator),
            OK,
            "relaxcat_generator_free",
            &[],
        );
    }
}
