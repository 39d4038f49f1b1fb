//! Fuzzes the C ABI: every `relaxcat_*` entry point family, called as a C
//! program would (through the exported `extern "C"` symbols), with sizes,
//! leading dimensions, NULL / misaligned / aliased pointers, temperatures
//! and parameters decoded from the input.
//!
//! ```text
//! input -> element type, specials on/off
//!       -> relaxcat_dist_T_new(ctx, B, K, t, probs|logits, ld, flags)
//!       -> attributes, then up to 12 operations: generator and stateless
//!          samplers (soft, hard, log, fused), log_prob(_x), the five
//!          backward passes, the one-shot functions (every one, against the
//!          handle's), row kernels, generator, contexts, copies,
//!          categorical draws from fuzzed logits, hard indices
//! every call: status known and not INTERNAL; last error "" iff OK;
//!   error -> every buffer byte-identical to before (sentinel fill kept);
//!   OK    -> inputs untouched, padding (ld > K) untouched, results on the
//!            simplex / one-hot / finite as documented, generator moved by
//!            exactly the rows drawn, same bits as the stateless form and
//!            as the scalar backend
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use relaxcat_fuzz::ffi::{Api, CAbi, F32, F64};
use relaxcat_fuzz::relaxcat::Float;
use relaxcat_fuzz::relaxcat::ffi::*;
use relaxcat_fuzz::*;
use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};
use std::sync::LazyLock;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    if input.bool() {
        run::<f64>(&F64, &mut input);
    } else {
        run::<f32>(&F32, &mut input);
    }
});

/// Contexts made once: NULL (caller's thread, default backend), each
/// available backend on one thread, and a pool of two threads.
struct Contexts(Vec<usize>);

static CONTEXTS: LazyLock<Contexts> = LazyLock::new(|| {
    let mut all = vec![0usize];
    for (threads, name) in [
        (1, c"scalar"),
        (1, c"portable"),
        (1, c"avx2"),
        (1, c"avx512vl"),
        (2, c"scalar"),
    ] {
        let mut ctx = null_mut();
        // SAFETY: a NUL-terminated name and a valid out-pointer.
        if unsafe { relaxcat_context_new(threads, name.as_ptr(), &mut ctx) } == RELAXCAT_OK {
            all.push(ctx as usize);
        }
    }
    Contexts(all)
});

impl Contexts {
    fn pick(&self, input: &mut Input) -> *const relaxcat_context {
        self.0[input.byte() as usize % self.0.len()] as *const relaxcat_context
    }
    fn scalar(&self) -> *const relaxcat_context {
        self.0[1] as *const relaxcat_context
    }
}

/// A sentinel bit pattern every buffer starts filled with.
fn sentinel<T: Real>() -> T {
    T::from_bits(0xA5A5_A5A5_A5A5_A5A5)
}

/// Elements a `rows x k` matrix with leading dimension `ld` spans, or None
/// when that overflows `size_t` or `PTRDIFF_MAX` bytes.
fn extent<T>(rows: usize, k: usize, ld: usize) -> Option<usize> {
    let e = match rows {
        0 => 0,
        _ => (rows - 1).checked_mul(ld)?.checked_add(k)?,
    };
    (e.checked_mul(size_of::<T>())? <= isize::MAX as usize).then_some(e)
}

/// A caller buffer: `rows x k` with leading dimension `ld`, or NULL, or
/// misaligned, or an overflowing size (then a small real buffer).
struct Buf<T> {
    v: Vec<T>,
    rows: usize,
    k: usize,
    ld: usize,
    null: bool,
    misaligned: bool,
    /// The call must fail because of this buffer alone.
    bad: bool,
}

const MAX_EXTENT: usize = 4 * MAX_ELEMENTS;

impl<T: Real> Buf<T> {
    /// A buffer for `rows x k` (None: too big to allocate, skip the call).
    fn new(input: &mut Input, rows: usize, k: usize, optional: bool) -> Option<Buf<T>> {
        let mut ld = input.ld(k);
        let mode = input.byte();
        let null = mode < 8;
        let misaligned = (8..12).contains(&mode);
        let mut e = extent::<T>(rows, k, ld);
        if e.is_some_and(|e| e > MAX_EXTENT) {
            ld = k;
            e = extent::<T>(rows, k, ld);
        }
        let bad_size = e.is_none() || ld < k;
        let len = match e {
            Some(e) if e > MAX_EXTENT => return None,
            Some(e) if !bad_size => e,
            _ => k.min(64),
        };
        let bad = bad_size || (null && len > 0 && !optional) || (misaligned && len > 0 && !null);
        let v = vec![sentinel::<T>(); len + misaligned as usize];
        Some(Buf {
            v,
            rows,
            k,
            ld,
            null,
            misaligned,
            bad,
        })
    }

    /// A vector of `len` elements (no leading dimension).
    fn vector(input: &mut Input, len: usize, optional: bool) -> Option<Buf<T>> {
        let mode = input.byte();
        let null = mode < 8;
        let misaligned = (8..12).contains(&mode);
        if len > MAX_EXTENT {
            return None;
        }
        let bad = (null && len > 0 && !optional) || (misaligned && len > 0 && !null);
        Some(Buf {
            v: vec![sentinel::<T>(); len + misaligned as usize],
            rows: 1,
            k: len,
            ld: len,
            null,
            misaligned,
            bad,
        })
    }

    /// An input buffer whose rows are filled by `fill`.
    fn input(
        input: &mut Input,
        rows: usize,
        k: usize,
        mut fill: impl FnMut(&mut Input, usize, usize) -> T,
    ) -> Option<Buf<T>> {
        let mut buf = Buf::new(input, rows, k, false)?;
        if buf.usable() {
            for i in 0..rows {
                for j in 0..k {
                    let v = fill(input, i, j);
                    buf.v[i * buf.ld + j] = v;
                }
            }
        }
        Some(buf)
    }

    /// An input buffer holding the contiguous rows `dense` (k per row).
    fn from_rows(input: &mut Input, dense: &[T], k: usize) -> Option<Buf<T>> {
        Buf::input(input, dense.len() / k, k, |_, i, j| dense[i * k + j])
    }

    /// Whether the elements are really there (not NULL, bad or misaligned).
    fn usable(&self) -> bool {
        !self.null && !self.bad && !self.misaligned
    }

    fn ptr(&self) -> *const T {
        if self.null {
            null()
        } else if self.misaligned {
            // SAFETY: within the allocation (one spare element).
            unsafe { self.v.as_ptr().cast::<u8>().add(1).cast() }
        } else {
            self.v.as_ptr()
        }
    }

    fn mut_ptr(&mut self) -> *mut T {
        self.ptr().cast_mut()
    }

    /// Row `i`'s `k` elements.
    fn row(&self, i: usize) -> &[T] {
        &self.v[i * self.ld..i * self.ld + self.k]
    }

    /// The rows, contiguous.
    fn dense(&self) -> Vec<T> {
        if !self.usable() {
            return vec![];
        }
        (0..self.rows).flat_map(|i| self.row(i).to_vec()).collect()
    }

    /// Whether every element outside the rows' first `k` still holds the sentinel.
    fn padding_intact(&self) -> bool {
        let s = sentinel::<T>().bits();
        self.v.iter().enumerate().all(|(n, x)| {
            let (i, j) = (n / self.ld.max(1), n % self.ld.max(1));
            (i < self.rows && j < self.k && self.ld >= self.k) || x.bits() == s
        })
    }
}

/// The snapshot of every buffer of a call, and the outcome checks.
struct Call<'a, T: Real> {
    name: &'static str,
    before: Vec<Vec<u64>>,
    bufs: Vec<(&'a Buf<T>, bool)>,
}

fn message() -> String {
    // SAFETY: the thread's NUL-terminated message, valid until the next call.
    unsafe { CStr::from_ptr(relaxcat_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Starts a call on `name` with the buffers (`true`: an output).
fn call<'a, T: Real>(name: &'static str, bufs: Vec<(&'a Buf<T>, bool)>) -> Call<'a, T> {
    Call {
        name,
        before: bufs.iter().map(|(b, _)| bits(&b.v)).collect(),
        bufs,
    }
}

impl<T: Real> Call<'_, T> {
    /// Whether the call must fail (a bad buffer among its required ones).
    fn any_bad(&self) -> bool {
        self.bufs.iter().any(|(b, _)| b.bad)
    }

    /// Checks the outcome `status`; `must_fail` / `must_succeed` are what the
    /// caller knows of the arguments. Returns whether the call succeeded.
    fn check(&self, status: relaxcat_status, must_fail: bool, must_succeed: bool) -> bool {
        let name = self.name;
        assert!(
            (0..RELAXCAT_ERROR_INTERNAL).contains(&status),
            "{name} ({}): status {status}: {}",
            T::NAME,
            message()
        );
        let msg = message();
        if status == RELAXCAT_OK {
            assert!(msg.is_empty(), "{name}: OK but last error {msg:?}");
            assert!(!must_fail, "{name} ({}): OK for bad arguments", T::NAME);
            for (i, (b, out)) in self.bufs.iter().enumerate() {
                if *out {
                    assert!(b.padding_intact(), "{name}: output {i} padding written");
                } else {
                    assert!(bits(&b.v) == self.before[i], "{name}: input {i} written");
                }
            }
            true
        } else {
            assert!(!msg.is_empty(), "{name}: status {status} without a message");
            assert!(
                !must_succeed || self.any_bad(),
                "{name} ({}): status {status} for good arguments: {msg}",
                T::NAME
            );
            for (i, (b, _)) in self.bufs.iter().enumerate() {
                assert!(
                    bits(&b.v) == self.before[i],
                    "{name}: buffer {i} written on error {status}: {msg}"
                );
            }
            false
        }
    }
}

/// What the driver knows of the distribution under test.
struct Dist<T: CAbi> {
    handle: *mut T::Dist,
    b: usize,
    k: usize,
    temperature: Vec<T>,
    /// Built with validation on.
    validated: bool,
    /// Valid parameters (validated, or valid anyway): the forms and
    /// backends agree bit for bit. Invalid, unvalidated parameters give
    /// unspecified numbers (src/validate.rs), which need not agree.
    valid: bool,
    /// Parameters where finite results are promised.
    in_range: bool,
    /// Per parameter element: masked (normalised logit `-inf`).
    masked: Vec<bool>,
    /// The contiguous normalised probs attribute.
    probs: Vec<T>,
    /// The parameters as given (contiguous), whether they are probs, and
    /// the flags: what a one-shot call on the same distribution passes.
    given: Vec<T>,
    use_probs: bool,
    flags: u32,
}

impl<T: CAbi> Dist<T> {
    /// The probs as given (contiguous), for a distribution built from probs.
    fn probs_given(&self) -> Option<&[T]> {
        self.use_probs.then_some(&self.given[..])
    }

    fn masked_row(&self, i: usize) -> &[bool] {
        let b = i % self.b;
        &self.masked[b * self.k..(b + 1) * self.k]
    }
}

/// The last sample drawn: rows of K, soft and log forms, contiguous.
struct Sample<T> {
    rows: usize,
    soft: Vec<T>,
    log: Vec<T>,
}

fn run<T: CAbi + Float>(api: &Api<T>, input: &mut Input) {
    misc(input);
    let ctx = CONTEXTS.pick(input);
    let dist = new_dist(api, input, ctx);
    let mut generator = null_mut();
    let seed = input.u64();
    // SAFETY: a valid out-pointer.
    assert_eq!(
        unsafe { relaxcat_generator_new(seed, &mut generator) },
        RELAXCAT_OK
    );
    let mut sample: Option<Sample<T>> = None;
    for _ in 0..12 {
        if input.is_empty() {
            break;
        }
        let op = input.byte() % 14;
        match (op, &dist) {
            (0, Some(d)) => gen_sample(api, input, d, generator, &mut sample),
            (1, Some(d)) => rows_sample(api, input, d, &mut sample),
            (2, Some(d)) => log_prob(api, input, d, sample.as_ref()),
            (3, Some(d)) => backward(api, input, d, sample.as_ref()),
            (4, Some(d)) => log_prob_backward(api, input, d, sample.as_ref()),
            (5, Some(d)) => copy(api, input, d),
            (6, Some(d)) => attributes(api, input, d),
            (7, _) => row_kernels(api, input),
            (8, _) => generator_ops(input, generator),
            (9, _) => context_ops(input),
            (10, Some(d)) => oneshot(api, input, d, sample.as_ref()),
            (11, _) => categorical(api, input),
            (12, Some(d)) => hard_index(api, input, d, generator),
            (_, None) => null_dist(api, input),
            _ => gen_sample(api, input, dist.as_ref().unwrap(), generator, &mut sample),
        }
    }
    // SAFETY: handles from their `_new`, freed once.
    unsafe {
        assert_eq!(relaxcat_generator_free(generator), RELAXCAT_OK);
        if let Some(d) = dist {
            assert_eq!((api.free)(d.handle), RELAXCAT_OK);
        }
        assert_eq!((api.free)(null_mut()), RELAXCAT_OK);
    }
}

/// Status names, version, and a fuzzed status code.
fn misc(input: &mut Input) {
    let code = i32::from_le_bytes(input.bytes::<4>());
    // SAFETY: the functions return static NUL-terminated strings.
    unsafe {
        assert!(
            !CStr::from_ptr(relaxcat_status_str(code))
                .to_bytes()
                .is_empty()
        );
        assert!(
            !CStr::from_ptr(relaxcat_version_string())
                .to_bytes()
                .is_empty()
        );
        assert_eq!(relaxcat_abi_version(), 1);
    }
}

fn new_dist<T: CAbi>(
    api: &Api<T>,
    input: &mut Input,
    ctx: *const relaxcat_context,
) -> Option<Dist<T>> {
    let k = if input.byte() < 4 { 0 } else { input.k() };
    let max_b = MAX_ELEMENTS / k.max(1);
    let b = match input.byte() {
        0..=3 => 0,
        4..=5 => input.huge(),
        _ => 1 + input.upto(max_b.min(64) - 1),
    };
    let b_alloc = if b > max_b { 1 } else { b };
    let t_len = match input.byte() {
        0..=191 => 1,
        192..=247 => b_alloc,
        _ => input.upto(4),
    };
    let scalar_t = input.real::<T>(Flavor::Temperature);
    let mut temperature = Buf::vector(input, t_len, false)?;
    if temperature.usable() {
        for j in 0..t_len {
            temperature.v[j] = if j == 0 || input.byte() < 128 {
                scalar_t
            } else {
                input.real(Flavor::Temperature)
            };
        }
    }
    let which = input.byte();
    let use_probs = which & 1 == 1;
    let both_or_neither = which >= 250;
    let flags: u32 = match input.byte() {
        0..=199 => 0,
        200..=249 => 1,
        _ => u32::from_le_bytes(input.bytes::<4>()),
    };
    let flavor = if use_probs {
        Flavor::Prob
    } else {
        Flavor::Logit
    };
    let row_scale = input.byte();
    let params = Buf::<T>::input(input, b_alloc, k, |input, _, _| {
        let v = input.real::<T>(flavor);
        if row_scale < 16 {
            T::from_f(v.to_f() * 1e3)
        } else {
            v
        }
    })?;
    let other = if both_or_neither && which & 2 == 2 {
        Some(Buf::<T>::input(input, b_alloc, k, |input, _, _| {
            input.real(flavor)
        })?)
    } else {
        None
    };
    // The parameter pointer(s) as passed: exactly one, both, or neither
    // (a NULL-mode buffer counts as not passed).
    let (probs_buf, logits_buf) = match (use_probs, &other) {
        (_, Some(o)) => (Some(&params), Some(o)),
        (true, None) if !both_or_neither => (Some(&params), None),
        (false, None) if !both_or_neither => (None, Some(&params)),
        _ => (None, None),
    };
    let ptr_ld = |b: Option<&Buf<T>>, input: &mut Input| match b {
        Some(b) => (b.ptr(), b.ld),
        None => (null(), input.upto(3)),
    };
    let (probs_ptr, probs_ld) = ptr_ld(probs_buf, input);
    let (logits_ptr, logits_ld) = ptr_ld(logits_buf, input);
    let passed: Vec<(bool, &Buf<T>)> = [(true, probs_buf), (false, logits_buf)]
        .into_iter()
        .filter_map(|(p, b)| b.filter(|b| !b.null).map(|b| (p, b)))
        .collect();
    let (use_probs, chosen) = match passed[..] {
        [(p, b)] => (p, Some(b)),
        _ => (use_probs, None),
    };
    let given = chosen.map(|b| b.dense()).unwrap_or_default();
    let validated = flags == 0;
    let values_ok = chosen.is_none_or(|b| {
        !b.usable()
            || if use_probs {
                probs_valid(&given, k.max(1))
            } else {
                logits_valid(&given, k.max(1))
            }
    });
    let t = temperature.dense();
    let must_fail = k == 0
        || b == 0
        || b > max_b
        || (t_len != 1 && t_len != b)
        || temperature.bad
        || chosen.is_none_or(|b| b.bad)
        || flags > 1
        || (validated && !(temperatures_valid(&t) && values_ok));
    let must_succeed = !must_fail && temperature.usable() && chosen.is_some_and(|b| b.usable());

    let mut all = vec![(&temperature, false), (&params, false)];
    all.extend(other.as_ref().map(|o| (o, false)));
    let c = call("relaxcat_dist_T_new", all);
    let mut out = 0x5EA1usize as *mut T::Dist;
    let out_ptr = if input.byte() < 4 {
        null_mut()
    } else {
        &mut out
    };
    // SAFETY: buffers hold their extents (or are NULL / deliberately bad,
    // which the library must reject before reading).
    let status = unsafe {
        (api.new)(
            ctx,
            b,
            k,
            temperature.ptr(),
            t_len,
            probs_ptr,
            probs_ld,
            logits_ptr,
            logits_ld,
            flags,
            out_ptr,
        )
    };
    let must_fail = must_fail || out_ptr.is_null();
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!(
            "new: k {k} b {b} t_len {t_len} t {:?} tbad {} pbad {} null {} mis {} ld {} use_probs {use_probs} both {both_or_neither} flags {flags} given {given:?} status {status} {}",
            temperature.v,
            temperature.bad,
            params.bad,
            params.null,
            params.misaligned,
            params.ld,
            message()
        );
    }
    if !c.check(status, must_fail, must_succeed && !out_ptr.is_null()) {
        assert_eq!(out as usize, 0x5EA1, "dist_new wrote *out on error");
        return None;
    }
    let in_range = validated && in_range(&t, (!use_probs).then_some(&given[..]));
    let valid = validated || (temperatures_valid(&t) && values_ok);
    let mut d = Dist {
        handle: out,
        b,
        k,
        temperature: t,
        validated,
        valid,
        in_range,
        masked: vec![],
        probs: vec![],
        given,
        use_probs,
        flags,
    };
    check_attributes(api, &mut d, use_probs);
    Some(d)
}

/// The attributes: sizes, temperature, probs on the simplex, logits
/// `-inf` exactly where probs are 0 (with validation on).
fn check_attributes<T: CAbi>(api: &Api<T>, d: &mut Dist<T>, use_probs: bool) {
    let h = d.handle;
    let (mut k, mut b, mut tl, mut param, mut validates) = (0, 0, 0, -1, -1);
    let mut t = vec![T::default(); d.temperature.len()];
    let mut probs = vec![T::default(); d.b * d.k];
    let mut logits = vec![T::default(); d.b * d.k];
    // SAFETY: out-pointers and buffers of the sizes the handle reports.
    unsafe {
        assert_eq!((api.num_categories)(h, &mut k), RELAXCAT_OK);
        assert_eq!((api.batch_rows)(h, &mut b), RELAXCAT_OK);
        assert_eq!((api.temperature_len)(h, &mut tl), RELAXCAT_OK);
        assert_eq!((api.param)(h, &mut param), RELAXCAT_OK);
        assert_eq!((api.validates)(h, &mut validates), RELAXCAT_OK);
        assert_eq!((api.temperature)(h, t.as_mut_ptr(), tl), RELAXCAT_OK);
        assert_eq!((api.probs)(h, probs.as_mut_ptr(), d.k), RELAXCAT_OK);
        assert_eq!((api.logits)(h, logits.as_mut_ptr(), d.k), RELAXCAT_OK);
    }
    assert_eq!((k, b, tl), (d.k, d.b, d.temperature.len()));
    assert_eq!(
        param,
        if use_probs {
            RELAXCAT_PARAM_PROBS
        } else {
            RELAXCAT_PARAM_LOGITS
        }
    );
    assert_eq!(validates, d.validated as i32);
    assert!(bits(&t) == bits(&d.temperature), "temperature attribute");
    d.masked = logits
        .iter()
        .map(|l| l.to_f() == f64::NEG_INFINITY)
        .collect();
    if d.validated {
        for i in 0..b {
            let m = &d.masked[i * k..(i + 1) * k];
            assert!(m.iter().any(|m| !m), "row {i} all masked");
            check_simplex("probs attribute", &probs[i * k..(i + 1) * k], m);
            check_no_nan("logits attribute", &logits[i * k..(i + 1) * k]);
        }
    }
    d.probs = probs;
}

/// Attributes through strided, NULL or short outputs.
fn attributes<T: CAbi>(api: &Api<T>, input: &mut Input, d: &Dist<T>) {
    let which = input.byte() % 3;
    let out = if which == 2 {
        Buf::<T>::vector(input, d.temperature.len(), false)
    } else {
        Buf::<T>::new(input, d.b, d.k, false)
    };
    let Some(mut out) = out else {
        return;
    };
    let p = out.mut_ptr();
    let c = call(
        "relaxcat_dist_T_probs/logits/temperature",
        vec![(&out, true)],
    );
    // SAFETY: `out` holds its extent (or is rejected).
    let status = unsafe {
        match which {
            0 => (api.probs)(d.handle, p, out.ld),
            1 => (api.logits)(d.handle, p, out.ld),
            _ => (api.temperature)(d.handle, p, d.temperature.len()),
        }
    };
    let ok = c.check(status, out.bad, !out.bad);
    if ok && which == 0 {
        for i in 0..d.b {
            assert!(same(out.row(i), &d.probs[i * d.k..(i + 1) * d.k]));
        }
    }
}

/// A distribution handle of NULL: every family reports RELAXCAT_ERROR_NULL_POINTER.
fn null_dist<T: CAbi>(api: &Api<T>, input: &mut Input) {
    let mut out = [T::default(); 4];
    let mut n = 0usize;
    let p = out.as_mut_ptr();
    // SAFETY: a NULL handle must be rejected before anything is read.
    let status = unsafe {
        match input.byte() % 6 {
            0 => (api.num_categories)(null(), &mut n),
            1 => (api.rsample_rows)(null(), 1, 0, 0, 1, p, 1),
            2 => (api.log_prob)(null(), 1, p, 1, p.add(2)),
            3 => {
                (api.rsample_hard_with_log_rows)(null(), 1, 0, 0, 1, p, 1, p.add(1), 1, p.add(2), 1)
            }
            4 => (api.free)(null_mut()),
            _ => (api.rsample_backward)(
                null(),
                0,
                null(),
                1,
                null(),
                1,
                null(),
                1,
                null_mut(),
                1,
                null(),
                1,
                null_mut(),
                1,
                null_mut(),
                0,
            ),
        }
    };
    assert!(
        status == RELAXCAT_ERROR_NULL_POINTER || status == RELAXCAT_OK,
        "NULL dist: {status}"
    );
}

/// The number of sample rows for `samples` draws of `b` rows, or a huge
/// count (whose buffer extent overflows).
fn sample_count(input: &mut Input, d: &Dist<impl CAbi>) -> usize {
    if input.byte() < 6 {
        input.huge()
    } else {
        input.upto((MAX_ELEMENTS / (d.b * d.k)).min(8))
    }
}

/// The bits of stateless rows `[a, b)` of `(seed, offset)` from `rsample_rows`
/// and `rsample_log_rows`, contiguous; on the scalar context when `scalar`.
fn reference<T: CAbi>(
    api: &Api<T>,
    d: &Dist<T>,
    seed: u64,
    offset: u64,
    rows: std::ops::Range<usize>,
    scalar: bool,
) -> (Vec<T>, Vec<T>) {
    let n = rows.len() * d.k;
    let (mut soft, mut log) = (vec![T::default(); n], vec![T::default(); n]);
    let mut handle = d.handle;
    if scalar {
        // SAFETY: valid handle and context, out-pointer.
        assert_eq!(
            unsafe { (api.with_context)(d.handle, CONTEXTS.scalar(), &mut handle) },
            RELAXCAT_OK
        );
    }
    // SAFETY: contiguous outputs of the rows' extent.
    unsafe {
        let s = (api.rsample_rows)(
            handle,
            seed,
            offset,
            rows.start,
            rows.end,
            soft.as_mut_ptr(),
            d.k,
        );
        assert_eq!(s, RELAXCAT_OK, "{}", message());
        let s = (api.rsample_log_rows)(
            handle,
            seed,
            offset,
            rows.start,
            rows.end,
            log.as_mut_ptr(),
            d.k,
        );
        assert_eq!(s, RELAXCAT_OK, "{}", message());
        if scalar {
            assert_eq!((api.free)(handle), RELAXCAT_OK);
        }
    }
    (soft, log)
}

/// Which outputs a sampler family writes.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    Soft,
    Sample,
    Log,
    Hard,
    WithLog,
    HardWithLog,
}

const FAMILIES: [Family; 6] = [
    Family::Soft,
    Family::Sample,
    Family::Log,
    Family::Hard,
    Family::WithLog,
    Family::HardWithLog,
];

/// Checks sampler outputs against the invariants and the stateless
/// reference rows `refs`; remembers them as the last sample.
fn check_samples<T: CAbi>(
    d: &Dist<T>,
    family: Family,
    outs: &[&Buf<T>],
    first_row: usize,
    refs: &(Vec<T>, Vec<T>),
    sample: &mut Option<Sample<T>>,
) {
    let rows = outs[0].rows;
    let k = d.k;
    let (soft_at, log_at, hard_at) = match family {
        Family::Soft | Family::Sample => (Some(0), None, None),
        Family::Log => (None, Some(0), None),
        Family::Hard => (Some(1), None, Some(0)),
        Family::WithLog => (Some(0), Some(1), None),
        Family::HardWithLog => (Some(1), Some(2), Some(0)),
    };
    for i in 0..rows {
        let m = d.masked_row(first_row + i);
        let r = &refs.0[i * k..(i + 1) * k];
        let lr = &refs.1[i * k..(i + 1) * k];
        if let Some(s) = soft_at {
            let row = outs[s].row(i);
            assert!(
                !d.valid || same(row, r),
                "soft row {i} differs from rsample_rows: {row:?} vs {r:?}"
            );
            if d.validated {
                check_simplex("sample", row, m);
            }
        }
        if let Some(l) = log_at {
            let row = outs[l].row(i);
            assert!(
                !d.valid || same(row, lr),
                "log row {i} differs from rsample_log_rows: {row:?} vs {lr:?}"
            );
            if d.validated {
                check_log_simplex("log sample", row, m, d.in_range);
            }
        }
        if let Some(h) = hard_at {
            if d.valid {
                check_one_hot("hard sample", outs[h].row(i), r);
            }
        }
    }
    *sample = Some(Sample {
        rows,
        soft: refs.0.clone(),
        log: refs.1.clone(),
    });
}

/// The generator samplers: rsample, sample, rsample_log, rsample_hard,
/// rsample_with_log, rsample_hard_with_log.
fn gen_sample<T: CAbi>(
    api: &Api<T>,
    input: &mut Input,
    d: &Dist<T>,
    generator: *mut relaxcat_generator,
    sample: &mut Option<Sample<T>>,
) {
    let family = FAMILIES[input.byte() as usize % FAMILIES.len()];
    let samples = sample_count(input, d);
    let rows = samples.checked_mul(d.b).unwrap_or(usize::MAX);
    let n_out = match family {
        Family::Soft | Family::Sample | Family::Log => 1,
        Family::Hard | Family::WithLog => 2,
        Family::HardWithLog => 3,
    };
    let mut outs = Vec::new();
    for _ in 0..n_out {
        let Some(b) = Buf::<T>::new(input, rows, d.k, false) else {
            return;
        };
        outs.push(b);
    }
    let alias = n_out > 1 && input.byte() < 8;
    let null_gen = input.byte() < 4;
    let g = if null_gen { null_mut() } else { generator };
    let (mut seed, mut before) = (0, 0);
    // SAFETY: a valid generator handle and out-pointers.
    unsafe {
        assert_eq!(relaxcat_generator_seed(generator, &mut seed), RELAXCAT_OK);
        assert_eq!(
            relaxcat_generator_position(generator, &mut before),
            RELAXCAT_OK
        );
    }
    let mut ptrs: Vec<(*mut T, usize)> = outs.iter_mut().map(|b| (b.mut_ptr(), b.ld)).collect();
    if alias {
        // The second output is the first: an aliasing error unless empty.
        ptrs[1] = ptrs[0];
        outs.truncate(1);
    }
    let aliased = alias && !outs[0].bad && !outs[0].null && rows > 0;
    let refs: Vec<&Buf<T>> = outs.iter().collect();
    let c = call(
        "relaxcat_dist_T_rsample*",
        refs.iter().map(|b| (*b, true)).collect(),
    );
    // SAFETY: each output holds its extent (or is rejected).
    let status = unsafe {
        let [(p0, l0), rest @ ..] = &ptrs[..] else {
            unreachable!()
        };
        match family {
            Family::Soft => (api.rsample)(d.handle, g, samples, *p0, *l0),
            Family::Sample => (api.sample)(d.handle, g, samples, *p0, *l0),
            Family::Log => (api.rsample_log)(d.handle, g, samples, *p0, *l0),
            Family::Hard => {
                (api.rsample_hard)(d.handle, g, samples, *p0, *l0, rest[0].0, rest[0].1)
            }
            Family::WithLog => {
                (api.rsample_with_log)(d.handle, g, samples, *p0, *l0, rest[0].0, rest[0].1)
            }
            Family::HardWithLog => (api.rsample_hard_with_log)(
                d.handle, g, samples, *p0, *l0, rest[0].0, rest[0].1, rest[1].0, rest[1].1,
            ),
        }
    };
    let must_fail = null_gen || aliased || c.any_bad() || samples.checked_mul(d.b).is_none();
    let ok = c.check(status, must_fail, !must_fail && !alias);
    let mut after = 0;
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            relaxcat_generator_position(generator, &mut after),
            RELAXCAT_OK
        )
    };
    if !ok {
        assert_eq!(after, before, "generator moved on error");
        return;
    }
    assert_eq!(
        after,
        before.wrapping_add(rows as u64),
        "generator position"
    );
    let scalar = input.byte() < 64;
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!(
            "gen: family {} scalar {scalar} rows {rows} k {} b {} t {:?} probs {:?} validated {}",
            family as u8, d.k, d.b, d.temperature, d.probs, d.validated
        );
    }
    let refs_rows = reference(api, d, seed, before, 0..rows, scalar);
    check_samples(d, family, &refs, 0, &refs_rows, sample);
}

/// The stateless samplers on rows `[begin, end)` of `(seed, offset)`.
fn rows_sample<T: CAbi>(
    api: &Api<T>,
    input: &mut Input,
    d: &Dist<T>,
    sample: &mut Option<Sample<T>>,
) {
    let family = FAMILIES[input.byte() as usize % FAMILIES.len()];
    let family = if family == Family::Sample {
        Family::Soft
    } else {
        family
    };
    let seed = input.u64();
    let offset = match input.byte() {
        0..=127 => input.upto(300) as u64,
        128..=191 => u64::MAX - input.upto(300) as u64,
        _ => input.u64(),
    };
    let begin = match input.byte() {
        0..=199 => input.upto(200),
        200..=239 => usize::MAX - input.upto(50),
        _ => input.u64() as usize,
    };
    let count = input.upto(MAX_ELEMENTS / d.k).min(64);
    let (end, reversed) = match input.byte() {
        0..=3 => (begin.wrapping_sub(1 + input.upto(3)), true),
        _ => match begin.checked_add(count) {
            Some(e) => (e, false),
            None => return,
        },
    };
    let rows = if reversed { 1 } else { end - begin };
    let n_out = match family {
        Family::Soft | Family::Sample | Family::Log => 1,
        Family::Hard | Family::WithLog => 2,
        Family::HardWithLog => 3,
    };
    let mut outs = Vec::new();
    for _ in 0..n_out {
        let Some(b) = Buf::<T>::new(input, rows, d.k, false) else {
            return;
        };
        outs.push(b);
    }
    let p: Vec<(*mut T, usize)> = outs.iter_mut().map(|b| (b.mut_ptr(), b.ld)).collect();
    let refs: Vec<&Buf<T>> = outs.iter().collect();
    let c = call(
        "relaxcat_dist_T_rsample*_rows",
        refs.iter().map(|b| (*b, true)).collect(),
    );
    let h = d.handle;
    // SAFETY: each output holds its extent (or is rejected).
    let status = unsafe {
        match family {
            Family::Soft | Family::Sample => {
                (api.rsample_rows)(h, seed, offset, begin, end, p[0].0, p[0].1)
            }
            Family::Log => (api.rsample_log_rows)(h, seed, offset, begin, end, p[0].0, p[0].1),
            Family::Hard => {
                (api.rsample_hard_rows)(h, seed, offset, begin, end, p[0].0, p[0].1, p[1].0, p[1].1)
            }
            Family::WithLog => (api.rsample_with_log_rows)(
                h, seed, offset, begin, end, p[0].0, p[0].1, p[1].0, p[1].1,
            ),
            Family::HardWithLog => (api.rsample_hard_with_log_rows)(
                h, seed, offset, begin, end, p[0].0, p[0].1, p[1].0, p[1].1, p[2].0, p[2].1,
            ),
        }
    };
    if !c.check(status, reversed || c.any_bad(), !reversed) {
        return;
    }
    // Row `begin + i` comes from parameter row `(begin + i) % B`.
    let scalar = input.byte() < 64;
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!(
            "rows: family {} scalar {scalar} [{begin}, {end}) offset {offset} k {} b {} t {:?} probs {:?} validated {}",
            family as u8, d.k, d.b, d.temperature, d.probs, d.validated
        );
    }
    let refs_rows = if family == Family::Soft {
        // The reference itself: compare with a split call instead.
        let mid = begin + rows / 2;
        let a = reference(api, d, seed, offset, begin..mid, scalar);
        let b = reference(api, d, seed, offset, mid..end, scalar);
        ([a.0, b.0].concat(), [a.1, b.1].concat())
    } else {
        reference(api, d, seed, offset, begin..end, scalar)
    };
    check_samples(d, family, &refs, begin, &refs_rows, sample);
}

/// The one-shot samplers (soft, log, hard, fused) and densities on the
/// distribution's parameters as given, against the handle's functions: the
/// same status, and for valid parameters the same bits. The one-shot
/// backward passes are checked in [`backward`] and [`log_prob_backward`],
/// on the buffers of the handle's call.
fn oneshot<T: CAbi>(api: &Api<T>, input: &mut Input, d: &Dist<T>, sample: Option<&Sample<T>>) {
    let k = d.k;
    let params = oneshot_params(d);
    let ctx = CONTEXTS.pick(input);
    let same_bits = |what: &str, a: &[T], b: &[T]| same_as_handle(what, d, a, b);
    if input.byte() < 128 {
        let seed = input.u64();
        let offset = input.upto(300) as u64;
        let begin = input.upto(200);
        let rows = 1 + input.upto((MAX_ELEMENTS / k.max(1)).clamp(1, 32) - 1);
        let end = begin + rows;
        let which = input.byte() % 4;
        let fill = || vec![sentinel::<T>(); rows * k];
        let (mut h1, mut h2, mut o1, mut o2) = (fill(), fill(), fill(), fill());
        let (h1p, h2p, o1p, o2p) = (
            h1.as_mut_ptr(),
            h2.as_mut_ptr(),
            o1.as_mut_ptr(),
            o2.as_mut_ptr(),
        );
        // SAFETY: every output holds rows x K; the parameter pointers are
        // the distribution's own (dense) copies.
        let (h, o) = unsafe {
            match which {
                0 => (
                    (api.rsample_rows)(d.handle, seed, offset, begin, end, h1p, k),
                    (api.oneshot_rsample_rows)(ctx, &params, seed, offset, begin, end, o1p, k),
                ),
                1 => (
                    (api.rsample_log_rows)(d.handle, seed, offset, begin, end, h1p, k),
                    (api.oneshot_rsample_log_rows)(ctx, &params, seed, offset, begin, end, o1p, k),
                ),
                2 => (
                    (api.rsample_hard_rows)(d.handle, seed, offset, begin, end, h1p, k, h2p, k),
                    (api.oneshot_rsample_hard_rows)(
                        ctx, &params, seed, offset, begin, end, o1p, k, o2p, k,
                    ),
                ),
                _ => (
                    (api.rsample_with_log_rows)(d.handle, seed, offset, begin, end, h1p, k, h2p, k),
                    (api.oneshot_rsample_with_log_rows)(
                        ctx, &params, seed, offset, begin, end, o1p, k, o2p, k,
                    ),
                ),
            }
        };
        assert_eq!(o, h, "one-shot sampler {which} status: {}", message());
        assert_ne!(o, RELAXCAT_ERROR_INTERNAL);
        if o == RELAXCAT_OK {
            same_bits("sampler", &o1, &h1);
            same_bits("sampler (second output)", &o2, &h2);
        } else {
            let s = sentinel::<T>().bits();
            assert!(o1.iter().chain(&o2).all(|x| x.bits() == s));
        }
    } else {
        let log_space = input.byte() < 128;
        let (v, _) = values(input, d, sample, log_space);
        let n = v.len() / k.max(1);
        let mut by_handle = vec![sentinel::<T>(); n];
        let mut one_shot = vec![sentinel::<T>(); n];
        let (handle_fn, one_shot_fn) = if log_space {
            (api.log_prob_x, api.oneshot_log_prob_x)
        } else {
            (api.log_prob, api.oneshot_log_prob)
        };
        // SAFETY: value holds n x K; the outputs hold n.
        let (h, o) = unsafe {
            (
                handle_fn(d.handle, n, v.as_ptr(), k, by_handle.as_mut_ptr()),
                one_shot_fn(ctx, &params, n, v.as_ptr(), k, one_shot.as_mut_ptr()),
            )
        };
        assert_eq!(o, h, "one-shot log_prob status: {}", message());
        assert_ne!(o, RELAXCAT_ERROR_INTERNAL);
        if o == RELAXCAT_OK {
            same_bits("log_prob", &one_shot, &by_handle);
        } else {
            assert!(one_shot.iter().all(|x| x.bits() == sentinel::<T>().bits()));
        }
    }
}

/// The `relaxcat_params_T` of the distribution's parameters as given: what
/// a one-shot call on the same distribution passes.
fn oneshot_params<T: CAbi>(d: &Dist<T>) -> T::Params {
    let given = &d.given;
    T::params(
        d.b,
        d.k,
        d.temperature.as_ptr(),
        d.temperature.len(),
        if d.use_probs { given.as_ptr() } else { null() },
        d.k,
        if d.use_probs { null() } else { given.as_ptr() },
        d.k,
        d.flags,
    )
}

/// For valid parameters, a one-shot output `a` has the bits of the handle's
/// `b`, except that a NaN matches any NaN (a value scored with validation
/// off may be invalid, and the payload of the NaN it gives is not
/// specified).
fn same_as_handle<T: CAbi>(what: &str, d: &Dist<T>, a: &[T], b: &[T]) {
    if d.valid {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                x.bits() == y.bits() || (x.nan() && y.nan()),
                "one-shot {what} element {i}: {x:?} vs the handle's {y:?}"
            );
        }
    }
}

/// Repeats a handle's backward call (status `status`) as the one-shot
/// call `one_shot` on the same buffers: the outputs `outs` are first reset
/// to `fresh`, what they held before the handle's call. The one-shot call
/// never fails with `RELAXCAT_ERROR_INTERNAL` and writes nothing on error;
/// when the two calls take the same arguments (`comparable`: the given
/// probs, which the one-shot form takes from its parameters, played no
/// part in the handle's status) both succeed with, for valid parameters,
/// the same bits, or both fail (not always with the same status: with
/// several bad arguments, the two forms may report different ones first). The handle's results are put back at the end.
fn backward_again<T: CAbi>(
    what: &str,
    d: &Dist<T>,
    status: relaxcat_status,
    outs: &mut [&mut Buf<T>],
    fresh: &[Vec<T>],
    comparable: bool,
    one_shot: impl FnOnce() -> relaxcat_status,
) {
    let handle_message = message();
    let by_handle: Vec<Vec<T>> = outs.iter().map(|b| b.v.clone()).collect();
    for (b, f) in outs.iter_mut().zip(fresh) {
        b.v.copy_from_slice(f);
    }
    let s = one_shot();
    assert!(
        (0..RELAXCAT_ERROR_INTERNAL).contains(&s),
        "one-shot {what}: status {s}: {}",
        message()
    );
    if s != RELAXCAT_OK {
        assert!(!message().is_empty(), "one-shot {what}: no message");
        for (i, (b, f)) in outs.iter().zip(fresh).enumerate() {
            assert!(
                bits(&b.v) == bits(f),
                "one-shot {what}: output {i} written on error"
            );
        }
    }
    if comparable {
        // Which of several bad arguments is reported first may differ.
        assert_eq!(
            s == RELAXCAT_OK,
            status == RELAXCAT_OK,
            "one-shot {what}: status {s} ({}), the handle's {status} ({handle_message})",
            message()
        );
        if s == RELAXCAT_OK {
            for (b, h) in outs.iter().zip(&by_handle) {
                same_as_handle(what, d, &b.v, h);
            }
        }
    }
    // The caller's checks look at the handle's results.
    for (b, h) in outs.iter_mut().zip(&by_handle) {
        b.v.copy_from_slice(h);
    }
}

/// Value rows to score: the last sample (soft or log form) or fuzzed rows.
fn values<T: CAbi>(
    input: &mut Input,
    d: &Dist<T>,
    sample: Option<&Sample<T>>,
    log_space: bool,
) -> (Vec<T>, bool) {
    match (input.byte() % 4, sample) {
        (0..=1, Some(s)) => (
            if log_space {
                s.log.clone()
            } else {
                s.soft.clone()
            },
            true,
        ),
        (2, _) => {
            // Normalised fuzzed weights (on the simplex to rounding).
            let rows = d.b * (1 + input.upto(2));
            let mut v = Vec::with_capacity(rows * d.k);
            for _ in 0..rows {
                let w: Vec<f64> = (0..d.k)
                    .map(|_| input.real::<T>(Flavor::Prob).to_f())
                    .collect();
                let total: f64 = w.iter().sum();
                v.extend(w.iter().map(|x| {
                    let y = x / total;
                    T::from_f(if log_space { y.ln() } else { y })
                }));
            }
            (v, false)
        }
        _ => {
            let rows = if input.byte() < 8 { d.b + 1 } else { d.b };
            let v = (0..rows * d.k)
                .map(|_| input.real::<T>(Flavor::Grad))
                .collect();
            (v, false)
        }
    }
}

/// `log_prob` and `log_prob_x`.
fn log_prob<T: CAbi>(api: &Api<T>, input: &mut Input, d: &Dist<T>, sample: Option<&Sample<T>>) {
    let log_space = input.bool();
    let (v, from_sampler) = values(input, d, sample, log_space);
    if v.len() / d.k > MAX_ELEMENTS {
        return;
    }
    let Some(value) = Buf::from_rows(input, &v, d.k) else {
        return;
    };
    let n = value.rows;
    let Some(mut out) = Buf::<T>::vector(input, n, false) else {
        return;
    };
    let alias = input.byte() < 6 && value.usable() && n > 0;
    let out_ptr = if alias {
        value.ptr().cast_mut()
    } else {
        out.mut_ptr()
    };
    let c = call(
        "relaxcat_dist_T_log_prob(_x)",
        vec![(&value, false), (&out, true)],
    );
    let f = if log_space {
        api.log_prob_x
    } else {
        api.log_prob
    };
    // SAFETY: value holds N x K at value.ld, out N elements (or rejected).
    let status = unsafe { f(d.handle, n, value.ptr(), value.ld, out_ptr) };
    let out_bad = !alias && out.bad;
    let must_fail = alias || out_bad || value.bad || n % d.b != 0;
    let values_bad = d.validated
        && v.iter().any(|x| {
            let x = x.to_f();
            if log_space {
                x.is_nan() || x > 0.0
            } else {
                !(0.0..=1.0).contains(&x)
            }
        });
    if !c.check(status, must_fail || (values_bad && value.usable()), false) {
        if from_sampler && d.validated && !must_fail && value.usable() {
            panic!(
                "sampler output rejected by log_prob{}: {}",
                if log_space { "_x" } else { "" },
                message()
            );
        }
        return;
    }
    let lp = &out.v[..n];
    if !d.validated {
        return;
    }
    for (i, &x) in lp.iter().enumerate() {
        let x = x.to_f();
        assert!(!x.is_nan() && x != f64::INFINITY, "log_prob row {i} is {x}");
        let m = d.masked_row(i);
        let row = &v[i * d.k..(i + 1) * d.k];
        let on_support = row.iter().zip(m).all(|(y, &m)| {
            let y = y.to_f();
            if log_space {
                if m {
                    y == f64::NEG_INFINITY
                } else {
                    y.is_finite()
                }
            } else if m {
                y == 0.0
            } else {
                y > 0.0
            }
        });
        if d.in_range && on_support {
            assert!(
                x.is_finite(),
                "log_prob row {i} is {x} on the support, row {row:?}"
            );
        }
        if !log_space && !on_support && row.iter().all(|y| y.finite()) {
            assert!(
                x == f64::NEG_INFINITY,
                "log_prob row {i} off the support is {x}"
            );
        }
    }
}

/// The sampler backward passes.
fn backward<T: CAbi>(api: &Api<T>, input: &mut Input, d: &Dist<T>, sample: Option<&Sample<T>>) {
    let which = input.byte() % 3;
    let (rows, soft, log, from_sampler) = match sample {
        Some(s) if input.byte() < 200 => (s.rows, s.soft.clone(), s.log.clone(), true),
        _ => {
            let rows = d.b * input.upto(2);
            let soft: Vec<T> = (0..rows * d.k).map(|_| input.real(Flavor::Prob)).collect();
            let log: Vec<T> = (0..rows * d.k).map(|_| input.real(Flavor::Grad)).collect();
            (rows, soft, log, false)
        }
    };
    let form = input.byte() % 3; // 0 soft, 1 log, 2 both
    let Some(soft_b) = Buf::from_rows(input, &soft, d.k) else {
        return;
    };
    let Some(log_b) = Buf::from_rows(input, &log, d.k) else {
        return;
    };
    let Some(grad) = Buf::input(input, rows, d.k, |input, _, _| input.real(Flavor::Grad)) else {
        return;
    };
    let (b, k) = (d.b, d.k);
    let Some(mut gl) = Buf::<T>::new(input, b, k, true) else {
        return;
    };
    let given = match d.probs_given() {
        Some(p) => Buf::from_rows(input, p, k),
        None => Buf::input(input, b, k, |input, _, _| input.real(Flavor::Prob)),
    };
    let Some(given) = given else {
        return;
    };
    let Some(mut gp) = Buf::<T>::new(input, b, k, true) else {
        return;
    };
    let t_len = if input.byte() < 8 {
        input.upto(3)
    } else {
        d.temperature.len()
    };
    let Some(mut gt) = Buf::<T>::vector(input, t_len, true) else {
        return;
    };
    let soft_ptr = if form == 1 { null() } else { soft_b.ptr() };
    let log_ptr = if form == 0 { null() } else { log_b.ptr() };
    let (glp, gpp, gtp) = (gl.mut_ptr(), gp.mut_ptr(), gt.mut_ptr());
    let (gl_ld, gp_ld) = (gl.ld, gp.ld);
    let fresh = [&gl, &gp, &gt].map(|b| b.v.clone());
    let c = call(
        "relaxcat_dist_T_rsample*_backward",
        vec![
            (&soft_b, false),
            (&log_b, false),
            (&grad, false),
            (&given, false),
            (&gl, true),
            (&gp, true),
            (&gt, true),
        ],
    );
    let f = [
        api.rsample_backward,
        api.rsample_hard_backward,
        api.rsample_log_backward,
    ][which as usize];
    // SAFETY: each buffer holds its extent (or is rejected / NULL).
    let status = unsafe {
        f(
            d.handle,
            rows,
            soft_ptr,
            soft_b.ld,
            log_ptr,
            log_b.ld,
            grad.ptr(),
            grad.ld,
            glp,
            gl.ld,
            given.ptr(),
            given.ld,
            gpp,
            gp.ld,
            gtp,
            t_len,
        )
    };
    // NULL optional pointers are not looked at (not even their ld).
    let opt_bad = |x: &Buf<T>| !x.null && x.bad;
    let no_sample = (form == 1 || soft_b.null) && (form == 0 || log_b.null);
    let used_bad = (form != 1 && opt_bad(&soft_b))
        || (form != 0 && opt_bad(&log_b))
        || (no_sample && rows > 0)
        || grad.bad
        || opt_bad(&gl)
        || (!gp.null && (gp.bad || given.bad || d.probs_given().is_none()))
        || opt_bad(&gt)
        || (!gt.null && t_len != d.temperature.len());
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        let f = |x: &Buf<T>| (x.null, x.bad, x.misaligned, x.ld, x.rows, x.k);
        eprintln!(
            "bwd: rows {rows} b {b} form {form} soft {:?} log {:?} grad {:?} gl {:?} given {:?} gp {:?} gt {:?} tlen {t_len} probs {} status {status}",
            f(&soft_b),
            f(&log_b),
            f(&grad),
            f(&gl),
            f(&given),
            f(&gp),
            f(&gt),
            d.probs_given().is_some()
        );
    }
    let ok = c.check(status, rows % b != 0 || used_bad, false);
    if input.bool() {
        let params = oneshot_params(d);
        let ctx = CONTEXTS.pick(input);
        let f = if which == 2 {
            api.oneshot_rsample_log_backward
        } else {
            api.oneshot_rsample_backward
        };
        let comparable = gp.null || !given.bad;
        backward_again(
            "rsample backward",
            d,
            status,
            &mut [&mut gl, &mut gp, &mut gt],
            &fresh,
            comparable,
            // SAFETY: the buffers of the handle's call, which are still alive.
            || unsafe {
                f(
                    ctx,
                    &params,
                    rows,
                    soft_ptr,
                    soft_b.ld,
                    log_ptr,
                    log_b.ld,
                    grad.ptr(),
                    grad.ld,
                    glp,
                    gl_ld,
                    gpp,
                    gp_ld,
                    gtp,
                    t_len,
                )
            },
        );
    }
    if !ok || !d.in_range || !from_sampler || input.specials {
        return;
    }
    let underflow = soft
        .iter()
        .zip(d.masked.iter().cycle())
        .any(|(y, &m)| !m && y.to_f() == 0.0);
    if which == 2 && form == 0 && underflow {
        return;
    }
    if gl.usable() {
        (0..b).for_each(|i| check_finite("grad_logits", gl.row(i)));
    }
    if gt.usable() {
        check_finite("grad_temperature", &gt.v[..t_len]);
    }
    if gp.usable() {
        (0..b).for_each(|i| check_finite("grad_probs", gp.row(i)));
    }
}

/// `log_prob_backward` and `log_prob_x_backward`.
fn log_prob_backward<T: CAbi>(
    api: &Api<T>,
    input: &mut Input,
    d: &Dist<T>,
    sample: Option<&Sample<T>>,
) {
    let log_space = input.bool();
    let (v, from_sampler) = values(input, d, sample, log_space);
    let rows = v.len() / d.k;
    let (b, k) = (d.b, d.k);
    let Some(value) = Buf::from_rows(input, &v, k) else {
        return;
    };
    let Some(mut grad) = Buf::vector(input, rows, false) else {
        return;
    };
    if grad.usable() {
        grad.v[..rows]
            .iter_mut()
            .for_each(|g| *g = input.real(Flavor::Grad));
    }
    let Some(mut gl) = Buf::<T>::new(input, b, k, true) else {
        return;
    };
    let given = match d.probs_given() {
        Some(p) => Buf::from_rows(input, p, k),
        None => Buf::input(input, b, k, |input, _, _| input.real(Flavor::Prob)),
    };
    let Some(given) = given else {
        return;
    };
    let Some(mut gp) = Buf::<T>::new(input, b, k, true) else {
        return;
    };
    let t_len = if input.byte() < 8 {
        input.upto(3)
    } else {
        d.temperature.len()
    };
    let Some(mut gt) = Buf::<T>::vector(input, t_len, true) else {
        return;
    };
    let Some(mut gv) = Buf::<T>::new(input, rows, k, true) else {
        return;
    };
    let Some(mut lp) = Buf::<T>::vector(input, rows, true) else {
        return;
    };
    let (glp, gpp, gtp, gvp, lpp) = (
        gl.mut_ptr(),
        gp.mut_ptr(),
        gt.mut_ptr(),
        gv.mut_ptr(),
        lp.mut_ptr(),
    );
    let (gl_ld, gp_ld, gv_ld) = (gl.ld, gp.ld, gv.ld);
    let fresh = [&gl, &gp, &gt, &gv, &lp].map(|b| b.v.clone());
    let c = call(
        "relaxcat_dist_T_log_prob(_x)_backward",
        vec![
            (&value, false),
            (&grad, false),
            (&given, false),
            (&gl, true),
            (&gp, true),
            (&gt, true),
            (&gv, true),
            (&lp, true),
        ],
    );
    let f = if log_space {
        api.log_prob_x_backward
    } else {
        api.log_prob_backward
    };
    // SAFETY: each buffer holds its extent (or is rejected / NULL).
    let status = unsafe {
        f(
            d.handle,
            rows,
            value.ptr(),
            value.ld,
            grad.ptr(),
            glp,
            gl.ld,
            given.ptr(),
            given.ld,
            gpp,
            gp.ld,
            gtp,
            t_len,
            gvp,
            gv.ld,
            lpp,
        )
    };
    let opt_bad = |x: &Buf<T>| !x.null && x.bad;
    let used_bad = value.bad
        || grad.bad
        || opt_bad(&gl)
        || (!gp.null && (gp.bad || given.bad || d.probs_given().is_none()))
        || opt_bad(&gt)
        || (!gt.null && t_len != d.temperature.len())
        || opt_bad(&gv)
        || opt_bad(&lp);
    let ok = c.check(status, rows % b != 0 || used_bad, false);
    if input.bool() {
        let params = oneshot_params(d);
        let ctx = CONTEXTS.pick(input);
        let f = if log_space {
            api.oneshot_log_prob_x_backward
        } else {
            api.oneshot_log_prob_backward
        };
        let comparable = gp.null || !given.bad;
        backward_again(
            "log_prob backward",
            d,
            status,
            &mut [&mut gl, &mut gp, &mut gt, &mut gv, &mut lp],
            &fresh,
            comparable,
            // SAFETY: the buffers of the handle's call, which are still alive.
            || unsafe {
                f(
                    ctx,
                    &params,
                    rows,
                    value.ptr(),
                    value.ld,
                    grad.ptr(),
                    glp,
                    gl_ld,
                    gpp,
                    gp_ld,
                    gtp,
                    t_len,
                    gvp,
                    gv_ld,
                    lpp,
                )
            },
        );
    }
    if !ok {
        if from_sampler && d.validated && !used_bad && rows % b == 0 {
            panic!(
                "sampler output rejected by log_prob backward: {}",
                message()
            );
        }
        return;
    }
    if !d.validated {
        return;
    }
    if lp.usable() {
        check_no_nan("log_prob (backward)", &lp.v[..rows]);
    }
    if !d.in_range || !from_sampler || input.specials {
        return;
    }
    if gl.usable() {
        (0..b).for_each(|i| check_finite("grad_logits (log_prob)", gl.row(i)));
    }
    if gt.usable() {
        check_finite("grad_temperature (log_prob)", &gt.v[..t_len]);
    }
    if gv.usable() {
        (0..rows).for_each(|i| check_no_nan("grad_value", gv.row(i)));
    }
}

/// A copy of the distribution on another context: the same attributes and
/// the same sample bits.
fn copy<T: CAbi>(api: &Api<T>, input: &mut Input, d: &Dist<T>) {
    let ctx = CONTEXTS.pick(input);
    let mut other = null_mut();
    // SAFETY: valid handles and out-pointer.
    assert_eq!(
        unsafe { (api.with_context)(d.handle, ctx, &mut other) },
        RELAXCAT_OK
    );
    let seed = input.u64();
    let rows = input.upto((MAX_ELEMENTS / d.k).min(16));
    let a = reference(api, d, seed, 0, 0..rows, false);
    let copy = Dist {
        handle: other,
        b: d.b,
        k: d.k,
        temperature: vec![],
        validated: d.validated,
        valid: d.valid,
        in_range: d.in_range,
        masked: vec![],
        probs: vec![],
        given: d.given.clone(),
        use_probs: d.use_probs,
        flags: d.flags,
    };
    let b = reference(api, &copy, seed, 0, 0..rows, false);
    assert!(
        !d.valid || (same(&a.0, &b.0) && same(&a.1, &b.1)),
        "copy on another context differs"
    );
    // SAFETY: from with_context, freed once.
    assert_eq!(unsafe { (api.free)(other) }, RELAXCAT_OK);
    // SAFETY: a NULL out-pointer must be rejected.
    assert_eq!(
        unsafe { (api.with_context)(d.handle, ctx, null_mut()) },
        RELAXCAT_ERROR_NULL_POINTER
    );
}

/// logsumexp, softmax, log_softmax and gumbel rows, checked and compared
/// with the scalar backend.
fn row_kernels<T: CAbi>(api: &Api<T>, input: &mut Input) {
    let which = input.byte() % 4;
    let k = if input.byte() < 3 { 0 } else { input.k() };
    let rows = match input.byte() {
        0..=3 => input.huge(),
        _ => input.upto((MAX_ELEMENTS / k.max(1)).min(64)),
    };
    let ctx = CONTEXTS.pick(input);
    let huge_rows = rows > MAX_ELEMENTS;
    let in_rows = if huge_rows { 1 } else { rows };
    let Some(src) = Buf::input(input, in_rows, k, |input, _, _| {
        input.real::<T>(Flavor::Logit)
    }) else {
        return;
    };
    let out_k = if which == 0 { in_rows } else { k };
    let out = if which == 0 {
        Buf::<T>::vector(input, in_rows, false)
    } else {
        Buf::<T>::new(input, in_rows, out_k, false)
    };
    let Some(mut out) = out else {
        return;
    };
    let in_place = (which == 1 || which == 2) && input.byte() < 32 && src.usable() && !huge_rows;
    let seed = input.u64();
    let offset = input.u64();
    let run = |ctx: *const relaxcat_context,
               out: *mut T,
               out_ld: usize,
               src: &Buf<T>|
     -> relaxcat_status {
        // SAFETY: each buffer holds its extent (or is rejected).
        unsafe {
            match which {
                0 => (api.logsumexp)(ctx, rows, k, src.ptr(), src.ld, out),
                1 => (api.softmax)(ctx, rows, k, src.ptr(), src.ld, out, out_ld),
                2 => (api.log_softmax)(ctx, rows, k, src.ptr(), src.ld, out, out_ld),
                _ => (api.gumbel)(ctx, seed, offset, rows, k, out, out_ld),
            }
        }
    };
    if in_place {
        let mut work = Buf {
            v: src.v.clone(),
            ..src
        };
        let before = src.dense();
        let p = work.mut_ptr();
        let status = run(ctx, p, work.ld, &work);
        assert!(
            status == RELAXCAT_OK || k == 0,
            "in-place softmax: {status} {}",
            message()
        );
        if status == RELAXCAT_OK {
            check_row_map(which, &before, &work, k);
        }
        return;
    }
    let bad = huge_rows || k == 0 || (src.bad && which < 3) || out.bad;
    let p = out.mut_ptr();
    let c = call(
        "relaxcat row kernel",
        if which < 3 {
            vec![(&src, false), (&out, true)]
        } else {
            vec![(&out, true)]
        },
    );
    let status = run(ctx, p, out.ld, &src);
    if !c.check(status, bad, false) {
        return;
    }
    let dense = src.dense();
    if which == 0 {
        for i in 0..rows {
            let row = &dense[i * k..(i + 1) * k];
            check_logsumexp(row, out.v[i]);
        }
    } else if which < 3 {
        check_row_map(which, &dense, &out, k);
    } else {
        (0..rows).for_each(|i| check_finite("gumbel", out.row(i)));
    }
    // The scalar backend gives the same bits.
    let mut again = Buf {
        v: vec![sentinel::<T>(); out.v.len()],
        ..out
    };
    let p = again.mut_ptr();
    assert_eq!(run(CONTEXTS.scalar(), p, again.ld, &src), RELAXCAT_OK);
    assert!(
        same(&again.v, &out.v),
        "row kernel {which}: scalar backend differs"
    );
}

/// docs/SPEC.md section 3's logsumexp: all `-inf` gives `-inf`, NaN gives NaN,
/// `+inf` gives `+inf`, else between the max and the max + ln K.
fn check_logsumexp<T: Real>(row: &[T], got: T) {
    let g = got.to_f();
    let max = row
        .iter()
        .map(|x| x.to_f())
        .fold(f64::NEG_INFINITY, f64::max);
    if row.iter().any(|x| x.nan()) {
        assert!(g.is_nan(), "logsumexp of a row with NaN is {g}");
    } else if max == f64::INFINITY || max == f64::NEG_INFINITY {
        assert!(g == max, "logsumexp of {row:?} is {g}");
    } else {
        let hi = max + (row.len() as f64).ln();
        let slack = 4.0 * T::EPS * (max.abs().max(hi.abs()) + 1.0);
        assert!(
            g >= max - slack && g <= hi + slack,
            "logsumexp {g} outside [{max}, {hi}] for {row:?}"
        );
    }
}

/// softmax rows on the simplex, log_softmax rows their logarithm, for
/// rows without NaN or `+inf` and not all `-inf`.
fn check_row_map<T: Real>(which: u8, input: &[T], out: &Buf<T>, k: usize) {
    for i in 0..out.rows {
        let row = &input[i * k..(i + 1) * k];
        let valid = row.iter().all(|x| !x.nan() && x.to_f() != f64::INFINITY)
            && row.iter().any(|x| x.to_f() != f64::NEG_INFINITY);
        if !valid {
            continue;
        }
        let masked: Vec<bool> = row.iter().map(|x| x.to_f() == f64::NEG_INFINITY).collect();
        if which == 1 {
            check_simplex("softmax", out.row(i), &masked);
        } else {
            check_log_simplex("log_softmax", out.row(i), &masked, false);
        }
    }
}

/// Generator positions: set, take, read; NULL handles.
fn generator_ops(input: &mut Input, generator: *mut relaxcat_generator) {
    let position = input.u64();
    let rows = input.u64();
    let (mut offset, mut now) = (0, 0);
    // SAFETY: a valid handle and out-pointers; NULL ones must be rejected.
    unsafe {
        assert_eq!(
            relaxcat_generator_set_position(generator, position),
            RELAXCAT_OK
        );
        assert_eq!(
            relaxcat_generator_take(generator, rows, &mut offset),
            RELAXCAT_OK
        );
        assert_eq!(offset, position);
        assert_eq!(
            relaxcat_generator_position(generator, &mut now),
            RELAXCAT_OK
        );
        assert_eq!(now, position.wrapping_add(rows));
        assert_eq!(
            relaxcat_generator_take(generator, rows, null_mut()),
            RELAXCAT_ERROR_NULL_POINTER
        );
        assert_eq!(
            relaxcat_generator_position(generator, &mut offset),
            RELAXCAT_OK
        );
        assert_eq!(
            offset, now,
            "take with a NULL out-pointer moved the generator"
        );
        assert_eq!(
            relaxcat_generator_take(null_mut(), rows, &mut offset),
            RELAXCAT_ERROR_NULL_POINTER
        );
        assert_eq!(
            relaxcat_generator_seed(null(), &mut offset),
            RELAXCAT_ERROR_NULL_POINTER
        );
        assert_eq!(
            relaxcat_generator_new(1, null_mut()),
            RELAXCAT_ERROR_NULL_POINTER
        );
        assert_eq!(relaxcat_generator_free(null_mut()), RELAXCAT_OK);
        let (mut a, mut b, mut c) = (0, 0, 0);
        assert_eq!(relaxcat_version(&mut a, &mut b, &mut c), RELAXCAT_OK);
        if input.bool() {
            assert_eq!(
                relaxcat_generator_set_position(generator, input.upto(255) as u64),
                RELAXCAT_OK
            );
        }
    }
}

/// Contexts from fuzzed backend names and thread counts 0 and 1.
fn context_ops(input: &mut Input) {
    let threads = input.upto(1);
    let len = input.upto(12);
    let name: Vec<u8> = match input.byte() % 5 {
        0 => b"scalar".to_vec(),
        1 => b" PORTABLE ".to_vec(),
        2 => b"avx2".to_vec(),
        3 => (0..len).map(|_| input.byte().max(1)).collect(),
        _ => vec![],
    };
    let null_name = name.is_empty() && input.bool();
    let cname = std::ffi::CString::new(name).unwrap();
    let mut ctx = null_mut();
    let name_ptr: *const c_char = if null_name { null() } else { cname.as_ptr() };
    // SAFETY: a NUL-terminated name (or NULL) and an out-pointer.
    let status = unsafe { relaxcat_context_new(threads, name_ptr, &mut ctx) };
    assert!(
        status != RELAXCAT_ERROR_INTERNAL,
        "context_new: {}",
        message()
    );
    if threads == 0 {
        assert!(status != RELAXCAT_OK, "context_new accepted 0 threads");
    }
    if status == RELAXCAT_OK {
        let (mut t, mut b) = (0, null());
        // SAFETY: a valid context and out-pointers.
        unsafe {
            assert_eq!(relaxcat_context_threads(ctx, &mut t), RELAXCAT_OK);
            assert_eq!(t, threads);
            assert_eq!(relaxcat_context_backend(ctx, &mut b), RELAXCAT_OK);
            let b = CStr::from_ptr(b).to_str().unwrap();
            // The ABI may add backend names; each is a lower-case word.
            assert!(
                !b.is_empty()
                    && b.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "backend {b:?}"
            );
            assert_eq!(relaxcat_context_free(ctx), RELAXCAT_OK);
        }
    } else {
        assert!(ctx.is_null(), "context_new wrote *out on error");
    }
}

/// An `int64_t` output vector: `len` indices, or NULL, or misaligned.
struct IndexBuf {
    v: Vec<i64>,
    null: bool,
    misaligned: bool,
    /// The call must fail because of this buffer alone.
    bad: bool,
}

const INDEX_SENTINEL: i64 = -0x5A5A_5A5A;

impl IndexBuf {
    fn new(input: &mut Input, len: usize, optional: bool) -> Option<IndexBuf> {
        let mode = input.byte();
        let (null, misaligned) = (mode < 8, (8..12).contains(&mode));
        if len > MAX_EXTENT {
            return None;
        }
        Some(IndexBuf {
            v: vec![INDEX_SENTINEL; len + misaligned as usize],
            null,
            misaligned,
            bad: (null && len > 0 && !optional) || (misaligned && len > 0 && !null),
        })
    }

    fn ptr(&mut self) -> *mut i64 {
        if self.null {
            null_mut()
        } else if self.misaligned {
            // SAFETY: within the allocation (one spare element).
            unsafe { self.v.as_mut_ptr().cast::<u8>().add(1).cast() }
        } else {
            self.v.as_mut_ptr()
        }
    }

    fn untouched(&self) -> bool {
        self.v.iter().all(|&x| x == INDEX_SENTINEL)
    }
}

/// `relaxcat_categorical_sample_T` on fuzzed logits (masked categories,
/// specials), temperatures (0 included), top-k, flags, ranges and buffers:
/// the status; nothing written on error; for valid parameters indices the
/// top-k allows (T = 0 the first argmax), the bits of the Rust path
/// (`relaxcat::categorical::sample_rows`) and of the scalar backend.
fn categorical<T: CAbi + Float>(api: &Api<T>, input: &mut Input) {
    use relaxcat_fuzz::relaxcat::categorical::{CategoricalParams, sample_rows};
    use relaxcat_fuzz::relaxcat::{Backend, Exec, Stream};
    {
        let k = if input.byte() < 4 { 0 } else { input.k() };
        let max_b = MAX_ELEMENTS / k.max(1);
        let b = match input.byte() {
            0..=2 => 0,
            3..=4 => input.huge(),
            _ => 1 + input.upto(max_b.min(16) - 1),
        };
        let b_alloc = if b > max_b || b == 0 { 1 } else { b };
        let Some(logits) = Buf::<T>::input(input, b_alloc, k, |input, _, _| {
            input.real::<T>(Flavor::Logit)
        }) else {
            return;
        };
        let t_len = match input.byte() {
            0..=191 => 1,
            192..=249 => b_alloc,
            _ => input.upto(3),
        };
        let Some(mut temperature) = Buf::<T>::vector(input, t_len, false) else {
            return;
        };
        if temperature.usable() {
            for j in 0..t_len {
                temperature.v[j] = match input.byte() {
                    0..=19 => T::from_f(0.0),
                    _ => input.real(Flavor::Temperature),
                };
            }
        }
        let top_k = match input.byte() {
            0..=5 => 0,
            6..=127 => RELAXCAT_TOP_K_ALL,
            _ => 1 + input.upto(k + 2),
        };
        let flags: u32 = match input.byte() {
            0..=219 => 0,
            220..=249 => 1,
            _ => u32::from_le_bytes(input.bytes::<4>()),
        };
        let seed = input.u64();
        let offset = match input.byte() {
            0..=127 => input.upto(300) as u64,
            _ => input.u64(),
        };
        let begin = match input.byte() {
            0..=199 => input.upto(200),
            _ => usize::MAX - input.upto(50),
        };
        let count = input.upto((4 * MAX_ELEMENTS / k.max(1)).min(64));
        let (end, reversed) = match input.byte() {
            0..=3 => (begin.wrapping_sub(1 + input.upto(3)), true),
            _ => match begin.checked_add(count) {
                Some(e) => (e, false),
                None => return,
            },
        };
        let n = if reversed { 1 } else { end - begin };
        let Some(mut out) = IndexBuf::new(input, n, false) else {
            return;
        };
        let Some(mut lp) = Buf::<T>::vector(input, n, true) else {
            return;
        };
        let ctx = CONTEXTS.pick(input);
        let dense = logits.dense();
        let t = temperature.dense();
        let validated = flags == 0;
        let values_ok =
            !logits.usable() || (sampling_temperatures_valid(&t) && logits_valid(&dense, k.max(1)));
        let must_fail = k == 0
            || b == 0
            || b > max_b
            || logits.bad
            || temperature.bad
            || (t_len != 1 && t_len != b)
            || reversed
            || out.bad
            || lp.bad
            || top_k == 0
            || flags > 1
            || (validated && temperature.usable() && !values_ok);
        let must_succeed =
            !must_fail && logits.usable() && temperature.usable() && !out.null && !out.misaligned;
        let (op, lpp) = (out.ptr(), lp.mut_ptr());
        let c = call(
            "relaxcat_categorical_sample_T",
            vec![(&logits, false), (&temperature, false), (&lp, true)],
        );
        // SAFETY: every buffer holds its extent (or is NULL / deliberately
        // bad, which the library must reject before touching it).
        let status = unsafe {
            (api.categorical_sample)(
                ctx,
                b,
                k,
                logits.ptr(),
                logits.ld,
                temperature.ptr(),
                t_len,
                top_k,
                flags,
                seed,
                offset,
                begin,
                end,
                op,
                lpp,
            )
        };
        if !c.check(status, must_fail, must_succeed) {
            assert!(
                out.untouched(),
                "categorical: out written on error {status}"
            );
            return;
        }
        if !values_ok {
            // Unvalidated bad values: indices in range, nothing more.
            assert!(out.v[..n].iter().all(|&i| (0..k as i64).contains(&i)));
            return;
        }
        let top = (top_k != RELAXCAT_TOP_K_ALL).then_some(top_k);
        let got_lp = lp.usable().then(|| lp.v[..n].to_vec());
        check_categorical(
            "categorical",
            &out.v[..n],
            got_lp.as_deref(),
            &dense,
            k,
            &t,
            top,
            begin,
        );
        // The Rust path, on the scalar backend: the same bits.
        let mut ro = vec![0i64; n];
        let mut rlp = vec![T::default(); n];
        let exec = Exec::serial().with_backend(Backend::Scalar).unwrap();
        let params = CategoricalParams {
            k,
            logits: &dense,
            temperature: &t,
            top_k: top,
            validate: validated,
        };
        sample_rows(
            &exec,
            params,
            Stream::new(seed, offset),
            begin..end,
            &mut ro,
            Some(&mut rlp),
        )
        .unwrap();
        assert_eq!(
            ro,
            out.v[..n],
            "categorical: C and the Rust scalar path differ"
        );
        if let Some(g) = &got_lp {
            assert!(same(g, &rlp), "categorical log_prob: C and Rust differ");
        }
    }
}

/// `relaxcat_dist_T_rsample_hard_index(_rows)`: the status; nothing
/// written on error; for valid parameters the position of the 1 in
/// `rsample_hard_rows` for the same rows, and the generator form equal to
/// the stateless one and advancing only on success.
fn hard_index<T: CAbi>(
    api: &Api<T>,
    input: &mut Input,
    d: &Dist<T>,
    generator: *mut relaxcat_generator,
) {
    let k = d.k;
    let from_generator = input.bool();
    let seed = input.u64();
    let (offset, begin, n, samples, reversed) = if from_generator {
        let samples = sample_count(input, d);
        let rows = samples.checked_mul(d.b).unwrap_or(usize::MAX);
        (0, 0usize, rows, samples, false)
    } else {
        let offset = input.upto(300) as u64;
        let begin = input.upto(200);
        let count = input.upto((MAX_ELEMENTS / k).min(64));
        let reversed = input.byte() < 4;
        (offset, begin, count, 0, reversed)
    };
    let alloc = if n > MAX_ELEMENTS { 1 } else { n };
    let Some(mut out) = IndexBuf::new(input, alloc, false) else {
        return;
    };
    let op = out.ptr();
    let (mut before, mut gen_seed) = (0, 0);
    // SAFETY: a valid generator handle and out-pointers.
    unsafe {
        assert_eq!(
            relaxcat_generator_position(generator, &mut before),
            RELAXCAT_OK
        );
        assert_eq!(
            relaxcat_generator_seed(generator, &mut gen_seed),
            RELAXCAT_OK
        );
    }
    // SAFETY: `out` holds `alloc` elements (or is NULL / misaligned, or the
    // size overflows, which the library must reject).
    let status = unsafe {
        if from_generator {
            (api.rsample_hard_index)(d.handle, generator, samples, op)
        } else if reversed {
            (api.rsample_hard_index_rows)(d.handle, seed, offset, begin + 1, begin, op)
        } else {
            (api.rsample_hard_index_rows)(d.handle, seed, offset, begin, begin + n, op)
        }
    };
    let must_fail = reversed || (n > 0 && (out.null || out.misaligned)) || n > MAX_ELEMENTS;
    assert!(
        (0..RELAXCAT_ERROR_INTERNAL).contains(&status),
        "hard_index: status {status}: {}",
        message()
    );
    let mut after = 0;
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            relaxcat_generator_position(generator, &mut after),
            RELAXCAT_OK
        )
    };
    if status != RELAXCAT_OK {
        assert!(must_fail, "hard_index rejected a good call: {}", message());
        assert!(out.untouched(), "hard_index: out written on error");
        assert_eq!(after, before, "hard_index: generator moved on error");
        return;
    }
    assert!(!must_fail, "hard_index accepted a bad call");
    let (stream_seed, first) = if from_generator {
        assert_eq!(after, before.wrapping_add(n as u64), "generator position");
        (gen_seed, before)
    } else {
        (seed, offset)
    };
    if !d.valid || n == 0 {
        return;
    }
    let rows_begin = if from_generator { 0 } else { begin };
    let (mut hard, mut soft) = (vec![T::default(); n * k], vec![T::default(); n * k]);
    // SAFETY: contiguous outputs of the rows' extent.
    let s = unsafe {
        (api.rsample_hard_rows)(
            d.handle,
            stream_seed,
            first,
            rows_begin,
            rows_begin + n,
            hard.as_mut_ptr(),
            k,
            soft.as_mut_ptr(),
            k,
        )
    };
    assert_eq!(s, RELAXCAT_OK, "{}", message());
    for i in 0..n {
        let one = hard[i * k..(i + 1) * k]
            .iter()
            .position(|h| h.to_f() == 1.0)
            .unwrap();
        assert_eq!(
            out.v[i], one as i64,
            "hard index of row {i} is not the one-hot position"
        );
    }
}
