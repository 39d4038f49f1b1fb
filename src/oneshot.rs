//! One-shot entry points: every operation and its backward pass in one
//! call that takes the parameters as they are, with no distribution value
//! to build and keep. A framework's custom operator calls exactly these
//! each training step, when the logits are new every step.
//!
//! ```text
//! params  = (logits | probs as given, B x K;  temperature, 1 or B values;  validate)
//! rsample_rows(params, stream, rows, out)        rows [a, b) of the stream's S x B rows
//! log_prob(params, value, out)                   N value rows, N a multiple of B
//! rsample_backward(params, sample, grad, grads)  log_prob_backward(params, value, grad, grads)
//! ```
//!
//! Each is the method of the same name on a [`RelaxedOneHotCategorical`]
//! borrowed from `params` for the call: the same checks, the same errors
//! (nothing written on error) and the same bits. Building it costs one pass
//! over the parameters with no transcendental function (validation, the
//! unmasked counts and each row's largest logit) and no `B x K` allocation
//! for logits; for probs the pass also computes `ln p` into a `B x K`
//! temporary.

use crate::error::Result;
use crate::grad::{LogProbGrads, ParamGrads, SampleForm};
use crate::par::Exec;
use crate::rng::Stream;
use crate::{Draw, Float, Noise, RelaxedOneHotCategorical};
use std::ops::Range;

/// The parameter rows of a one-shot call.
#[derive(Clone, Copy, Debug)]
pub enum Weights<'a, T> {
    /// Logits, `B x K` row-major, any shift per row; `-inf` masks a category.
    Logits(&'a [T]),
    /// Probabilities, `B x K` row-major, any positive scale per row; `0`
    /// masks a category.
    Probs(&'a [T]),
}

/// What a one-shot call needs to know of the distribution.
#[derive(Clone, Copy, Debug)]
pub struct Params<'a, T> {
    /// The categories per row, `K`.
    pub k: usize,
    /// The parameter rows.
    pub weights: Weights<'a, T>,
    /// One temperature, or one per batch row.
    pub temperature: &'a [T],
    /// Check the parameter values (and `log_prob` values); shapes are
    /// always checked.
    pub validate: bool,
}

impl<'a, T: Float> Params<'a, T> {
    /// Logits with a temperature, validation on.
    pub fn logits(k: usize, logits: &'a [T], temperature: &'a [T]) -> Self {
        Params {
            k,
            weights: Weights::Logits(logits),
            temperature,
            validate: true,
        }
    }

    /// Probs with a temperature, validation on.
    pub fn probs(k: usize, probs: &'a [T], temperature: &'a [T]) -> Self {
        Params {
            k,
            weights: Weights::Probs(probs),
            temperature,
            validate: true,
        }
    }

    /// The same parameters with validation on or off.
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// The distribution these parameters describe, borrowing them.
    pub fn dist(&self, exec: &Exec) -> Result<RelaxedOneHotCategorical<'a, T>> {
        let builder = RelaxedOneHotCategorical::builder(self.k)
            .temperature(self.temperature)
            .validate(self.validate)
            .exec(exec.clone());
        match self.weights {
            Weights::Logits(l) => builder.logits(l),
            Weights::Probs(p) => builder.probs(p),
        }
        .build()
    }
}

/// Relaxed samples: rows `rows` of the stream's `S x B` sample rows (row
/// `j` from parameter row `j % B`, stream index `stream.offset + j`) into
/// `out` (`(rows.end - rows.start) x K`). See
/// [`Draw::Soft`].
pub fn rsample_rows<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    out: &mut [T],
) -> Result<()> {
    params
        .dist(exec)?
        .draw(Noise::Rows(stream, rows), Draw::Soft(out))
}

/// Straight-through samples: one-hot rows into `hard`, their soft samples
/// into `soft`. See [`Draw::Hard`].
pub fn rsample_hard_rows<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    hard: &mut [T],
    soft: &mut [T],
) -> Result<()> {
    params
        .dist(exec)?
        .draw(Noise::Rows(stream, rows), Draw::Hard { hard, soft })
}

/// Straight-through samples as indices: the positions of the ones of
/// [`rsample_hard_rows`]. See
/// [`Draw::Index`].
pub fn rsample_hard_index_rows<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    out: &mut [i64],
) -> Result<()> {
    params
        .dist(exec)?
        .draw(Noise::Rows(stream, rows), Draw::Index(out))
}

/// Log-space samples `x = ln y`. See
/// [`Draw::Log`].
pub fn rsample_log_rows<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    out: &mut [T],
) -> Result<()> {
    params
        .dist(exec)?
        .draw(Noise::Rows(stream, rows), Draw::Log(out))
}

/// `y` and `x = ln y` from one draw, the forward pass that makes the
/// backward pass free of transcendental functions. See
/// [`Draw::SoftWithLog`].
pub fn rsample_with_log_rows<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    stream: Stream,
    rows: Range<usize>,
    soft: &mut [T],
    log: &mut [T],
) -> Result<()> {
    params
        .dist(exec)?
        .draw(Noise::Rows(stream, rows), Draw::SoftWithLog { soft, log })
}

/// Log-densities of `N` value rows (`N` a multiple of `B`). See
/// [`RelaxedOneHotCategorical::log_prob_into`].
pub fn log_prob<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    value: &[T],
    out: &mut [T],
) -> Result<()> {
    params.dist(exec)?.log_prob_into(value, out)
}

/// Log-densities of log-space values. See
/// [`RelaxedOneHotCategorical::log_prob_x_into`].
pub fn log_prob_x<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    value: &[T],
    out: &mut [T],
) -> Result<()> {
    params.dist(exec)?.log_prob_x_into(value, out)
}

/// The backward pass of the relaxed (or straight-through) sampler, given
/// `dL/dy`. For probs, `grads.probs.given` is the probs of `params`. See
/// [`RelaxedOneHotCategorical::rsample_backward`].
pub fn rsample_backward<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    sample: SampleForm<'_, T>,
    grad_soft: &[T],
    grads: ParamGrads<'_, T>,
) -> Result<()> {
    params
        .dist(exec)?
        .rsample_backward(sample, grad_soft, grads)
}

/// The backward pass of the log-space sampler, given `dL/dx`. See
/// [`RelaxedOneHotCategorical::rsample_log_backward`].
pub fn rsample_log_backward<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    sample: SampleForm<'_, T>,
    grad_log: &[T],
    grads: ParamGrads<'_, T>,
) -> Result<()> {
    params
        .dist(exec)?
        .rsample_log_backward(sample, grad_log, grads)
}

/// The backward pass of `log_prob`, fused with it. See
/// [`RelaxedOneHotCategorical::log_prob_backward`].
pub fn log_prob_backward<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    value: &[T],
    grad_out: &[T],
    grads: LogProbGrads<'_, T>,
) -> Result<()> {
    params.dist(exec)?.log_prob_backward(value, grad_out, grads)
}

/// The backward pass of `log_prob_x`, fused with it. See
/// [`RelaxedOneHotCategorical::log_prob_x_backward`].
pub fn log_prob_x_backward<T: Float>(
    exec: &Exec,
    params: Params<'_, T>,
    value: &[T],
    grad_out: &[T],
    grads: LogProbGrads<'_, T>,
) -> Result<()> {
    params
        .dist(exec)?
        .log_prob_x_backward(value, grad_out, grads)
}
