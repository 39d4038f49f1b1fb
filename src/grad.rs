//! Gradients: the vector-Jacobian products of the samplers and of the
//! log-density, as kernels a framework can register as custom ops.
//!
//! ```text
//! rsample        y = softmax((l + g)/t), x = ln y;  upstream ybar (or xbar)
//!   zbar = y (ybar - <ybar, y>)       (from xbar: zbar = xbar - y sum xbar)
//!          (with one step of refinement of <ybar, y>, so a nearly one-hot
//!           y still gets accurate, zero-sum gradients; see kernels::grad)
//!   lbar[b] = sum_{s} zbar[s B + b] / t[b]
//!   tbar[b] = sum_{s} -(1/t[b]) sum_k zbar_k x_k    (scalar t: sum over b)
//! hard           the one-hot sample's gradient flows through its soft y
//! log_prob(y)    s = l - t ln y, w = softmax(s), upstream pbar per row
//!   lbar = pbar (1 - K' w)            tbar = pbar ((K'-1)/t + sum (K' w - 1) ln y)
//!   ybar = pbar (K' t w - t - 1) / y  (log space: xbar = pbar t (K' w - 1))
//! probs          p -> l = ln p - ln sum p:  pbar_k = lbar_k / p_k - sum_j lbar_j / sum_j p_j
//! ```
//!
//! (`K'` is the number of unmasked categories; sums run over them.) The
//! gradients w.r.t. the logits are the same for raw and normalised logits,
//! since each row of them sums to 0. Masked categories (logit `-inf`,
//! probability 0) get gradient 0 everywhere: their sample component is
//! exactly 0 (`-inf` in log space) whatever the parameters near them, and
//! the density lives on the face of the simplex without them. A sample
//! component that underflowed to 0 contributes its true, vanishing term; the
//! products `zbar_k x_k` with `x_k = -inf` are never formed.
//!
//! Sums over the sample rows of a batch row are deterministic: the rows are
//! cut into tiles by the shapes alone ([`crate::par_reduce`]), each tile
//! sums its rows in order, and the tiles' partial sums are added in tile
//! order, so the bits do not depend on the thread count or the backend.
//!
//! Every entry point checks all shapes (and, for `log_prob` with
//! validation on, the values) before writing anything; on an error no
//! output is touched.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result, checked_product};
use crate::kernels::density::CHUNK;
pub use crate::kernels::grad::SampleForm;
use crate::kernels::grad_batch::{
    LogProbBackwardTile, ProbsChainRows, RsampleBackwardTile, RsampleWithLogRows, ValueCheckRows,
};
use crate::par::{RowSplit, run_rows};
use crate::par_reduce::{Grid, run_tiles};
use crate::rng::{Stream, rows_per_block};
use crate::{Float, Param, RelaxedOneHotCategorical, validate};
use std::ops::Range;

/// Where the gradients w.r.t. the distribution's parameters go; `None` for
/// one that is not wanted (and is then not computed).
#[derive(Debug, Default)]
pub struct ParamGrads<'a, T> {
    /// W.r.t. the logits (raw or normalised alike), `B x K`, summed over
    /// the sample rows of each batch row.
    pub logits: Option<&'a mut [T]>,
    /// W.r.t. the probs, for a distribution built from probs.
    pub probs: Option<ProbsGrad<'a, T>>,
    /// W.r.t. the temperature: one value per batch row when the temperature
    /// was given per row, one value (summed over every row) when it was a
    /// scalar, i.e. as long as [`temperature()`](RelaxedOneHotCategorical::temperature).
    pub temperature: Option<&'a mut [T]>,
}

/// The gradient w.r.t. the probs a distribution was built from.
///
/// The distribution keeps its probs normalised, so the chain through
/// `p / sum p` needs the probs as given (`given`, `B x K`, the slice passed
/// to the builder). A zero probability (a masked category) gets gradient 0.
#[derive(Debug)]
pub struct ProbsGrad<'a, T> {
    /// The probs as given to the builder, `B x K`.
    pub given: &'a [T],
    /// The gradient, `B x K`.
    pub out: &'a mut [T],
}

/// Where the outputs of a `log_prob` backward pass go; `None` for one that
/// is not wanted.
#[derive(Debug, Default)]
pub struct LogProbGrads<'a, T> {
    /// Gradients w.r.t. the parameters.
    pub params: ParamGrads<'a, T>,
    /// W.r.t. the value, `N x K` (per value row, not summed). Masked
    /// categories get 0.
    pub value: Option<&'a mut [T]>,
    /// The log-densities themselves, `N` (the forward pass, computed on the
    /// way; equal to `log_prob_into`'s to rounding).
    pub log_prob: Option<&'a mut [T]>,
}

/// The checked shape of a backward call.
struct Rows {
    /// Sample rows per batch row.
    samples: usize,
    /// `S B`.
    rows: usize,
}

impl<T: Float> RelaxedOneHotCategorical<'_, T> {
    /// Rows of `S x B` in a buffer named `name` of `len` elements.
    fn sample_rows_of(&self, name: &str, len: usize) -> Result<Rows> {
        let k = self.k;
        if !len.is_multiple_of(k) {
            return Err(Error::shape(format!(
                "{name} has {len} elements, not a multiple of K = {k}"
            )));
        }
        let rows = len / k;
        if !rows.is_multiple_of(self.batch_rows) {
            return Err(Error::shape(format!(
                "{name} has {rows} rows, not a multiple of the {} batch rows",
                self.batch_rows
            )));
        }
        Ok(Rows {
            samples: rows / self.batch_rows,
            rows,
        })
    }

    fn check_param_grads(&self, grads: &ParamGrads<'_, T>) -> Result<()> {
        let len = self.batch_rows * self.k;
        if let Some(l) = &grads.logits
            && l.len() != len
        {
            return Err(Error::length("logits gradient", l.len(), len));
        }
        if let Some(p) = &grads.probs {
            if self.param != Param::Probs {
                return Err(Error::new(
                    ErrorKind::InvalidParameterChoice,
                    "a probs gradient was asked of a distribution built from logits; ask for the logits gradient",
                ));
            }
            if p.given.len() != len {
                return Err(Error::length("probs (as given)", p.given.len(), len));
            }
            if p.out.len() != len {
                return Err(Error::length("probs gradient", p.out.len(), len));
            }
        }
        if let Some(t) = &grads.temperature
            && t.len() != self.temperature.len()
        {
            return Err(Error::length(
                "temperature gradient",
                t.len(),
                self.temperature.len(),
            ));
        }
        Ok(())
    }

    /// Runs `tiles` with the parameter outputs of `grads` (logits and
    /// temperature gradients, per batch row, summed over samples), then
    /// finishes them: the scalar temperature's sum, the probs chain.
    /// `per_row` and its widths, and the tiles' `scratch_len`, pass through
    /// to [`run_tiles`]. Every temporary is reserved before an output is
    /// written.
    fn param_backward<const P: usize>(
        &self,
        samples: usize,
        grads: ParamGrads<'_, T>,
        per_row: [&mut [T]; P],
        per_row_widths: [usize; P],
        scratch_len: usize,
        tile: impl Fn(Range<usize>, Range<usize>, [&mut [T]; 2], [Vec<&mut [T]>; P], &mut [T]) + Sync,
    ) -> Result<()> {
        let (k, b) = (self.k, self.batch_rows);
        let ParamGrads {
            logits,
            probs,
            temperature,
        } = grads;
        let mut logits_tmp;
        let grad_logits: &mut [T] = match logits {
            Some(l) => l,
            None if probs.is_some() => {
                logits_tmp = alloc::filled(b * k, T::ZERO, "logits gradient (probs chain)")?;
                &mut logits_tmp
            }
            None => &mut [],
        };
        let scalar_t = self.temperature.len() != b;
        let mut t_tmp;
        let (grad_t, t_out): (&mut [T], Option<&mut [T]>) = match temperature {
            Some(t) if scalar_t => {
                t_tmp = alloc::filled(b, T::ZERO, "per-row temperature gradient")?;
                (&mut t_tmp, Some(t))
            }
            Some(t) => (t, None),
            None => (&mut [], None),
        };
        let widths = [
            if grad_logits.is_empty() { 0 } else { k },
            usize::from(!grad_t.is_empty()),
        ];
        if samples == 0 {
            grad_logits.fill(T::ZERO);
            grad_t.fill(T::ZERO);
        } else {
            let grid = Grid::new(samples, b, k);
            run_tiles(
                &self.exec,
                grid,
                [&mut *grad_logits, &mut *grad_t],
                widths,
                per_row,
                per_row_widths,
                scratch_len,
                |t, scratch| tile(t.samples, t.batch, t.reduced, t.per_row, scratch),
            )?;
        }
        if let Some(out) = t_out {
            // The scalar temperature's gradient: the batch rows' sums, added
            // in order in f64.
            out[0] = T::from_f64(grad_t.iter().map(|v| v.to_f64()).sum());
        }
        if let Some(ProbsGrad { given, out }) = probs {
            let split = RowSplit {
                rows: b,
                row_elements: k,
                first_stream_row: 0,
                block_rows: 1,
            };
            let grad_logits = &*grad_logits;
            run_rows(&self.exec, split, [out], [k], |rows, [out]| {
                let r = rows.start * k..rows.end * k;
                T::probs_chain_rows(
                    self.exec.backend(),
                    ProbsChainRows {
                        probs: &given[r.clone()],
                        grad_logits: &grad_logits[r],
                        out,
                        k,
                    },
                )
            });
        }
        Ok(())
    }

    fn rsample_vjp(
        &self,
        log_cotangent: bool,
        sample: SampleForm<'_, T>,
        grad: &[T],
        grads: ParamGrads<'_, T>,
    ) -> Result<()> {
        let len = match sample {
            SampleForm::Soft(y) => y.len(),
            SampleForm::Log(x) => x.len(),
            SampleForm::Both { soft, log } => {
                if soft.len() != log.len() {
                    return Err(Error::length("log-space sample", log.len(), soft.len()));
                }
                soft.len()
            }
        };
        let Rows { samples, .. } = self.sample_rows_of("sample", len)?;
        if grad.len() != len {
            return Err(Error::length("upstream gradient", grad.len(), len));
        }
        self.check_param_grads(&grads)?;
        if grads.logits.is_none() && grads.probs.is_none() && grads.temperature.is_none() {
            return Ok(());
        }
        let (k, batch_rows) = (self.k, self.batch_rows);
        self.param_backward(
            samples,
            grads,
            [],
            [],
            RsampleBackwardTile::<T>::scratch_len(k, sample),
            |samples, batch, [grad_logits, grad_temperature], [], scratch| {
                T::rsample_backward_tile(
                    self.exec.backend(),
                    RsampleBackwardTile {
                        log_cotangent,
                        sample,
                        grad,
                        inv_temperature: &self.inv_temperature,
                        k,
                        batch_rows,
                        samples,
                        batch,
                        grad_logits,
                        grad_temperature,
                        scratch,
                    },
                )
            },
        )
    }

    /// The backward pass of [`Draw::Soft`](crate::Draw::Soft): given the
    /// sample (`S x B` rows) and the upstream gradient `grad_soft` w.r.t. `y`
    /// (same shape), writes the gradients w.r.t. the logits (summed over
    /// the `S` sample rows of each batch row) and the temperature.
    ///
    /// ```text
    /// zbar = y (ybar - <ybar, y>);  lbar = zbar / t;  tbar = -(1/t) sum_k zbar_k x_k
    /// ```
    ///
    /// Each row of `lbar` sums to 0 (to rounding). Exact where components
    /// underflowed to 0 and for masked categories (their terms are 0).
    pub fn rsample_backward(
        &self,
        sample: SampleForm<'_, T>,
        grad_soft: &[T],
        grads: ParamGrads<'_, T>,
    ) -> Result<()> {
        self.rsample_vjp(false, sample, grad_soft, grads)
    }

    /// The straight-through backward pass of
    /// [`Draw::Hard`](crate::Draw::Hard): the gradient w.r.t.
    /// the one-hot sample flows through the soft sample it came from
    /// (`hard = y + stop_gradient(onehot - y)`), so this is
    /// [`rsample_backward`](Self::rsample_backward) on the soft sample.
    pub fn rsample_hard_backward(
        &self,
        soft: SampleForm<'_, T>,
        grad_hard: &[T],
        grads: ParamGrads<'_, T>,
    ) -> Result<()> {
        self.rsample_vjp(false, soft, grad_hard, grads)
    }

    /// The backward pass of [`Draw::Log`](crate::Draw::Log):
    /// the upstream gradient `grad_log` is w.r.t. `x = ln y`.
    ///
    /// ```text
    /// zbar = xbar - y sum_unmasked xbar  (masked: 0);  lbar = zbar / t;
    /// tbar = -(1/t) sum_k zbar_k x_k
    /// ```
    ///
    /// Categories whose `y` underflowed keep their full gradient (`x` is
    /// finite there); pass [`SampleForm::Log`] or [`SampleForm::Both`] for
    /// them, since `ln y` of an underflowed `y` is `-inf`.
    pub fn rsample_log_backward(
        &self,
        sample: SampleForm<'_, T>,
        grad_log: &[T],
        grads: ParamGrads<'_, T>,
    ) -> Result<()> {
        self.rsample_vjp(true, sample, grad_log, grads)
    }

    /// The fused sampler; `hard` empty for no one-hot rows.
    pub(crate) fn with_log_rows(
        &self,
        stream: Stream,
        rows: Range<usize>,
        hard: &mut [T],
        soft: &mut [T],
        log: &mut [T],
    ) -> Result<()> {
        let k = self.k;
        let n = rows
            .end
            .checked_sub(rows.start)
            .ok_or_else(|| Error::shape(format!("rows {rows:?} is reversed")))?;
        let len = checked_product("sample rows x K", n, k)?;
        if soft.len() != len {
            return Err(Error::length("soft output", soft.len(), len));
        }
        if log.len() != len {
            return Err(Error::length("log-space output", log.len(), len));
        }
        if len == 0 {
            return Ok(());
        }
        let split = RowSplit {
            rows: n,
            row_elements: k,
            first_stream_row: stream.offset.wrapping_add(rows.start as u64),
            block_rows: rows_per_block(k),
        };
        let hard_width = if hard.is_empty() { 0 } else { k };
        run_rows(
            &self.exec,
            split,
            [soft, log, hard],
            [k, k, hard_width],
            |task, [soft, log, hard]| {
                T::rsample_with_log_rows(
                    self.exec.backend(),
                    RsampleWithLogRows {
                        logits: self.log_weights(),
                        row_shift: &self.row_shift,
                        inv_temperature: &self.inv_temperature,
                        k,
                        seed: stream.seed,
                        stream_offset: stream.offset,
                        first_row: rows.start + task.start,
                        soft,
                        log,
                        hard,
                    },
                )
            },
        );
        Ok(())
    }

    /// The value check of `log_prob` (range and row totals), as
    /// `log_prob_into` makes it; nothing is written.
    fn check_values(&self, log_space: bool, value: &[T]) -> Result<()> {
        let k = self.k;
        let n = value.len() / k;
        let mut totals = alloc::filled(n, T::ZERO, "value row totals")?;
        let split = RowSplit {
            rows: n,
            row_elements: k,
            first_stream_row: 0,
            block_rows: 1,
        };
        run_rows(&self.exec, split, [&mut totals], [1], |rows, [totals]| {
            let value = &value[rows.start * k..rows.end * k];
            T::value_check_rows(
                self.exec.backend(),
                ValueCheckRows {
                    log_space,
                    value,
                    k,
                    chunk: CHUNK,
                    totals,
                },
            )
        });
        let tolerance = validate::value_tolerance::<T>(k);
        // NaN totals (an element out of range) are not within.
        let within = |t: &T| (t.to_f64() - 1.0).abs() <= tolerance;
        if let Some(row) = totals.iter().position(|t| !within(t)) {
            let name = if log_space {
                "log-space value"
            } else {
                "value"
            };
            return Err(validate::value_error(
                name,
                row,
                &value[row * k..(row + 1) * k],
                totals[row],
                log_space,
            ));
        }
        Ok(())
    }

    fn log_prob_vjp(
        &self,
        log_space: bool,
        value: &[T],
        grad_out: &[T],
        grads: LogProbGrads<'_, T>,
    ) -> Result<()> {
        let name = if log_space {
            "log-space value"
        } else {
            "value"
        };
        let Rows { samples, rows } = self.sample_rows_of(name, value.len())?;
        if grad_out.len() != rows {
            return Err(Error::length("upstream gradient", grad_out.len(), rows));
        }
        let LogProbGrads {
            params,
            value: grad_value,
            log_prob,
        } = grads;
        if let Some(g) = &grad_value
            && g.len() != value.len()
        {
            return Err(Error::length("value gradient", g.len(), value.len()));
        }
        if let Some(lp) = &log_prob
            && lp.len() != rows
        {
            return Err(Error::length("log_prob output", lp.len(), rows));
        }
        self.check_param_grads(&params)?;
        if self.validate {
            self.check_values(log_space, value)?;
        }
        let (k, batch_rows) = (self.k, self.batch_rows);
        let log_norm = self.log_norm()?;
        let grad_value = grad_value.unwrap_or_default();
        let log_prob = log_prob.unwrap_or_default();
        let widths = [
            if grad_value.is_empty() { 0 } else { k },
            usize::from(!log_prob.is_empty()),
        ];
        self.param_backward(
            samples,
            params,
            [grad_value, log_prob],
            widths,
            LogProbBackwardTile::<T>::scratch_len(k, log_space),
            |samples, batch, [grad_logits, grad_temperature], [grad_value, log_prob], scratch| {
                T::log_prob_backward_tile(
                    self.exec.backend(),
                    LogProbBackwardTile {
                        log_space,
                        logits: self.log_weights(),
                        row_shift: &self.row_shift,
                        temperature: &self.temperature,
                        log_norm,
                        unmasked: &self.unmasked,
                        k,
                        batch_rows,
                        samples,
                        batch,
                        value,
                        grad_out,
                        grad_logits,
                        grad_temperature,
                        grad_value,
                        log_prob,
                        scratch,
                    },
                )
            },
        )
    }

    /// The backward pass of [`log_prob_into`](Self::log_prob_into), fused
    /// with it: for value rows `value` (`N x K`, `N` a multiple of `B`) and
    /// the upstream gradient `grad_out` (`N`, one per log-density), writes
    /// whichever of `grads` are asked for: the gradients w.r.t. the logits
    /// or probs and the temperature (summed over the value rows of each
    /// batch row), w.r.t. the value (per row), and the log-densities.
    ///
    /// ```text
    /// s = l - t ln y;  w = softmax(s) over unmasked k;
    /// lbar = pbar (1 - K' w);  ybar = pbar (K' t w - t - 1) / y;
    /// tbar = pbar ((K'-1)/t - sum ln y + K' sum w ln y)
    /// ```
    ///
    /// A value row outside the support (density 0, `log_prob = -inf`)
    /// contributes 0 to every gradient. With validation on, values are
    /// checked as `log_prob_into` checks them, before anything is written.
    pub fn log_prob_backward(
        &self,
        value: &[T],
        grad_out: &[T],
        grads: LogProbGrads<'_, T>,
    ) -> Result<()> {
        self.log_prob_vjp(false, value, grad_out, grads)
    }

    /// [`log_prob_backward`](Self::log_prob_backward) for log-space values
    /// `x = ln y` (the density of [`log_prob_x_into`](Self::log_prob_x_into));
    /// the value gradient is w.r.t. `x`: `xbar = pbar t (K' w - 1)`.
    pub fn log_prob_x_backward(
        &self,
        value: &[T],
        grad_out: &[T],
        grads: LogProbGrads<'_, T>,
    ) -> Result<()> {
        self.log_prob_vjp(true, value, grad_out, grads)
    }
}
