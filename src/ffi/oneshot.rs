//! One-shot entry points: every operation and its backward pass in one call
//! on the parameters as given, with no handle (see `crate::oneshot`).
//!
//! ```text
//! relaxcat_params_f32 { B, K, temperature[1 or B], probs | logits (B x K, ld), flags }
//! relaxcat_rsample_rows_f32(ctx, &params, seed, offset, begin, end, out, out_ld)
//! relaxcat_log_prob_f32(ctx, &params, N, value, value_ld, out)
//! relaxcat_rsample_backward_f32(ctx, &params, N, soft, log, grad, grad_logits, ...)
//! ```
//!
//! Each call builds a distribution that reads the caller's parameters in
//! place (a strided matrix is gathered), runs the handle function of the
//! same name on it, and drops it before returning: the same checks, errors
//! and bits as `relaxcat_dist_*_new` followed by that function. As the
//! parameters are read while the outputs are written, no output may overlap
//! them (RELAXCAT_ERROR_ALIASING).

use super::buffer::{Span, disjoint, matrix, row_range};
use super::context::relaxcat_context;
use super::dist::{
    DensityFn, Dist, DistHandle, DrawFn, Ownership, RawParams, build, density, draw_hard_rows,
    draw_log, draw_rows, draw_soft, relaxcat_dist_f32, relaxcat_dist_f64,
};
use super::grad::{
    DensityVjp, ParamPtrs, SampleVjp, density_backward, draw_with_log_rows, sample_backward,
};
use super::status::relaxcat_status;
use crate::Float;
use crate::error::{Error, ErrorKind, Result};

/// The parameters of a one-shot call over `f32`, as `relaxcat_dist_f32_new`
/// takes them: `batch_rows` (B) rows of `k` (K) categories; exactly one of
/// `probs` and `logits` (B x K with leading dimension `probs_ld` /
/// `logits_ld` >= K) and NULL for the other; `temperature` with
/// `temperature_len` values (1 or B); `flags` 0 or RELAXCAT_DIST_NO_VALIDATE.
/// The layout is fixed within ABI version 1.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct relaxcat_params_f32 {
    /// B, the parameter rows.
    pub batch_rows: usize,
    /// K, the categories per row.
    pub k: usize,
    /// 1 or B temperatures.
    pub temperature: *const f32,
    /// The number of temperatures: 1 or B.
    pub temperature_len: usize,
    /// Probabilities (B x K), or NULL.
    pub probs: *const f32,
    /// Leading dimension of `probs` (ignored when it is NULL).
    pub probs_ld: usize,
    /// Logits (B x K), or NULL.
    pub logits: *const f32,
    /// Leading dimension of `logits` (ignored when it is NULL).
    pub logits_ld: usize,
    /// 0 or RELAXCAT_DIST_NO_VALIDATE.
    pub flags: u32,
}

/// [`relaxcat_params_f32`] over `f64`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct relaxcat_params_f64 {
    /// B, the parameter rows.
    pub batch_rows: usize,
    /// K, the categories per row.
    pub k: usize,
    /// 1 or B temperatures.
    pub temperature: *const f64,
    /// The number of temperatures: 1 or B.
    pub temperature_len: usize,
    /// Probabilities (B x K), or NULL.
    pub probs: *const f64,
    /// Leading dimension of `probs` (ignored when it is NULL).
    pub probs_ld: usize,
    /// Logits (B x K), or NULL.
    pub logits: *const f64,
    /// Leading dimension of `logits` (ignored when it is NULL).
    pub logits_ld: usize,
    /// 0 or RELAXCAT_DIST_NO_VALIDATE.
    pub flags: u32,
}

/// What the one-shot helpers need of a parameter struct.
trait ParamsStruct: Copy {
    type T: Float;
    type H: DistHandle<T = Self::T>;
    fn raw(&self) -> RawParams<Self::T>;
}

impl ParamsStruct for relaxcat_params_f32 {
    type T = f32;
    type H = relaxcat_dist_f32;
    fn raw(&self) -> RawParams<f32> {
        RawParams {
            batch_rows: self.batch_rows,
            k: self.k,
            temperature: self.temperature,
            temperature_len: self.temperature_len,
            probs: self.probs,
            probs_ld: self.probs_ld,
            logits: self.logits,
            logits_ld: self.logits_ld,
            flags: self.flags,
        }
    }
}

impl ParamsStruct for relaxcat_params_f64 {
    type T = f64;
    type H = relaxcat_dist_f64;
    fn raw(&self) -> RawParams<f64> {
        RawParams {
            batch_rows: self.batch_rows,
            k: self.k,
            temperature: self.temperature,
            temperature_len: self.temperature_len,
            probs: self.probs,
            probs_ld: self.probs_ld,
            logits: self.logits,
            logits_ld: self.logits_ld,
            flags: self.flags,
        }
    }
}

/// A caller output: its name, pointer, rows, row length and leading
/// dimension (NULL: not wanted).
type Out<T> = (&'static str, *mut T, usize, usize, usize);

/// Runs `body` on a transient handle over the caller's parameters, once
/// every output in `outs` is known not to overlap them.
///
/// # Safety
/// The pointers address the documented extents; `body` does not keep the
/// handle.
unsafe fn with_transient<P: ParamsStruct>(
    ctx: *const relaxcat_context,
    params: *const P,
    outs: impl FnOnce(&Dist<P::T>) -> Result<Vec<Out<P::T>>>,
    body: impl FnOnce(*const P::H, RawParams<P::T>) -> Result<()>,
) -> Result<()> {
    if params.is_null() {
        return Err(Error::new(ErrorKind::NullPointer, "params is NULL"));
    }
    // SAFETY: non-NULL; a readable struct per the extern function's contract.
    let raw = unsafe { params.read_unaligned() }.raw();
    // SAFETY: extents per contract; the handle is dropped below, before
    // returning, and the outputs are checked against the parameter spans.
    let (dist, spans) = unsafe { build(ctx, raw, Ownership::Borrow)? };
    let inputs: Vec<&Span> = spans.iter().collect();
    for (name, ptr, rows, k, ld) in outs(&dist)? {
        if !ptr.is_null() {
            disjoint(&matrix(name, ptr, rows, k, ld)?.span, &inputs)?;
        }
    }
    let handle = P::H::wrap(dist);
    body(&handle, raw)
}

/// The parameter-gradient outputs as the entry points take them:
/// `grad_logits`, its ld, `grad_probs`, its ld, `grad_temperature`, its length.
type GradPtrs<T> = (*mut T, usize, *mut T, usize, *mut T, usize);

/// The row count of `[begin, end)`, or 0 if reversed (reported later).
fn rows_of(begin: usize, end: usize) -> usize {
    row_range(begin, end).map(|r| r.len()).unwrap_or(0)
}

/// The parameter-gradient pointers of a one-shot call: the probs gradient
/// chains through the probs of `params`.
fn param_ptrs<T>(raw: RawParams<T>, grads: GradPtrs<T>) -> ParamPtrs<T> {
    let (
        grad_logits,
        grad_logits_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    ) = grads;
    ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given: raw.probs,
        probs_given_ld: raw.probs_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    }
}

/// The parameter-gradient outputs of a one-shot call, for the overlap check.
fn grad_outs<T: Float>(dist: &Dist<T>, grads: GradPtrs<T>) -> Vec<Out<T>> {
    let (
        grad_logits,
        grad_logits_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    ) = grads;
    let (b, k) = (dist.batch_rows(), dist.num_categories());
    vec![
        ("grad_logits", grad_logits, b, k, grad_logits_ld),
        ("grad_probs", grad_probs, b, k, grad_probs_ld),
        (
            "grad_temperature",
            grad_temperature,
            1,
            grad_temperature_len,
            grad_temperature_len,
        ),
    ]
}

// The bodies of the one-shot entry points, written once for both element
// types. Each runs the handle function of the same name on a transient
// handle over the caller's parameters.
//
// # Safety (every function below)
// The entry point's contract: the pointers address the documented extents,
// inputs are readable and outputs exclusively writable for the call.

/// `relaxcat_rsample_rows_*`, `relaxcat_rsample_log_rows_*`.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_rows<P: ParamsStruct>(
    f: DrawFn<P::T>,
    ctx: *const relaxcat_context,
    params: *const P,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut P::T,
    out_ld: usize,
) -> Result<()> {
    let n = rows_of(row_begin, row_end);
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |d| Ok(vec![("out", out, n, d.num_categories(), out_ld)]),
            |h, _| draw_rows(f, h, seed, offset, row_begin, row_end, out, out_ld),
        )
    }
}

/// `relaxcat_rsample_hard_rows_*`.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_hard_rows<P: ParamsStruct>(
    ctx: *const relaxcat_context,
    params: *const P,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut P::T,
    hard_ld: usize,
    soft: *mut P::T,
    soft_ld: usize,
) -> Result<()> {
    let n = rows_of(row_begin, row_end);
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let k = d.num_categories();
                Ok(vec![
                    ("hard", hard, n, k, hard_ld),
                    ("soft", soft, n, k, soft_ld),
                ])
            },
            |h, _| {
                draw_hard_rows(
                    h, seed, offset, row_begin, row_end, hard, hard_ld, soft, soft_ld,
                )
            },
        )
    }
}

/// `relaxcat_rsample_with_log_rows_*`.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_with_log_rows<P: ParamsStruct>(
    ctx: *const relaxcat_context,
    params: *const P,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    soft: *mut P::T,
    soft_ld: usize,
    log: *mut P::T,
    log_ld: usize,
) -> Result<()> {
    let n = rows_of(row_begin, row_end);
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let k = d.num_categories();
                Ok(vec![
                    ("soft", soft, n, k, soft_ld),
                    ("log", log, n, k, log_ld),
                ])
            },
            |h, _| {
                draw_with_log_rows(
                    h, seed, offset, row_begin, row_end, None, soft, soft_ld, log, log_ld,
                )
            },
        )
    }
}

/// `relaxcat_log_prob_*`, `relaxcat_log_prob_x_*`.
unsafe fn log_density<P: ParamsStruct>(
    f: DensityFn<P::T>,
    ctx: *const relaxcat_context,
    params: *const P,
    value_rows: usize,
    value: *const P::T,
    value_ld: usize,
    out: *mut P::T,
) -> Result<()> {
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |_| Ok(vec![("out", out, value_rows, 1, 1)]),
            |h, _| density(f, h, value_rows, value, value_ld, out),
        )
    }
}

/// `relaxcat_rsample_backward_*`, `relaxcat_rsample_log_backward_*`.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_vjp<P: ParamsStruct>(
    f: SampleVjp<P::T>,
    ctx: *const relaxcat_context,
    params: *const P,
    rows: usize,
    soft: *const P::T,
    soft_ld: usize,
    log: *const P::T,
    log_ld: usize,
    grad: *const P::T,
    grad_ld: usize,
    grad_logits: *mut P::T,
    grad_logits_ld: usize,
    grad_probs: *mut P::T,
    grad_probs_ld: usize,
    grad_temperature: *mut P::T,
    grad_temperature_len: usize,
) -> Result<()> {
    let grads = (
        grad_logits,
        grad_logits_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    );
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |d| Ok(grad_outs(d, grads)),
            |h, raw| {
                let ptrs = param_ptrs(raw, grads);
                sample_backward(f, h, rows, soft, soft_ld, log, log_ld, grad, grad_ld, ptrs)
            },
        )
    }
}

/// `relaxcat_log_prob_backward_*`, `relaxcat_log_prob_x_backward_*`.
#[allow(clippy::too_many_arguments)]
unsafe fn density_vjp<P: ParamsStruct>(
    f: DensityVjp<P::T>,
    ctx: *const relaxcat_context,
    params: *const P,
    rows: usize,
    value: *const P::T,
    value_ld: usize,
    grad: *const P::T,
    grad_logits: *mut P::T,
    grad_logits_ld: usize,
    grad_probs: *mut P::T,
    grad_probs_ld: usize,
    grad_temperature: *mut P::T,
    grad_temperature_len: usize,
    grad_value: *mut P::T,
    grad_value_ld: usize,
    log_prob: *mut P::T,
) -> Result<()> {
    let grads = (
        grad_logits,
        grad_logits_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    );
    // SAFETY: the entry point's contract (above).
    unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let mut outs = grad_outs(d, grads);
                let k = d.num_categories();
                outs.push(("grad_value", grad_value, rows, k, grad_value_ld));
                outs.push(("log_prob", log_prob, rows, 1, 1));
                Ok(outs)
            },
            |h, raw| {
                let ptrs = param_ptrs(raw, grads);
                density_backward(
                    f,
                    h,
                    rows,
                    value,
                    value_ld,
                    grad,
                    ptrs,
                    grad_value,
                    grad_value_ld,
                    log_prob,
                )
            },
        )
    }
}

pub(super) mod exports_f32;
pub(super) mod exports_f64;
