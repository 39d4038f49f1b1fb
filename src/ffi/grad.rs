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

use super::buffer::{
    DenseOut, Mat, Span, all_disjoint, batch_multiple, handle, matrix, row_range, vector,
};
use super::dist::Dist;
use super::dist::{DistHandle, draw_matrix, relaxcat_dist_f32, relaxcat_dist_f64, rows_matrix};
use super::generator::relaxcat_generator;
use super::status::relaxcat_status;
use crate::error::{Error, ErrorKind, Result};
use crate::rng::Stream;
use crate::{Draw, Float, LogProbGrads, Noise, Param, ParamGrads, ProbsGrad, SampleForm};

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

impl<T> ParamPtrs<T> {
    /// The pointers in the order the entry points take them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        grad_logits: *mut T,
        grad_logits_ld: usize,
        probs_given: *const T,
        probs_given_ld: usize,
        grad_probs: *mut T,
        grad_probs_ld: usize,
        grad_temperature: *mut T,
        grad_temperature_len: usize,
    ) -> ParamPtrs<T> {
        ParamPtrs {
            grad_logits,
            grad_logits_ld,
            probs_given,
            probs_given_ld,
            grad_probs,
            grad_probs_ld,
            grad_temperature,
            grad_temperature_len,
        }
    }
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
    } else if dist.param() != Param::Probs {
        return Err(Error::new(
            ErrorKind::InvalidParameterChoice,
            "grad_probs is not NULL, but the distribution was built from logits; ask for grad_logits",
        ));
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
    } else if p.grad_temperature_len != dist.temperature().len() {
        return Err(Error::shape(format!(
            "grad_temperature_len is {}; expected relaxcat_dist_*_temperature_len = {}",
            p.grad_temperature_len,
            dist.temperature().len()
        )));
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
    unsafe fn new(outs: &ParamOuts<T>) -> Result<Self> {
        // SAFETY: extents checked by `param_outs`, disjointness by the
        // caller; validity per the extern function's contract.
        unsafe {
            Ok(ParamDense {
                logits: outs.logits.map(|m| m.dense()).transpose()?,
                given: outs.probs.map(|(g, _)| g.gather()).transpose()?,
                probs: outs.probs.map(|(_, o)| o.dense()).transpose()?,
                temperature: outs.temperature.map(|m| m.dense()).transpose()?,
            })
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
    batch_multiple("rows", rows, dist.batch_rows())?;
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
            soft.map(|m| m.gather()).transpose()?,
            log.map(|m| m.gather()).transpose()?,
            grad.gather()?,
            ParamDense::new(&outs)?,
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
    batch_multiple("rows", rows, dist.batch_rows())?;
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
            value.gather()?,
            grad.gather()?,
            ParamDense::new(&outs)?,
            grad_value.map(|m| m.dense()).transpose()?,
            log_prob.map(|m| m.dense()).transpose()?,
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
    let (mut soft, mut log, mut hard) = unsafe {
        (
            soft.dense()?,
            log.dense()?,
            hard.map(|m| m.dense()).transpose()?,
        )
    };
    let out = fused(hard.as_mut().map(DenseOut::buf), soft.buf(), log.buf());
    dist.draw(Noise::Generator(&mut generator, samples), out)?;
    soft.commit();
    log.commit();
    hard.into_iter().for_each(DenseOut::commit);
    Ok(())
}

/// The fused draw of `y` and `ln y`, with the one-hot rows when wanted.
fn fused<'o, T>(hard: Option<&'o mut [T]>, soft: &'o mut [T], log: &'o mut [T]) -> Draw<'o, T> {
    match hard {
        Some(hard) => Draw::HardWithLog { hard, soft, log },
        None => Draw::SoftWithLog { soft, log },
    }
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
    let (mut soft, mut log, mut hard) = unsafe {
        (
            soft.dense()?,
            log.dense()?,
            hard.map(|m| m.dense()).transpose()?,
        )
    };
    let out = fused(hard.as_mut().map(DenseOut::buf), soft.buf(), log.buf());
    dist.draw(Noise::Rows(stream, rows), out)?;
    soft.commit();
    log.commit();
    hard.into_iter().for_each(DenseOut::commit);
    Ok(())
}

pub(super) mod exports_f32;
pub(super) mod exports_f64;
