//! GENERATED from exports_f32.rs by tests/all/header.rs: every `f32` made
//! `f64` and "floats" made "doubles". Do not edit; edit exports_f32.rs and
//! run `RELAXCAT_BLESS=1 cargo test --release --test all header::`.

use super::*;
use crate::ffi::status::entry;

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
    entry! {
        unsafe sample_rows(
            draw_soft, ctx, params, seed, offset, row_begin, row_end, out, out_ld,
        )
    }
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
    entry! {
        unsafe sample_rows(
            draw_log, ctx, params, seed, offset, row_begin, row_end, out, out_ld,
        )
    }
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
    entry! {
        unsafe sample_hard_rows(
            ctx, params, seed, offset, row_begin, row_end, hard, hard_ld, soft, soft_ld,
        )
    }
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
    entry! {
        unsafe sample_with_log_rows(
            ctx, params, seed, offset, row_begin, row_end, soft, soft_ld, log, log_ld,
        )
    }
}

/// Log-densities from the parameters in `params` without a handle
/// (`f64`): of `value_rows` value rows (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f64_log_prob`. Errors: those of `relaxcat_dist_f64_new` for
/// the parameters, then those of `relaxcat_dist_f64_log_prob`; a NULL `params`
/// (NULL_POINTER). On error nothing
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
    entry! {
        unsafe log_density(
            Dist::log_prob_into, ctx, params, value_rows, value, value_ld, out,
        )
    }
}

/// Log-densities from the parameters in `params` without a handle
/// (`f64`): of `value_rows` log-space value rows `x = ln y` (`value`, N x K, N a multiple of B, leading dimension `value_ld`) into `out` (N values); bit for bit
/// `relaxcat_dist_f64_log_prob_x`. Errors: those of `relaxcat_dist_f64_new` for
/// the parameters, then those of `relaxcat_dist_f64_log_prob_x`; a NULL `params`
/// (NULL_POINTER). On error nothing
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
    entry! {
        unsafe log_density(
            Dist::log_prob_x_into, ctx, params, value_rows, value, value_ld, out,
        )
    }
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f64`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the relaxed sample `y` (also the backward pass of the straight-through sampler, given its soft sample), writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f64_rsample_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f64_new` for the parameters, then those
/// of `relaxcat_dist_f64_rsample_backward`; a NULL `params`
/// (NULL_POINTER). On error nothing is written.
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
    entry! {
        unsafe sample_vjp(
            Dist::rsample_backward, ctx, params, rows, soft, soft_ld, log, log_ld, grad, grad_ld,
            grad_logits, grad_logits_ld, grad_probs, grad_probs_ld, grad_temperature,
            grad_temperature_len,
        )
    }
}

/// The sampler's backward pass from the parameters in `params` without a
/// handle (`f64`): given `rows` sample rows (`soft` and/or `log`, N x K)
/// and the upstream gradient `grad` w.r.t. the log-space sample `x = ln y`, writes the gradients w.r.t. the logits
/// (`grad_logits`), the probs (`grad_probs`; for probs parameters, chained
/// through the probs in `params`) and the temperature
/// (`grad_temperature`), each NULL when not wanted; bit for bit
/// `relaxcat_dist_f64_rsample_log_backward` with `probs_given` the probs in `params`.
/// Errors: those of `relaxcat_dist_f64_new` for the parameters, then those
/// of `relaxcat_dist_f64_rsample_log_backward`; a NULL `params`
/// (NULL_POINTER). On error nothing is written.
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
    entry! {
        unsafe sample_vjp(
            Dist::rsample_log_backward, ctx, params, rows, soft, soft_ld, log, log_ld, grad,
            grad_ld, grad_logits, grad_logits_ld, grad_probs, grad_probs_ld, grad_temperature,
            grad_temperature_len,
        )
    }
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f64`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f64_log_prob_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f64_new` for the parameters, then those of
/// `relaxcat_dist_f64_log_prob_backward`; a NULL `params`
/// (NULL_POINTER). On error nothing is written.
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
    entry! {
        unsafe density_vjp(
            Dist::log_prob_backward, ctx, params, rows, value, value_ld, grad, grad_logits,
            grad_logits_ld, grad_probs, grad_probs_ld, grad_temperature, grad_temperature_len,
            grad_value, grad_value_ld, log_prob,
        )
    }
}

/// The backward pass of the log-density, fused with it, from the
/// parameters in `params` without a handle (`f64`): for `rows` value rows
/// and the upstream gradient `grad` (N), writes whichever of the logits,
/// probs (chained through the probs in `params`) and temperature gradients,
/// the value gradient (`grad_value`, N x K) and the log-densities
/// (`log_prob`, N) are non-NULL; bit for bit `relaxcat_dist_f64_log_prob_x_backward` with
/// `probs_given` the probs in `params`. Errors: those of
/// `relaxcat_dist_f64_new` for the parameters, then those of
/// `relaxcat_dist_f64_log_prob_x_backward`; a NULL `params`
/// (NULL_POINTER). On error nothing is written.
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
    entry! {
        unsafe density_vjp(
            Dist::log_prob_x_backward, ctx, params, rows, value, value_ld, grad, grad_logits,
            grad_logits_ld, grad_probs, grad_probs_ld, grad_temperature, grad_temperature_len,
            grad_value, grad_value_ld, log_prob,
        )
    }
}
