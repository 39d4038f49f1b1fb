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
    Dist, DistHandle, Ownership, RawParams, build, density, draw_hard_rows, draw_rows,
    relaxcat_dist_f32, relaxcat_dist_f64,
};
use super::grad::{ParamPtrs, density_backward, draw_with_log_rows, sample_backward};
use super::status::{guard, relaxcat_status};
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
    type H: DistHandle;
    fn raw(&self) -> RawParams<<Self::H as DistHandle>::T>;
}

impl ParamsStruct for relaxcat_params_f32 {
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
    outs: impl FnOnce(&Dist<<P::H as DistHandle>::T>) -> Result<Vec<Out<<P::H as DistHandle>::T>>>,
    body: impl FnOnce(*const P::H, RawParams<<P::H as DistHandle>::T>) -> Result<()>,
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

/// The row count of `[begin, end)`, or 0 if reversed (reported later).
fn rows_of(begin: usize, end: usize) -> usize {
    row_range(begin, end).map(|r| r.len()).unwrap_or(0)
}

/// The parameter-gradient pointers of a one-shot call: the probs gradient
/// chains through the probs of `params`.
fn param_ptrs<T>(
    raw: RawParams<T>,
    grad_logits: *mut T,
    grad_logits_ld: usize,
    grad_probs: *mut T,
    grad_probs_ld: usize,
    grad_temperature: *mut T,
    grad_temperature_len: usize,
) -> ParamPtrs<T> {
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
fn grad_outs<T: crate::Float>(
    dist: &Dist<T>,
    grad_logits: *mut T,
    grad_logits_ld: usize,
    grad_probs: *mut T,
    grad_probs_ld: usize,
    grad_temperature: *mut T,
    grad_temperature_len: usize,
) -> Vec<Out<T>> {
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

/// Relaxed samples from the parameters in `params` without a handle (`f32`):
/// rows `[row_begin, row_end)` of the sample sequence of the stream
/// `(seed, offset)` into `out` (`(row_end - row_begin) x K`, leading
/// dimension `out_ld`). Bit for bit `relaxcat_dist_f32_rsample_rows` on a
/// distribution made by `relaxcat_dist_f32_new` from the same parameters.
///
/// Errors: those of `relaxcat_dist_f32_new` for the parameters, then those
/// of `relaxcat_dist_f32_rsample_rows`; a NULL `params` (NULL_POINTER).
/// On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_rows_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_rows_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(vec![(
                    "out",
                    out,
                    rows_of(row_begin, row_end),
                    d.num_categories(),
                    out_ld,
                )])
            },
            |h, _| {
                draw_rows(
                    Dist::rsample_rows_into,
                    h,
                    seed,
                    offset,
                    row_begin,
                    row_end,
                    out,
                    out_ld,
                )
            },
        )
    })
}

/// Log-space samples `x = ln y` from the parameters in `params` without a
/// handle (`f32`): rows `[row_begin, row_end)` of the stream `(seed,
/// offset)` into `out`; bit for bit `relaxcat_dist_f32_rsample_log_rows`.
/// Errors as `relaxcat_rsample_rows_f32`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_log_rows_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f32,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_log_rows_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(vec![(
                    "out",
                    out,
                    rows_of(row_begin, row_end),
                    d.num_categories(),
                    out_ld,
                )])
            },
            |h, _| {
                draw_rows(
                    Dist::rsample_log_rows_into,
                    h,
                    seed,
                    offset,
                    row_begin,
                    row_end,
                    out,
                    out_ld,
                )
            },
        )
    })
}

/// Straight-through samples from the parameters in `params` without a
/// handle (`f32`): one-hot rows into `hard`, the relaxed samples they came
/// from into `soft`, rows `[row_begin, row_end)` of the stream `(seed,
/// offset)`; bit for bit `relaxcat_dist_f32_rsample_hard_rows`. Errors as
/// `relaxcat_rsample_rows_f32`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_hard_rows_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut f32,
    hard_ld: usize,
    soft: *mut f32,
    soft_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_hard_rows_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let (n, k) = (rows_of(row_begin, row_end), d.num_categories());
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
    })
}

/// The fused forward pass for gradients from the parameters in `params`
/// without a handle (`f32`): relaxed samples into `soft` and their
/// log-space form into `log` from one draw, rows `[row_begin, row_end)` of
/// the stream `(seed, offset)`; bit for bit
/// `relaxcat_dist_f32_rsample_with_log_rows`. Errors as
/// `relaxcat_rsample_rows_f32`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_with_log_rows_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    soft: *mut f32,
    soft_ld: usize,
    log: *mut f32,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_with_log_rows_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let (n, k) = (rows_of(row_begin, row_end), d.num_categories());
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
    })
}

/// Log-densities from the parameters in `params` without a handle
/// (`f32`): of `value_rows` value rows (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f32_log_prob`. Errors: those of `relaxcat_dist_f32_new` for
/// the parameters, then those of `relaxcat_dist_f32_log_prob`. On error nothing
/// is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    value_rows: usize,
    value: *const f32,
    value_ld: usize,
    out: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |_| Ok(vec![("out", out, value_rows, 1, 1)]),
            |h, _| density(Dist::log_prob_into, h, value_rows, value, value_ld, out),
        )
    })
}

/// Log-densities from the parameters in `params` without a handle
/// (`f32`): of `value_rows` log-space value rows `x = ln y` (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f32_log_prob_x`. Errors: those of `relaxcat_dist_f32_new` for
/// the parameters, then those of `relaxcat_dist_f32_log_prob_x`. On error nothing
/// is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_x_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    value_rows: usize,
    value: *const f32,
    value_ld: usize,
    out: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_x_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |_| Ok(vec![("out", out, value_rows, 1, 1)]),
            |h, _| density(Dist::log_prob_x_into, h, value_rows, value, value_ld, out),
        )
    })
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f32`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the relaxed sample `y` (also the backward pass of the straight-through sampler, given its soft sample), writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f32_rsample_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f32_new` for the parameters, then those
/// of `relaxcat_dist_f32_rsample_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_backward_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
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
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_backward_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                ))
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                sample_backward(
                    Dist::rsample_backward,
                    h,
                    rows,
                    soft,
                    soft_ld,
                    log,
                    log_ld,
                    grad,
                    grad_ld,
                    ptrs,
                )
            },
        )
    })
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f32`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the log-space sample `x = ln y`, writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f32_rsample_log_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f32_new` for the parameters, then those
/// of `relaxcat_dist_f32_rsample_log_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_log_backward_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
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
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_log_backward_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                ))
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                sample_backward(
                    Dist::rsample_log_backward,
                    h,
                    rows,
                    soft,
                    soft_ld,
                    log,
                    log_ld,
                    grad,
                    grad_ld,
                    ptrs,
                )
            },
        )
    })
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f32`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f32_log_prob_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f32_new` for the parameters, then those of
/// `relaxcat_dist_f32_log_prob_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_backward_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    rows: usize,
    value: *const f32,
    value_ld: usize,
    grad: *const f32,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
    grad_value: *mut f32,
    grad_value_ld: usize,
    log_prob: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_backward_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let mut outs = grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                let k = d.num_categories();
                outs.push(("grad_value", grad_value, rows, k, grad_value_ld));
                outs.push(("log_prob", log_prob, rows, 1, 1));
                Ok(outs)
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                density_backward(
                    Dist::log_prob_backward,
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
    })
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f32`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f32_log_prob_x_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f32_new` for the parameters, then those of
/// `relaxcat_dist_f32_log_prob_x_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_x_backward_f32(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f32,
    rows: usize,
    value: *const f32,
    value_ld: usize,
    grad: *const f32,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
    grad_value: *mut f32,
    grad_value_ld: usize,
    log_prob: *mut f32,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_x_backward_f32", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let mut outs = grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                let k = d.num_categories();
                outs.push(("grad_value", grad_value, rows, k, grad_value_ld));
                outs.push(("log_prob", log_prob, rows, 1, 1));
                Ok(outs)
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                density_backward(
                    Dist::log_prob_x_backward,
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
    })
}

/// Relaxed samples from the parameters in `params` without a handle (`f64`):
/// rows `[row_begin, row_end)` of the sample sequence of the stream
/// `(seed, offset)` into `out` (`(row_end - row_begin) x K`, leading
/// dimension `out_ld`). Bit for bit `relaxcat_dist_f64_rsample_rows` on a
/// distribution made by `relaxcat_dist_f64_new` from the same parameters.
///
/// Errors: those of `relaxcat_dist_f64_new` for the parameters, then those
/// of `relaxcat_dist_f64_rsample_rows`; a NULL `params` (NULL_POINTER).
/// On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_rows_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f64,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_rows_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(vec![(
                    "out",
                    out,
                    rows_of(row_begin, row_end),
                    d.num_categories(),
                    out_ld,
                )])
            },
            |h, _| {
                draw_rows(
                    Dist::rsample_rows_into,
                    h,
                    seed,
                    offset,
                    row_begin,
                    row_end,
                    out,
                    out_ld,
                )
            },
        )
    })
}

/// Log-space samples `x = ln y` from the parameters in `params` without a
/// handle (`f64`): rows `[row_begin, row_end)` of the stream `(seed,
/// offset)` into `out`; bit for bit `relaxcat_dist_f64_rsample_log_rows`.
/// Errors as `relaxcat_rsample_rows_f64`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_log_rows_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut f64,
    out_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_log_rows_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(vec![(
                    "out",
                    out,
                    rows_of(row_begin, row_end),
                    d.num_categories(),
                    out_ld,
                )])
            },
            |h, _| {
                draw_rows(
                    Dist::rsample_log_rows_into,
                    h,
                    seed,
                    offset,
                    row_begin,
                    row_end,
                    out,
                    out_ld,
                )
            },
        )
    })
}

/// Straight-through samples from the parameters in `params` without a
/// handle (`f64`): one-hot rows into `hard`, the relaxed samples they came
/// from into `soft`, rows `[row_begin, row_end)` of the stream `(seed,
/// offset)`; bit for bit `relaxcat_dist_f64_rsample_hard_rows`. Errors as
/// `relaxcat_rsample_rows_f64`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_hard_rows_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut f64,
    hard_ld: usize,
    soft: *mut f64,
    soft_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_hard_rows_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let (n, k) = (rows_of(row_begin, row_end), d.num_categories());
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
    })
}

/// The fused forward pass for gradients from the parameters in `params`
/// without a handle (`f64`): relaxed samples into `soft` and their
/// log-space form into `log` from one draw, rows `[row_begin, row_end)` of
/// the stream `(seed, offset)`; bit for bit
/// `relaxcat_dist_f64_rsample_with_log_rows`. Errors as
/// `relaxcat_rsample_rows_f64`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_with_log_rows_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    soft: *mut f64,
    soft_ld: usize,
    log: *mut f64,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_with_log_rows_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let (n, k) = (rows_of(row_begin, row_end), d.num_categories());
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
    })
}

/// Log-densities from the parameters in `params` without a handle
/// (`f64`): of `value_rows` value rows (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f64_log_prob`. Errors: those of `relaxcat_dist_f64_new` for
/// the parameters, then those of `relaxcat_dist_f64_log_prob`. On error nothing
/// is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    value_rows: usize,
    value: *const f64,
    value_ld: usize,
    out: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |_| Ok(vec![("out", out, value_rows, 1, 1)]),
            |h, _| density(Dist::log_prob_into, h, value_rows, value, value_ld, out),
        )
    })
}

/// Log-densities from the parameters in `params` without a handle
/// (`f64`): of `value_rows` log-space value rows `x = ln y` (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f64_log_prob_x`. Errors: those of `relaxcat_dist_f64_new` for
/// the parameters, then those of `relaxcat_dist_f64_log_prob_x`. On error nothing
/// is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_x_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    value_rows: usize,
    value: *const f64,
    value_ld: usize,
    out: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_x_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |_| Ok(vec![("out", out, value_rows, 1, 1)]),
            |h, _| density(Dist::log_prob_x_into, h, value_rows, value, value_ld, out),
        )
    })
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f64`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the relaxed sample `y` (also the backward pass of the straight-through sampler, given its soft sample), writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f64_rsample_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f64_new` for the parameters, then those
/// of `relaxcat_dist_f64_rsample_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_backward_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    rows: usize,
    soft: *const f64,
    soft_ld: usize,
    log: *const f64,
    log_ld: usize,
    grad: *const f64,
    grad_ld: usize,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_backward_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                ))
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                sample_backward(
                    Dist::rsample_backward,
                    h,
                    rows,
                    soft,
                    soft_ld,
                    log,
                    log_ld,
                    grad,
                    grad_ld,
                    ptrs,
                )
            },
        )
    })
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f64`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the log-space sample `x = ln y`, writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f64_rsample_log_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f64_new` for the parameters, then those
/// of `relaxcat_dist_f64_rsample_log_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_rsample_log_backward_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    rows: usize,
    soft: *const f64,
    soft_ld: usize,
    log: *const f64,
    log_ld: usize,
    grad: *const f64,
    grad_ld: usize,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_rsample_log_backward_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                Ok(grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                ))
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                sample_backward(
                    Dist::rsample_log_backward,
                    h,
                    rows,
                    soft,
                    soft_ld,
                    log,
                    log_ld,
                    grad,
                    grad_ld,
                    ptrs,
                )
            },
        )
    })
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f64`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f64_log_prob_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f64_new` for the parameters, then those of
/// `relaxcat_dist_f64_log_prob_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_backward_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    rows: usize,
    value: *const f64,
    value_ld: usize,
    grad: *const f64,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
    grad_value: *mut f64,
    grad_value_ld: usize,
    log_prob: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_backward_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let mut outs = grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                let k = d.num_categories();
                outs.push(("grad_value", grad_value, rows, k, grad_value_ld));
                outs.push(("log_prob", log_prob, rows, 1, 1));
                Ok(outs)
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                density_backward(
                    Dist::log_prob_backward,
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
    })
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f64`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f64_log_prob_x_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f64_new` for the parameters, then those of
/// `relaxcat_dist_f64_log_prob_x_backward`. On error nothing is written.
///
/// # Safety
/// Thread safety: safe from any thread. Ownership: every pointer is
/// borrowed for the call; nothing is kept. Aliasing: no output may overlap
/// another output, an input or the parameters in `params`
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn relaxcat_log_prob_x_backward_f64(
    ctx: *const relaxcat_context,
    params: *const relaxcat_params_f64,
    rows: usize,
    value: *const f64,
    value_ld: usize,
    grad: *const f64,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
    grad_value: *mut f64,
    grad_value_ld: usize,
    log_prob: *mut f64,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helpers'; the handle does
    // not outlive the call.
    guard("relaxcat_log_prob_x_backward_f64", || unsafe {
        with_transient(
            ctx,
            params,
            |d| {
                let mut outs = grad_outs(
                    d,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                let k = d.num_categories();
                outs.push(("grad_value", grad_value, rows, k, grad_value_ld));
                outs.push(("log_prob", log_prob, rows, 1, 1));
                Ok(outs)
            },
            |h, raw| {
                let ptrs = param_ptrs(
                    raw,
                    grad_logits,
                    grad_logits_ld,
                    grad_probs,
                    grad_probs_ld,
                    grad_temperature,
                    grad_temperature_len,
                );
                density_backward(
                    Dist::log_prob_x_backward,
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
    })
}
