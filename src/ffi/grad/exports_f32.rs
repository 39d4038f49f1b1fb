//! The C functions of the handle's joint samplers and backward passes
//! (`relaxcat_dist_f32_*`), over `f32`: each a typed shim over a generic body
//! in `src/ffi/grad.rs`. Their `f64` twins, `exports_f64.rs`, are generated
//! from this file by tests/all/header.rs: edit this one, then run
//! `RELAXCAT_BLESS=1 cargo test --release --test all header::`.

use super::*;
use crate::ffi::status::entry;

/// The fused forward pass for gradients (`f32`): relaxed samples `y` into
/// `soft` and their log-space form `x = ln y` into `log` from one draw of
/// `generator`, bit for bit what `relaxcat_dist_f32_rsample` and
/// `relaxcat_dist_f32_rsample_log` give for the same stream rows. Both are
/// (samples * B) x K matrices with their own leading dimension (>= K); the
/// generator advances by samples * B rows. Pass both to a backward pass. On
/// error nothing is written and the generator does not move.
///
/// Errors: those of `relaxcat_dist_f32_rsample`, for `soft` and `log` each;
/// `soft` and `log` overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `soft` and `log` must not
/// overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_with_log(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    soft: *mut f32,
    soft_ld: usize,
    log: *mut f32,
    log_ld: usize,
) -> relaxcat_status {
    entry! { unsafe draw_with_log(dist, generator, samples, None, soft, soft_ld, log, log_ld) }
}

/// Stateless form of `relaxcat_dist_f32_rsample_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)` as in
/// `relaxcat_dist_f32_rsample_rows`, as `y` into `soft` and `ln y` into
/// `log`.
///
/// Errors: those of `relaxcat_dist_f32_rsample_rows`, for `soft` and `log`
/// each; `soft` and `log` overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `soft` and `log` must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_with_log_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    soft: *mut f32,
    soft_ld: usize,
    log: *mut f32,
    log_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_with_log_rows(
            dist, seed, offset, row_begin, row_end, None, soft, soft_ld, log, log_ld,
        )
    }
}

/// The fused forward pass of the straight-through sampler (`f32`): one-hot
/// rows into `hard`, the relaxed samples they came from into `soft` and
/// their log-space form into `log`, bit for bit what
/// `relaxcat_dist_f32_rsample_hard` and `relaxcat_dist_f32_rsample_log`
/// give. Sizes and generator rules as in
/// `relaxcat_dist_f32_rsample_with_log`.
///
/// Errors: those of `relaxcat_dist_f32_rsample`, for each of the three
/// outputs; any two of them overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `hard`, `soft` and `log`
/// must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_with_log(
    dist: *const relaxcat_dist_f32,
    generator: *mut relaxcat_generator,
    samples: usize,
    hard: *mut f32,
    hard_ld: usize,
    soft: *mut f32,
    soft_ld: usize,
    log: *mut f32,
    log_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_with_log(
            dist, generator, samples, Some((hard, hard_ld)), soft, soft_ld, log, log_ld,
        )
    }
}

/// Stateless form of `relaxcat_dist_f32_rsample_hard_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)`.
///
/// Errors: those of `relaxcat_dist_f32_rsample_rows`, for each of the three
/// outputs; any two of them overlapping (ALIASING).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `hard`, `soft` and `log` must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_with_log_rows(
    dist: *const relaxcat_dist_f32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut f32,
    hard_ld: usize,
    soft: *mut f32,
    soft_ld: usize,
    log: *mut f32,
    log_ld: usize,
) -> relaxcat_status {
    entry! {
        unsafe draw_with_log_rows(
            dist, seed, offset, row_begin, row_end, Some((hard, hard_ld)), soft, soft_ld, log,
            log_ld,
        )
    }
}

/// The backward pass of `relaxcat_dist_f32_rsample` (`f32`): given a sample
/// of `rows` rows (N, a multiple of B, in the samplers' order: row `i` from
/// parameter row `i % B`) and the upstream gradient `grad` w.r.t. `y`
/// (N x K, leading dimension `grad_ld`), writes the gradients w.r.t. the
/// parameters, summed over the sample rows of each batch row:
///
/// `zbar = y (ybar - <ybar, y>)`, `lbar = zbar / t`,
/// `tbar = -(1/t) sum_k zbar_k x_k`.
///
/// The sample: `soft` (`y`) and/or `log` (`x = ln y`), each N x K with its
/// leading dimension, NULL for a form not at hand (at least one unless
/// N = 0; with both, no logarithm or exponential is evaluated).
///
/// Outputs, each NULL when not wanted (then not computed): `grad_logits`
/// (B x K, `grad_logits_ld`; the same for raw and normalised logits);
/// `grad_probs` (B x K, `grad_probs_ld`; only for a distribution built from
/// probs, and it needs `probs_given`, the probs exactly as passed to
/// `relaxcat_dist_f32_new`, B x K with `probs_given_ld`); `grad_temperature`
/// (`grad_temperature_len` floats, equal to
/// `relaxcat_dist_f32_temperature_len`: per row, or one summed value for a
/// scalar temperature). Masked categories get gradient 0. On error nothing
/// is written.
///
/// Errors: a NULL `dist`, a NULL `grad`, or both `soft` and `log` NULL,
/// with `rows > 0` (NULL_POINTER); a non-NULL `grad_probs` without
/// `probs_given` (NULL_POINTER); `grad_probs` for a distribution built from
/// logits (INVALID_PARAMETER_CHOICE); N not a multiple of B, a leading
/// dimension below K, `grad_temperature_len` not the temperature length
/// while `grad_temperature` is non-NULL, a buffer misaligned for its
/// element type (INVALID_SHAPE); sizes overflowing (SIZE_OVERFLOW); an
/// output overlapping an input or another output (ALIASING); memory for the
/// call's scratch or temporaries could not be reserved (OUT_OF_MEMORY).
/// Arguments that only an unwanted output uses are ignored, neither read
/// nor checked: `probs_given` and its `_ld` when `grad_probs` is NULL,
/// `grad_temperature_len` when `grad_temperature` is NULL, and the `_ld` of
/// a NULL matrix.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_backward(
    dist: *const relaxcat_dist_f32,
    rows: usize,
    soft: *const f32,
    soft_ld: usize,
    log: *const f32,
    log_ld: usize,
    grad: *const f32,
    grad_ld: usize,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    probs_given: *const f32,
    probs_given_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
) -> relaxcat_status {
    entry! {
        unsafe sample_backward(
            Dist::rsample_backward, dist, rows, soft, soft_ld, log, log_ld, grad, grad_ld,
            ParamPtrs::new(
                grad_logits, grad_logits_ld, probs_given, probs_given_ld, grad_probs, grad_probs_ld,
                grad_temperature, grad_temperature_len,
            ),
        )
    }
}

/// The straight-through backward pass of `relaxcat_dist_f32_rsample_hard`
/// (`f32`): the upstream gradient `grad` is w.r.t. the one-hot sample and
/// flows through the soft sample it came from (`soft` and/or `log`), so
/// this equals `relaxcat_dist_f32_rsample_backward` on that soft sample;
/// arguments and rules as there.
///
/// Errors: as `relaxcat_dist_f32_rsample_backward`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_hard_backward(
    dist: *const relaxcat_dist_f32,
    rows: usize,
    soft: *const f32,
    soft_ld: usize,
    log: *const f32,
    log_ld: usize,
    grad: *const f32,
    grad_ld: usize,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    probs_given: *const f32,
    probs_given_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
) -> relaxcat_status {
    entry! {
        unsafe sample_backward(
            Dist::rsample_hard_backward, dist, rows, soft, soft_ld, log, log_ld, grad, grad_ld,
            ParamPtrs::new(
                grad_logits, grad_logits_ld, probs_given, probs_given_ld, grad_probs, grad_probs_ld,
                grad_temperature, grad_temperature_len,
            ),
        )
    }
}

/// The backward pass of `relaxcat_dist_f32_rsample_log` (`f32`): the
/// upstream gradient `grad` is w.r.t. `x = ln y`
/// (`zbar = xbar - y sum xbar`); other arguments and rules as in
/// `relaxcat_dist_f32_rsample_backward`. Categories whose `y` underflowed
/// keep their full gradient when `log` is passed (`ln y` of an underflowed
/// `y` is `-inf`).
///
/// Errors: as `relaxcat_dist_f32_rsample_backward`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_rsample_log_backward(
    dist: *const relaxcat_dist_f32,
    rows: usize,
    soft: *const f32,
    soft_ld: usize,
    log: *const f32,
    log_ld: usize,
    grad: *const f32,
    grad_ld: usize,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    probs_given: *const f32,
    probs_given_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
) -> relaxcat_status {
    entry! {
        unsafe sample_backward(
            Dist::rsample_log_backward, dist, rows, soft, soft_ld, log, log_ld, grad, grad_ld,
            ParamPtrs::new(
                grad_logits, grad_logits_ld, probs_given, probs_given_ld, grad_probs, grad_probs_ld,
                grad_temperature, grad_temperature_len,
            ),
        )
    }
}

/// The backward pass of `relaxcat_dist_f32_log_prob` (`f32`), fused with
/// it: for `rows` value rows (N, a multiple of B; N x K with `value_ld`)
/// and the upstream gradient `grad` (N floats, one per log-density),
/// writes whichever outputs are non-NULL: the parameter gradients
/// (`grad_logits`, `grad_probs` with `probs_given`, `grad_temperature`,
/// summed over the value rows of each batch row, as in
/// `relaxcat_dist_f32_rsample_backward`), the value gradient `grad_value`
/// (N x K with `grad_value_ld`, per row; masked categories 0) and the
/// log-densities `log_prob` (N floats). A value row with density 0
/// contributes 0 to every gradient. With validation on, values are checked
/// as `relaxcat_dist_f32_log_prob` checks them. On error nothing is
/// written.
///
/// Errors: those of `relaxcat_dist_f32_log_prob` for `value` and
/// `log_prob`, and those of `relaxcat_dist_f32_rsample_backward` for the
/// parameter gradients; a NULL `grad` or `value` with `rows > 0`
/// (NULL_POINTER); `grad_value` overlapping an input or another output
/// (ALIASING). Out of range: a value gradient whose exact magnitude exceeds
/// the largest float (at a subnormal `y`, where `1 / y` overflows) is
/// `+-inf`, not an error.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_log_prob_backward(
    dist: *const relaxcat_dist_f32,
    rows: usize,
    value: *const f32,
    value_ld: usize,
    grad: *const f32,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    probs_given: *const f32,
    probs_given_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
    grad_value: *mut f32,
    grad_value_ld: usize,
    log_prob: *mut f32,
) -> relaxcat_status {
    entry! {
        unsafe density_backward(
            Dist::log_prob_backward, dist, rows, value, value_ld, grad,
            ParamPtrs::new(
                grad_logits, grad_logits_ld, probs_given, probs_given_ld, grad_probs, grad_probs_ld,
                grad_temperature, grad_temperature_len,
            ),
            grad_value, grad_value_ld, log_prob,
        )
    }
}

/// The backward pass of `relaxcat_dist_f32_log_prob_x` (`f32`): as
/// `relaxcat_dist_f32_log_prob_backward` for log-space values `x = ln y`;
/// `grad_value` is w.r.t. `x` and `log_prob` receives the log-space
/// densities.
///
/// Errors: as `relaxcat_dist_f32_log_prob_backward`, with the value checks
/// of `relaxcat_dist_f32_log_prob_x`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f32_log_prob_x_backward(
    dist: *const relaxcat_dist_f32,
    rows: usize,
    value: *const f32,
    value_ld: usize,
    grad: *const f32,
    grad_logits: *mut f32,
    grad_logits_ld: usize,
    probs_given: *const f32,
    probs_given_ld: usize,
    grad_probs: *mut f32,
    grad_probs_ld: usize,
    grad_temperature: *mut f32,
    grad_temperature_len: usize,
    grad_value: *mut f32,
    grad_value_ld: usize,
    log_prob: *mut f32,
) -> relaxcat_status {
    entry! {
        unsafe density_backward(
            Dist::log_prob_x_backward, dist, rows, value, value_ld, grad,
            ParamPtrs::new(
                grad_logits, grad_logits_ld, probs_given, probs_given_ld, grad_probs, grad_probs_ld,
                grad_temperature, grad_temperature_len,
            ),
            grad_value, grad_value_ld, log_prob,
        )
    }
}
