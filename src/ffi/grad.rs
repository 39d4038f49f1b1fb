//! Gradients through the C ABI: the fused forward samplers that write a
//! sample in both forms (`y` and `x = ln y`), and the backward passes
//! (vector-Jacobian products) of the samplers and of the log-density.
//!
//! ```text
//! rsample_with_log(_rows), rsample_hard_with_log(_rows): y and ln y (and
//!     one-hot rows) from one draw, bit for bit the plain samplers' values
//! rsample_backward / rsample_hard_backward / rsample_log_backward:
//!     sample (soft and/or log, N x K) + upstream grad (N x K)
//!     -> grad_logits (B x K), grad_probs (B x K), grad_temperature (1 or B)
//! log_prob_backward / log_prob_x_backward:
//!     value (N x K) + upstream grad (N) -> the parameter gradients, the
//!     value gradient (N x K) and the log-densities (N)
//! ```
//!
//! Every gradient output is optional (NULL: not computed). All outputs are
//! written only after the Rust call succeeded.

use super::buffer::{DenseOut, Mat, Span, all_disjoint, handle, matrix, row_range, vector};
use super::dist::Dist;
use super::dist::{DistHandle, draw_matrix, relaxcat_dist_f32, relaxcat_dist_f64, rows_matrix};
use super::generator::relaxcat_generator;
use super::status::{guard, relaxcat_status};
use crate::error::{Error, ErrorKind, Result};
use crate::rng::Stream;
use crate::{Float, LogProbGrads, ParamGrads, ProbsGrad, SampleForm};

/// The caller's optional parameter-gradient buffers, unchecked.
#[derive(Clone, Copy)]
pub(super) struct ParamPtrs<T> {
    pub grad_logits: *mut T,
    pub grad_logits_ld: usize,
    pub probs_given: *const T,
    pub probs_given_ld: usize,
    pub grad_probs: *mut T,
    pub grad_probs_ld: usize,
    pub grad_temperature: *mut T,
    pub grad_temperature_len: usize,
}

/// The parameter-gradient buffers, checked; `None` where not wanted.
struct ParamOuts<T> {
    logits: Option<Mat<*mut T>>,
    probs: Option<(Mat<*const T>, Mat<*mut T>)>,
    temperature: Option<Mat<*mut T>>,
}

impl<T> ParamOuts<T> {
    fn outputs(&self) -> Vec<&Span> {
        let mut spans = Vec::new();
        spans.extend(self.logits.as_ref().map(|m| &m.span));
        spans.extend(self.probs.as_ref().map(|(_, m)| &m.span));
        spans.extend(self.temperature.as_ref().map(|m| &m.span));
        spans
    }

    fn inputs(&self) -> Vec<&Span> {
        self.probs
            .as_ref()
            .map(|(m, _)| &m.span)
            .into_iter()
            .collect()
    }
}

fn param_outs<T: Float>(dist: &Dist<T>, p: ParamPtrs<T>) -> Result<ParamOuts<T>> {
    let (b, k) = (dist.batch_rows(), dist.num_categories());
    let logits = if p.grad_logits.is_null() {
        None
    } else {
        Some(matrix(
            "grad_logits",
            p.grad_logits,
            b,
            k,
            p.grad_logits_ld,
        )?)
    };
    let probs = if p.grad_probs.is_null() {
        None
    } else if p.probs_given.is_null() {
        return Err(Error::new(
            ErrorKind::NullPointer,
            "probs_given is NULL but grad_probs is not; the probs gradient needs the probs as given to relaxcat_dist_*_new",
        ));
    } else {
        Some((
            matrix("probs_given", p.probs_given, b, k, p.probs_given_ld)?,
            matrix("grad_probs", p.grad_probs, b, k, p.grad_probs_ld)?,
        ))
    };
    let temperature = if p.grad_temperature.is_null() {
        None
    } else {
        Some(vector(
            "grad_temperature",
            p.grad_temperature,
            p.grad_temperature_len,
        )?)
    };
    Ok(ParamOuts {
        logits,
        probs,
        temperature,
    })
}

/// Dense views of the parameter-gradient outputs and the given probs, kept
/// alive while the Rust call borrows them, then committed.
struct ParamDense<'a, T: Clone> {
    logits: Option<DenseOut<'a, T>>,
    given: Option<std::borrow::Cow<'a, [T]>>,
    probs: Option<DenseOut<'a, T>>,
    temperature: Option<DenseOut<'a, T>>,
}

impl<'a, T: Float + Default> ParamDense<'a, T> {
    /// # Safety
    /// The checked buffers are valid and exclusive (outputs) for `'a`.
    unsafe fn new(outs: &ParamOuts<T>) -> Self {
        // SAFETY: extents checked by `param_outs`, disjointness by the
        // caller; validity per the extern function's contract.
        unsafe {
            ParamDense {
                logits: outs.logits.map(|m| m.dense()),
                given: outs.probs.map(|(g, _)| g.gather()),
                probs: outs.probs.map(|(_, o)| o.dense()),
                temperature: outs.temperature.map(|m| m.dense()),
            }
        }
    }

    fn grads(&mut self) -> ParamGrads<'_, T> {
        ParamGrads {
            logits: self.logits.as_mut().map(|d| d.buf()),
            probs: match (&self.given, self.probs.as_mut()) {
                (Some(given), Some(out)) => Some(ProbsGrad {
                    given,
                    out: out.buf(),
                }),
                _ => None,
            },
            temperature: self.temperature.as_mut().map(|d| d.buf()),
        }
    }

    fn commit(self) {
        self.logits
            .into_iter()
            .chain(self.probs)
            .chain(self.temperature)
            .for_each(DenseOut::commit);
    }
}

/// A sampler backward pass of the Rust API.
pub(super) type SampleVjp<T> =
    fn(&Dist<T>, SampleForm<'_, T>, &[T], ParamGrads<'_, T>) -> Result<()>;

/// The backward pass of a sampler over `rows` sample rows.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn sample_backward<H: DistHandle>(
    f: SampleVjp<H::T>,
    dist: *const H,
    rows: usize,
    soft: *const H::T,
    soft_ld: usize,
    log: *const H::T,
    log_ld: usize,
    grad: *const H::T,
    grad_ld: usize,
    params: ParamPtrs<H::T>,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let k = dist.num_categories();
    let soft = if soft.is_null() {
        None
    } else {
        Some(matrix("soft", soft, rows, k, soft_ld)?)
    };
    let log = if log.is_null() {
        None
    } else {
        Some(matrix("log", log, rows, k, log_ld)?)
    };
    if soft.is_none() && log.is_none() && rows > 0 {
        return Err(Error::new(
            ErrorKind::NullPointer,
            "soft and log are both NULL; pass the sample in at least one form",
        ));
    }
    let grad = matrix("grad", grad, rows, k, grad_ld)?;
    let outs = param_outs(dist, params)?;
    let mut inputs = outs.inputs();
    inputs.extend(soft.as_ref().map(|m| &m.span));
    inputs.extend(log.as_ref().map(|m| &m.span));
    inputs.push(&grad.span);
    all_disjoint(&outs.outputs(), &inputs)?;
    // SAFETY: extents checked; outputs disjoint from everything else;
    // validity and exclusivity per the extern function's contract.
    let (soft, log, grad, mut dense) = unsafe {
        (
            soft.map(|m| m.gather()),
            log.map(|m| m.gather()),
            grad.gather(),
            ParamDense::new(&outs),
        )
    };
    let form = match (&soft, &log) {
        (Some(soft), Some(log)) => SampleForm::Both { soft, log },
        (None, Some(log)) => SampleForm::Log(log),
        (Some(soft), None) => SampleForm::Soft(soft),
        (None, None) => SampleForm::Soft(&[]),
    };
    f(dist, form, &grad, dense.grads())?;
    dense.commit();
    Ok(())
}

/// A density backward pass of the Rust API.
pub(super) type DensityVjp<T> = fn(&Dist<T>, &[T], &[T], LogProbGrads<'_, T>) -> Result<()>;

/// The backward pass of a log-density over `rows` value rows.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn density_backward<H: DistHandle>(
    f: DensityVjp<H::T>,
    dist: *const H,
    rows: usize,
    value: *const H::T,
    value_ld: usize,
    grad: *const H::T,
    params: ParamPtrs<H::T>,
    grad_value: *mut H::T,
    grad_value_ld: usize,
    log_prob: *mut H::T,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let k = dist.num_categories();
    let value = matrix("value", value, rows, k, value_ld)?;
    let grad = vector("grad", grad, rows)?;
    let outs = param_outs(dist, params)?;
    let grad_value = if grad_value.is_null() {
        None
    } else {
        Some(matrix("grad_value", grad_value, rows, k, grad_value_ld)?)
    };
    let log_prob = if log_prob.is_null() {
        None
    } else {
        Some(vector("log_prob", log_prob, rows)?)
    };
    let mut outputs = outs.outputs();
    outputs.extend(grad_value.as_ref().map(|m| &m.span));
    outputs.extend(log_prob.as_ref().map(|m| &m.span));
    let mut inputs = outs.inputs();
    inputs.push(&value.span);
    inputs.push(&grad.span);
    all_disjoint(&outputs, &inputs)?;
    // SAFETY: extents checked; outputs disjoint from everything else;
    // validity and exclusivity per the extern function's contract.
    let (value, grad, mut dense, mut grad_value, mut log_prob) = unsafe {
        (
            value.gather(),
            grad.gather(),
            ParamDense::new(&outs),
            grad_value.map(|m| m.dense()),
            log_prob.map(|m| m.dense()),
        )
    };
    let grads = LogProbGrads {
        params: dense.grads(),
        value: grad_value.as_mut().map(|d| d.buf()),
        log_prob: log_prob.as_mut().map(|d| d.buf()),
    };
    f(dist, &value, &grad, grads)?;
    dense.commit();
    grad_value
        .into_iter()
        .chain(log_prob)
        .for_each(DenseOut::commit);
    Ok(())
}

/// `y` and `ln y` (and, with `hard`, one-hot rows) from a generator.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
unsafe fn draw_with_log<H: DistHandle>(
    dist: *const H,
    generator: *mut relaxcat_generator,
    samples: usize,
    hard: Option<(*mut H::T, usize)>,
    soft: *mut H::T,
    soft_ld: usize,
    log: *mut H::T,
    log_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let generator = handle("generator", generator)?;
    let soft = draw_matrix(dist, samples, "soft", soft, soft_ld)?;
    let log = draw_matrix(dist, samples, "log", log, log_ld)?;
    let hard = match hard {
        Some((ptr, ld)) => Some(draw_matrix(dist, samples, "hard", ptr, ld)?),
        None => None,
    };
    let mut outputs = vec![&soft.span, &log.span];
    outputs.extend(hard.as_ref().map(|m| &m.span));
    all_disjoint(&outputs, &[])?;
    let mut generator = generator.lock();
    // SAFETY: checked extents, pairwise disjoint, exclusive per contract;
    // committed only after the sampler succeeded.
    let (mut soft, mut log, mut hard) =
        unsafe { (soft.dense(), log.dense(), hard.map(|m| m.dense())) };
    match hard.as_mut() {
        Some(hard) => dist.rsample_hard_with_log_into(
            &mut generator,
            samples,
            hard.buf(),
            soft.buf(),
            log.buf(),
        )?,
        None => dist.rsample_with_log_into(&mut generator, samples, soft.buf(), log.buf())?,
    }
    soft.commit();
    log.commit();
    hard.into_iter().for_each(DenseOut::commit);
    Ok(())
}

/// Rows `[begin, end)` of a stream as `y` and `ln y` (and one-hot rows).
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn draw_with_log_rows<H: DistHandle>(
    dist: *const H,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: Option<(*mut H::T, usize)>,
    soft: *mut H::T,
    soft_ld: usize,
    log: *mut H::T,
    log_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let rows = row_range(row_begin, row_end)?;
    let soft = rows_matrix(dist, &rows, "soft", soft, soft_ld)?;
    let log = rows_matrix(dist, &rows, "log", log, log_ld)?;
    let hard = match hard {
        Some((ptr, ld)) => Some(rows_matrix(dist, &rows, "hard", ptr, ld)?),
        None => None,
    };
    let mut outputs = vec![&soft.span, &log.span];
    outputs.extend(hard.as_ref().map(|m| &m.span));
    all_disjoint(&outputs, &[])?;
    let stream = Stream::new(seed, offset);
    // SAFETY: as in `draw_with_log`.
    let (mut soft, mut log, mut hard) =
        unsafe { (soft.dense(), log.dense(), hard.map(|m| m.dense())) };
    match hard.as_mut() {
        Some(hard) => {
            dist.rsample_hard_with_log_rows_into(stream, rows, hard.buf(), soft.buf(), log.buf())?
        }
        None => dist.rsample_with_log_rows_into(stream, rows, soft.buf(), log.buf())?,
    }
    soft.commit();
    log.commit();
    hard.into_iter().for_each(DenseOut::commit);
    Ok(())
}

/// The fused forward pass for gradients (`f32`): relaxed samples `y` into
/// `soft` and their log-space form `x = ln y` into `log` from one draw of
/// `generator`, bit for bit what `relaxcat_dist_f32_rsample` and
/// `relaxcat_dist_f32_rsample_log` give for the same stream rows. Both are
/// (samples * B) x K matrices with their own leading dimension (>= K); the
/// generator advances by samples * B rows. Pass both to a backward pass. On
/// error nothing is written and the generator does not move.
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
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_with_log", || unsafe {
        draw_with_log(dist, generator, samples, None, soft, soft_ld, log, log_ld)
    })
}

/// Stateless form of `relaxcat_dist_f32_rsample_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)` as in
/// `relaxcat_dist_f32_rsample_rows`, as `y` into `soft` and `ln y` into
/// `log`.
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
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_with_log_rows", || unsafe {
        draw_with_log_rows(
            dist, seed, offset, row_begin, row_end, None, soft, soft_ld, log, log_ld,
        )
    })
}

/// The fused forward pass of the straight-through sampler (`f32`): one-hot
/// rows into `hard`, the relaxed samples they came from into `soft` and
/// their log-space form into `log`, bit for bit what
/// `relaxcat_dist_f32_rsample_hard` and `relaxcat_dist_f32_rsample_log`
/// give. Sizes and generator rules as in
/// `relaxcat_dist_f32_rsample_with_log`.
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
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_hard_with_log", || unsafe {
        draw_with_log(
            dist,
            generator,
            samples,
            Some((hard, hard_ld)),
            soft,
            soft_ld,
            log,
            log_ld,
        )
    })
}

/// Stateless form of `relaxcat_dist_f32_rsample_hard_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)`.
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
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_hard_with_log_rows", || unsafe {
        draw_with_log_rows(
            dist,
            seed,
            offset,
            row_begin,
            row_end,
            Some((hard, hard_ld)),
            soft,
            soft_ld,
            log,
            log_ld,
        )
    })
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
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_backward", || unsafe {
        sample_backward(
            Dist::rsample_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
}

/// The straight-through backward pass of `relaxcat_dist_f32_rsample_hard`
/// (`f32`): the upstream gradient `grad` is w.r.t. the one-hot sample and
/// flows through the soft sample it came from (`soft` and/or `log`), so
/// this equals `relaxcat_dist_f32_rsample_backward` on that soft sample;
/// arguments and rules as there.
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
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_hard_backward", || unsafe {
        sample_backward(
            Dist::rsample_hard_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
}

/// The backward pass of `relaxcat_dist_f32_rsample_log` (`f32`): the
/// upstream gradient `grad` is w.r.t. `x = ln y`
/// (`zbar = xbar - y sum xbar`); other arguments and rules as in
/// `relaxcat_dist_f32_rsample_backward`. Categories whose `y` underflowed
/// keep their full gradient when `log` is passed (`ln y` of an underflowed
/// `y` is `-inf`).
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
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_rsample_log_backward", || unsafe {
        sample_backward(
            Dist::rsample_log_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
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
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_log_prob_backward", || unsafe {
        density_backward(
            Dist::log_prob_backward,
            dist,
            rows,
            value,
            value_ld,
            grad,
            params,
            grad_value,
            grad_value_ld,
            log_prob,
        )
    })
}

/// The backward pass of `relaxcat_dist_f32_log_prob_x` (`f32`): as
/// `relaxcat_dist_f32_log_prob_backward` for log-space values `x = ln y`;
/// `grad_value` is w.r.t. `x` and `log_prob` receives the log-space
/// densities.
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
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f32_log_prob_x_backward", || unsafe {
        density_backward(
            Dist::log_prob_x_backward,
            dist,
            rows,
            value,
            value_ld,
            grad,
            params,
            grad_value,
            grad_value_ld,
            log_prob,
        )
    })
}

/// The fused forward pass for gradients (`f64`): relaxed samples `y` into
/// `soft` and their log-space form `x = ln y` into `log` from one draw of
/// `generator`, bit for bit what `relaxcat_dist_f64_rsample` and
/// `relaxcat_dist_f64_rsample_log` give for the same stream rows. Both are
/// (samples * B) x K matrices with their own leading dimension (>= K); the
/// generator advances by samples * B rows. Pass both to a backward pass. On
/// error nothing is written and the generator does not move.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `soft` and `log` must not
/// overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_with_log(
    dist: *const relaxcat_dist_f64,
    generator: *mut relaxcat_generator,
    samples: usize,
    soft: *mut f64,
    soft_ld: usize,
    log: *mut f64,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_with_log", || unsafe {
        draw_with_log(dist, generator, samples, None, soft, soft_ld, log, log_ld)
    })
}

/// Stateless form of `relaxcat_dist_f64_rsample_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)` as in
/// `relaxcat_dist_f64_rsample_rows`, as `y` into `soft` and `ln y` into
/// `log`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `soft` and `log` must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_with_log_rows(
    dist: *const relaxcat_dist_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    soft: *mut f64,
    soft_ld: usize,
    log: *mut f64,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_with_log_rows", || unsafe {
        draw_with_log_rows(
            dist, seed, offset, row_begin, row_end, None, soft, soft_ld, log, log_ld,
        )
    })
}

/// The fused forward pass of the straight-through sampler (`f64`): one-hot
/// rows into `hard`, the relaxed samples they came from into `soft` and
/// their log-space form into `log`, bit for bit what
/// `relaxcat_dist_f64_rsample_hard` and `relaxcat_dist_f64_rsample_log`
/// give. Sizes and generator rules as in
/// `relaxcat_dist_f64_rsample_with_log`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls; calls sharing `generator` serialise on it. Ownership: all
/// pointers are borrowed for the call. Aliasing: `hard`, `soft` and `log`
/// must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_hard_with_log(
    dist: *const relaxcat_dist_f64,
    generator: *mut relaxcat_generator,
    samples: usize,
    hard: *mut f64,
    hard_ld: usize,
    soft: *mut f64,
    soft_ld: usize,
    log: *mut f64,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_hard_with_log", || unsafe {
        draw_with_log(
            dist,
            generator,
            samples,
            Some((hard, hard_ld)),
            soft,
            soft_ld,
            log,
            log_ld,
        )
    })
}

/// Stateless form of `relaxcat_dist_f64_rsample_hard_with_log`: rows
/// `[row_begin, row_end)` of the stream `(seed, offset)`.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing:
/// `hard`, `soft` and `log` must not overlap (RELAXCAT_ERROR_ALIASING).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_hard_with_log_rows(
    dist: *const relaxcat_dist_f64,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut f64,
    hard_ld: usize,
    soft: *mut f64,
    soft_ld: usize,
    log: *mut f64,
    log_ld: usize,
) -> relaxcat_status {
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_hard_with_log_rows", || unsafe {
        draw_with_log_rows(
            dist,
            seed,
            offset,
            row_begin,
            row_end,
            Some((hard, hard_ld)),
            soft,
            soft_ld,
            log,
            log_ld,
        )
    })
}

/// The backward pass of `relaxcat_dist_f64_rsample` (`f64`): given a sample
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
/// `relaxcat_dist_f64_new`, B x K with `probs_given_ld`); `grad_temperature`
/// (`grad_temperature_len` doubles, equal to
/// `relaxcat_dist_f64_temperature_len`: per row, or one summed value for a
/// scalar temperature). Masked categories get gradient 0. On error nothing
/// is written.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_backward(
    dist: *const relaxcat_dist_f64,
    rows: usize,
    soft: *const f64,
    soft_ld: usize,
    log: *const f64,
    log_ld: usize,
    grad: *const f64,
    grad_ld: usize,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    probs_given: *const f64,
    probs_given_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
) -> relaxcat_status {
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_backward", || unsafe {
        sample_backward(
            Dist::rsample_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
}

/// The straight-through backward pass of `relaxcat_dist_f64_rsample_hard`
/// (`f64`): the upstream gradient `grad` is w.r.t. the one-hot sample and
/// flows through the soft sample it came from (`soft` and/or `log`), so
/// this equals `relaxcat_dist_f64_rsample_backward` on that soft sample;
/// arguments and rules as there.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_hard_backward(
    dist: *const relaxcat_dist_f64,
    rows: usize,
    soft: *const f64,
    soft_ld: usize,
    log: *const f64,
    log_ld: usize,
    grad: *const f64,
    grad_ld: usize,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    probs_given: *const f64,
    probs_given_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
) -> relaxcat_status {
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_hard_backward", || unsafe {
        sample_backward(
            Dist::rsample_hard_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
}

/// The backward pass of `relaxcat_dist_f64_rsample_log` (`f64`): the
/// upstream gradient `grad` is w.r.t. `x = ln y`
/// (`zbar = xbar - y sum xbar`); other arguments and rules as in
/// `relaxcat_dist_f64_rsample_backward`. Categories whose `y` underflowed
/// keep their full gradient when `log` is passed (`ln y` of an underflowed
/// `y` is `-inf`).
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_rsample_log_backward(
    dist: *const relaxcat_dist_f64,
    rows: usize,
    soft: *const f64,
    soft_ld: usize,
    log: *const f64,
    log_ld: usize,
    grad: *const f64,
    grad_ld: usize,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    probs_given: *const f64,
    probs_given_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
) -> relaxcat_status {
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_rsample_log_backward", || unsafe {
        sample_backward(
            Dist::rsample_log_backward,
            dist,
            rows,
            soft,
            soft_ld,
            log,
            log_ld,
            grad,
            grad_ld,
            params,
        )
    })
}

/// The backward pass of `relaxcat_dist_f64_log_prob` (`f64`), fused with
/// it: for `rows` value rows (N, a multiple of B; N x K with `value_ld`)
/// and the upstream gradient `grad` (N doubles, one per log-density),
/// writes whichever outputs are non-NULL: the parameter gradients
/// (`grad_logits`, `grad_probs` with `probs_given`, `grad_temperature`,
/// summed over the value rows of each batch row, as in
/// `relaxcat_dist_f64_rsample_backward`), the value gradient `grad_value`
/// (N x K with `grad_value_ld`, per row; masked categories 0) and the
/// log-densities `log_prob` (N doubles). A value row with density 0
/// contributes 0 to every gradient. With validation on, values are checked
/// as `relaxcat_dist_f64_log_prob` checks them. On error nothing is
/// written.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_log_prob_backward(
    dist: *const relaxcat_dist_f64,
    rows: usize,
    value: *const f64,
    value_ld: usize,
    grad: *const f64,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    probs_given: *const f64,
    probs_given_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
    grad_value: *mut f64,
    grad_value_ld: usize,
    log_prob: *mut f64,
) -> relaxcat_status {
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_log_prob_backward", || unsafe {
        density_backward(
            Dist::log_prob_backward,
            dist,
            rows,
            value,
            value_ld,
            grad,
            params,
            grad_value,
            grad_value_ld,
            log_prob,
        )
    })
}

/// The backward pass of `relaxcat_dist_f64_log_prob_x` (`f64`): as
/// `relaxcat_dist_f64_log_prob_backward` for log-space values `x = ln y`;
/// `grad_value` is w.r.t. `x` and `log_prob` receives the log-space
/// densities.
///
/// # Safety
/// Thread safety: safe from any thread; `dist` may be shared by concurrent
/// calls. Ownership: all pointers are borrowed for the call. Aliasing: no
/// output may overlap another output or any input
/// (RELAXCAT_ERROR_ALIASING); inputs may overlap each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn relaxcat_dist_f64_log_prob_x_backward(
    dist: *const relaxcat_dist_f64,
    rows: usize,
    value: *const f64,
    value_ld: usize,
    grad: *const f64,
    grad_logits: *mut f64,
    grad_logits_ld: usize,
    probs_given: *const f64,
    probs_given_ld: usize,
    grad_probs: *mut f64,
    grad_probs_ld: usize,
    grad_temperature: *mut f64,
    grad_temperature_len: usize,
    grad_value: *mut f64,
    grad_value_ld: usize,
    log_prob: *mut f64,
) -> relaxcat_status {
    let params = ParamPtrs {
        grad_logits,
        grad_logits_ld,
        probs_given,
        probs_given_ld,
        grad_probs,
        grad_probs_ld,
        grad_temperature,
        grad_temperature_len,
    };
    // SAFETY: the caller's contract above is the helper's.
    guard("relaxcat_dist_f64_log_prob_x_backward", || unsafe {
        density_backward(
            Dist::log_prob_x_backward,
            dist,
            rows,
            value,
            value_ld,
            grad,
            params,
            grad_value,
            grad_value_ld,
            log_prob,
        )
    })
}
