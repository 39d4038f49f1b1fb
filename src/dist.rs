//! [`RelaxedOneHotCategorical`]: parameters, validation and the
//! distribution API.
//!
//! A distribution holds `B` parameter rows of `K` categories (`B x K`,
//! row-major) and a temperature (one, or one per row), borrowed as given
//! (or owned, after [`into_owned`](RelaxedOneHotCategorical::into_owned)).
//! Every kernel reads the rows as *log-weights*: the logits as given, or
//! `ln p` of the probs as given. Every formula is invariant to adding a
//! constant to a row of log-weights (docs/SPEC.md, section 3), so no kernel
//! needs them normalised: building a distribution from logits is one pass
//! with no transcendental function (validation and the unmasked counts) and
//! no `B x K` allocation. From probs it is one pass that also writes `ln p`.
//! The normalised forms are computed when asked for
//! ([`probs_into`](RelaxedOneHotCategorical::probs_into),
//! [`logits_into`](RelaxedOneHotCategorical::logits_into)). Per row the
//! distribution keeps `1/t`, the number `K'` of unmasked categories and
//! `lgamma(K') + (K'-1) ln t`.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result, checked_product};
use crate::kernels::batch::{DensityRows, SampleRows};
use crate::kernels::density::ln_gamma_count;
pub use crate::kernels::params::Param;
use crate::kernels::params::{FLAGGED_ROW, ParamCheckRows, ParamRows};
use crate::kernels::sample::SampleKind;
use crate::par::{Exec, RowSplit, Slices, run_row_parts, run_rows};
use crate::rng::{Stream, rows_per_block};
use crate::{Float, validate};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

/// The RelaxedOneHotCategorical (Concrete, Gumbel-softmax) distribution over
/// the open `K`-simplex, for `B` parameter rows.
///
/// Built by [`RelaxedOneHotCategorical::builder`] or the `from_*`
/// shortcuts, it borrows the parameters and temperature it was given for
/// `'a` (building copies nothing `B x K` from logits);
/// [`into_owned`](Self::into_owned) makes a `'static` copy. Samples go into
/// caller buffers (`*_into`) or new `Vec`s; every method checks its shapes,
/// and, with validation on (the default), its values, before writing
/// anything. For one call without a distribution value, see
/// [`crate::oneshot`].
#[derive(Clone, Debug)]
pub struct RelaxedOneHotCategorical<'a, T: Float> {
    pub(crate) k: usize,
    pub(crate) batch_rows: usize,
    pub(crate) param: Param,
    pub(crate) temperature: Cow<'a, [T]>,
    pub(crate) inv_temperature: Vec<T>,
    /// The parameters as given: raw logits or raw probs, `B x K`.
    pub(crate) given: Cow<'a, [T]>,
    /// `ln p` of the probs as given (probs only; empty for logits).
    pub(crate) ln_probs: Vec<T>,
    /// Per row, the largest log-weight (0 if not finite): the kernels
    /// subtract it, which keeps their rounding that of normalised logits.
    pub(crate) row_shift: Vec<T>,
    pub(crate) unmasked: Vec<usize>,
    /// `lgamma(K') + (K'-1) ln t` per row, made on the first density call
    /// (samplers do not need it, so building does not pay for it).
    pub(crate) log_norm: OnceLock<Vec<f64>>,
    pub(crate) validate: bool,
    pub(crate) exec: Exec,
}

/// Collects a distribution's parameters; [`Builder::build`] checks them.
#[derive(Clone, Debug)]
pub struct Builder<'a, T: Float> {
    k: usize,
    temperature: Cow<'a, [T]>,
    probs: Option<Cow<'a, [T]>>,
    logits: Option<Cow<'a, [T]>>,
    validate: bool,
    exec: Exec,
}

impl<'a, T: Float> Builder<'a, T> {
    /// The temperature: one value, or one per batch row.
    pub fn temperature(mut self, temperature: &'a [T]) -> Self {
        self.temperature = Cow::Borrowed(temperature);
        self
    }

    /// Probabilities, `B x K` row-major (rows need not sum to 1).
    pub fn probs(mut self, probs: &'a [T]) -> Self {
        self.probs = Some(Cow::Borrowed(probs));
        self
    }

    /// Logits, `B x K` row-major; `-inf` masks a category.
    pub fn logits(mut self, logits: &'a [T]) -> Self {
        self.logits = Some(Cow::Borrowed(logits));
        self
    }

    /// Owned parameters (the C ABI's gathered copy of a strided matrix),
    /// so that `into_owned` needs no second copy.
    pub(crate) fn owned(mut self, param: Param, values: Vec<T>) -> Self {
        match param {
            Param::Probs => self.probs = Some(Cow::Owned(values)),
            Param::Logits => self.logits = Some(Cow::Owned(values)),
        }
        self
    }

    /// Turns the checks of parameter and `log_prob` values on (the default)
    /// or off. Shapes are always checked.
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// The backend and threads every call of the distribution uses.
    pub fn exec(mut self, exec: Exec) -> Self {
        self.exec = exec;
        self
    }

    /// Checks the parameters and builds the distribution.
    pub fn build(self) -> Result<RelaxedOneHotCategorical<'a, T>> {
        let k = self.k;
        if k == 0 {
            return Err(Error::shape("k is 0; K must be at least 1"));
        }
        let (param, given) = match (self.probs, self.logits) {
            (Some(p), None) => (Param::Probs, p),
            (None, Some(l)) => (Param::Logits, l),
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorKind::InvalidParameterChoice,
                    "probs and logits both given; pass exactly one",
                ));
            }
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::InvalidParameterChoice,
                    "neither probs nor logits given; pass exactly one",
                ));
            }
        };
        let name = if param == Param::Probs {
            "probs"
        } else {
            "logits"
        };
        if given.is_empty() || !given.len().is_multiple_of(k) {
            return Err(Error::shape(format!(
                "{name} has {} elements, not a positive multiple of K = {k}",
                given.len()
            )));
        }
        let batch_rows = given.len() / k;
        validate::temperature(&self.temperature, batch_rows, self.validate)?;

        // Unmasked counts (and ln p) in one kernel, which flags every row
        // the parameter rules reject (see kernels::params).
        let values: &[T] = &given;
        let ln_len = if param == Param::Probs {
            values.len()
        } else {
            0
        };
        let mut ln_probs = alloc::filled(ln_len, T::ZERO, "ln probs")?;
        let mut unmasked = alloc::filled(batch_rows, 0usize, "unmasked counts")?;
        let mut row_shift = alloc::filled(batch_rows, T::ZERO, "row shifts")?;
        let mut inv_temperature = alloc::reserve(self.temperature.len(), "1 / temperature")?;
        let split = RowSplit {
            rows: batch_rows,
            row_elements: k,
            first_stream_row: 0,
            block_rows: 1,
        };
        let ln_width = if param == Param::Probs { k } else { 0 };
        let outputs = (
            Slices([&mut ln_probs[..], &mut row_shift[..]], [ln_width, 1]),
            Slices([&mut unmasked[..]], [1]),
        );
        run_row_parts(
            &self.exec,
            split,
            outputs,
            |rows, (Slices([ln_probs, row_shift], _), Slices([unmasked], _))| {
                T::param_check_rows(
                    self.exec.backend(),
                    ParamCheckRows {
                        kind: param,
                        input: &values[rows.start * k..rows.end * k],
                        ln_probs,
                        row_shift,
                        unmasked,
                        k,
                    },
                )
            },
        );
        if unmasked.contains(&FLAGGED_ROW) {
            // The scalar checks name the first bad row and category.
            if self.validate {
                match param {
                    Param::Probs => validate::probs(values, k)?,
                    Param::Logits => validate::logits(values, k)?,
                }
            }
            // Validation off, or a probs row near overflow that passed.
            for (row, count) in unmasked.iter_mut().enumerate() {
                if *count == FLAGGED_ROW {
                    let row = &values[row * k..(row + 1) * k];
                    *count = match param {
                        Param::Probs => row.iter().filter(|&&p| p > T::ZERO).count(),
                        Param::Logits => row.iter().filter(|&&l| l > T::NEG_INFINITY).count(),
                    };
                }
            }
        }
        let temperature = self.temperature;
        // 1/t saturates at the largest finite value, so a subnormal
        // temperature never makes `(l + g) / t` a NaN (see perturb_row).
        inv_temperature.extend(temperature.iter().map(|&t| (T::ONE / t).min_finite()));
        Ok(RelaxedOneHotCategorical {
            k,
            batch_rows,
            param,
            temperature,
            inv_temperature,
            given,
            ln_probs,
            row_shift,
            unmasked,
            log_norm: OnceLock::new(),
            validate: self.validate,
            exec: self.exec,
        })
    }
}

impl<'a, T: Float> RelaxedOneHotCategorical<'a, T> {
    /// A builder for `k` categories, validation on, default execution.
    pub fn builder(k: usize) -> Builder<'a, T> {
        Builder {
            k,
            temperature: Cow::Borrowed(&[]),
            probs: None,
            logits: None,
            validate: true,
            exec: Exec::default(),
        }
    }

    /// From logits (`B x K`) and a temperature (one, or one per row).
    pub fn from_logits(temperature: &'a [T], logits: &'a [T], k: usize) -> Result<Self> {
        Self::builder(k)
            .temperature(temperature)
            .logits(logits)
            .build()
    }

    /// From probabilities (`B x K`) and a temperature (one, or one per row).
    pub fn from_probs(temperature: &'a [T], probs: &'a [T], k: usize) -> Result<Self> {
        Self::builder(k)
            .temperature(temperature)
            .probs(probs)
            .build()
    }

    /// The same distribution owning its parameters and temperature (copied
    /// if borrowed), free of the borrow. An [`ErrorKind::OutOfMemory`]
    /// error if the copy cannot be allocated.
    pub fn into_owned(self) -> Result<RelaxedOneHotCategorical<'static, T>> {
        fn owned<T: Clone>(values: Cow<'_, [T]>, what: &str) -> Result<Vec<T>> {
            match values {
                Cow::Owned(v) => Ok(v),
                Cow::Borrowed(v) => alloc::copied(v, what),
            }
        }
        Ok(RelaxedOneHotCategorical {
            k: self.k,
            batch_rows: self.batch_rows,
            param: self.param,
            temperature: Cow::Owned(owned(self.temperature, "temperature copy")?),
            inv_temperature: self.inv_temperature,
            given: Cow::Owned(owned(self.given, "parameter copy")?),
            ln_probs: self.ln_probs,
            row_shift: self.row_shift,
            unmasked: self.unmasked,
            log_norm: self.log_norm,
            validate: self.validate,
            exec: self.exec,
        })
    }

    /// The same distribution with `given` replaced by an owned copy of the
    /// same values (the C ABI's copy, reserved before the build).
    pub(crate) fn with_given(mut self, copy: Vec<T>) -> RelaxedOneHotCategorical<'a, T> {
        debug_assert_eq!(copy.len(), self.given.len());
        self.given = Cow::Owned(copy);
        self
    }

    /// A copy of the distribution (what `clone` gives), with an
    /// [`ErrorKind::OutOfMemory`] error instead of an abort if its buffers
    /// cannot be allocated.
    pub fn try_clone(&self) -> Result<Self> {
        fn cow<'c, T: Clone>(values: &Cow<'c, [T]>, what: &str) -> Result<Cow<'c, [T]>> {
            Ok(match values {
                Cow::Borrowed(v) => Cow::Borrowed(*v),
                Cow::Owned(v) => Cow::Owned(alloc::copied(v, what)?),
            })
        }
        let log_norm = OnceLock::new();
        if let Some(v) = self.log_norm.get() {
            // A fresh OnceLock: setting it cannot fail.
            let _ = log_norm.set(alloc::copied(v, "log normalisers")?);
        }
        Ok(RelaxedOneHotCategorical {
            k: self.k,
            batch_rows: self.batch_rows,
            param: self.param,
            temperature: cow(&self.temperature, "temperature copy")?,
            inv_temperature: alloc::copied(&self.inv_temperature, "1 / temperature")?,
            given: cow(&self.given, "parameter copy")?,
            ln_probs: alloc::copied(&self.ln_probs, "ln probs")?,
            row_shift: alloc::copied(&self.row_shift, "row shifts")?,
            unmasked: alloc::copied(&self.unmasked, "unmasked counts")?,
            log_norm,
            validate: self.validate,
            exec: self.exec.clone(),
        })
    }

    /// `lgamma(K') + (K'-1) ln t` per parameter row, computed on first use
    /// (only the density and its gradients need it).
    pub(crate) fn log_norm(&self) -> Result<&[f64]> {
        if let Some(v) = self.log_norm.get() {
            return Ok(v);
        }
        let t = &self.temperature;
        // Rows almost always share K' (and often t): remember the last
        // lgamma and ln t instead of recomputing them per row.
        let mut last_lgamma = (usize::MAX, 0.0);
        let mut last_ln_t = (f64::NAN, 0.0);
        let rows = (0..self.batch_rows).map(|b| {
            let kp = self.unmasked[b];
            if last_lgamma.0 != kp {
                last_lgamma = (kp, ln_gamma_count(kp));
            }
            let t = t[if t.len() == 1 { 0 } else { b }].to_f64();
            if last_ln_t.0.to_bits() != t.to_bits() {
                last_ln_t = (t, t.ln());
            }
            last_lgamma.1 + (kp as f64 - 1.0) * last_ln_t.1
        });
        let v = alloc::collected(self.batch_rows, rows, "log normalisers")?;
        // Another thread may have set it meanwhile: the same numbers.
        Ok(self.log_norm.get_or_init(|| v))
    }

    /// The log-weights the kernels read, `B x K`: the logits as given, or
    /// `ln p` of the probs as given (each row up to an additive constant).
    pub(crate) fn log_weights(&self) -> &[T] {
        match self.param {
            Param::Logits => &self.given,
            Param::Probs => &self.ln_probs,
        }
    }

    /// The number of categories `K`.
    pub fn num_categories(&self) -> usize {
        self.k
    }

    /// The number of parameter rows `B`.
    pub fn batch_rows(&self) -> usize {
        self.batch_rows
    }

    /// The temperature as given: one value, or one per row.
    pub fn temperature(&self) -> &[T] {
        &self.temperature
    }

    /// The parameters as given to the builder: the logits or the probs
    /// (see [`param`](Self::param)), `B x K`.
    pub fn given(&self) -> &[T] {
        &self.given
    }

    /// Normalised logits and probs of every row, in one kernel.
    fn normalised(&self, logits: &mut [T], probs: &mut [T]) -> Result<()> {
        let k = self.k;
        let given: &[T] = &self.given;
        let mut counts = alloc::filled(self.batch_rows, 0usize, "unmasked counts")?;
        let split = RowSplit {
            rows: self.batch_rows,
            row_elements: k,
            first_stream_row: 0,
            block_rows: 1,
        };
        let outputs = (
            Slices([logits, probs], [k, k]),
            Slices([&mut counts[..]], [1]),
        );
        run_row_parts(
            &self.exec,
            split,
            outputs,
            |rows, (Slices([logits, probs], _), Slices([unmasked], _))| {
                T::param_rows(
                    self.exec.backend(),
                    ParamRows {
                        kind: self.param,
                        input: &given[rows.start * k..rows.end * k],
                        logits,
                        probs,
                        unmasked,
                        k,
                    },
                )
            },
        );
        Ok(())
    }

    fn check_parameter_output(&self, name: &str, out: &[T]) -> Result<()> {
        let len = self.batch_rows * self.k;
        if out.len() != len {
            return Err(Error::length(name, out.len(), len));
        }
        Ok(())
    }

    /// Writes the normalised probabilities (`B x K`, rows summing to 1,
    /// masked categories 0) into `out`; computed on each call.
    pub fn probs_into(&self, out: &mut [T]) -> Result<()> {
        self.check_parameter_output("probs output", out)?;
        let mut logits = alloc::filled(out.len(), T::ZERO, "normalised logits")?;
        self.normalised(&mut logits, out)
    }

    /// [`probs_into`](Self::probs_into) into a new `Vec`.
    pub fn probs(&self) -> Result<Vec<T>> {
        let mut out = alloc::filled(self.given.len(), T::ZERO, "probs output")?;
        self.probs_into(&mut out)?;
        Ok(out)
    }

    /// Writes the normalised logits (`ln probs`, `B x K`; masked categories
    /// `-inf`) into `out`; computed on each call.
    pub fn logits_into(&self, out: &mut [T]) -> Result<()> {
        self.check_parameter_output("logits output", out)?;
        let mut probs = alloc::filled(out.len(), T::ZERO, "normalised probs")?;
        self.normalised(out, &mut probs)
    }

    /// [`logits_into`](Self::logits_into) into a new `Vec`.
    pub fn logits(&self) -> Result<Vec<T>> {
        let mut out = alloc::filled(self.given.len(), T::ZERO, "logits output")?;
        self.logits_into(&mut out)?;
        Ok(out)
    }

    /// The parameterisation the distribution was built from.
    pub fn param(&self) -> Param {
        self.param
    }

    /// Whether values passed to `log_prob` are checked.
    pub fn validates(&self) -> bool {
        self.validate
    }

    /// The execution options.
    pub fn exec(&self) -> &Exec {
        &self.exec
    }

    /// The same distribution with other execution options.
    pub fn with_exec(mut self, exec: Exec) -> Self {
        self.exec = exec;
        self
    }

    pub(crate) fn sample_rows(
        &self,
        kind: SampleKind,
        stream: Stream,
        rows: Range<usize>,
        out: &mut [T],
        hard: &mut [T],
    ) -> Result<()> {
        let k = self.k;
        let n = rows
            .end
            .checked_sub(rows.start)
            .ok_or_else(|| Error::shape(format!("rows {rows:?} is reversed")))?;
        let len = checked_product("sample rows x K", n, k)?;
        if out.len() != len {
            return Err(Error::length(
                if kind == SampleKind::Hard {
                    "soft output"
                } else {
                    "output"
                },
                out.len(),
                len,
            ));
        }
        if kind == SampleKind::Hard && hard.len() != len {
            return Err(Error::length("hard output", hard.len(), len));
        }
        let split = RowSplit {
            rows: n,
            row_elements: k,
            first_stream_row: stream.offset.wrapping_add(rows.start as u64),
            block_rows: rows_per_block(k),
        };
        let hard_width = if kind == SampleKind::Hard { k } else { 0 };
        run_rows(
            &self.exec,
            split,
            [out, hard],
            [k, hard_width],
            |task, [out, hard]| {
                T::sample_rows(
                    self.exec.backend(),
                    SampleRows {
                        kind,
                        logits: self.log_weights(),
                        row_shift: &self.row_shift,
                        inv_temperature: &self.inv_temperature,
                        k,
                        seed: stream.seed,
                        stream_offset: stream.offset,
                        first_row: rows.start + task.start,
                        out,
                        hard,
                    },
                )
            },
        );
        Ok(())
    }

    fn density(&self, log_space: bool, value: &[T], out: &mut [T]) -> Result<()> {
        let k = self.k;
        let name = if log_space {
            "log-space value"
        } else {
            "value"
        };
        if !value.len().is_multiple_of(k) {
            return Err(Error::shape(format!(
                "{name} has {} elements, not a multiple of K = {k}",
                value.len()
            )));
        }
        let n = value.len() / k;
        if !n.is_multiple_of(self.batch_rows) {
            return Err(Error::shape(format!(
                "{name} has {n} rows, not a multiple of the {} batch rows",
                self.batch_rows
            )));
        }
        if out.len() != n {
            return Err(Error::length("log_prob output", out.len(), n));
        }
        let log_norm = self.log_norm()?;
        let mut result = alloc::filled(n, T::ZERO, "log_prob result")?;
        let totals_len = if self.validate { n } else { 0 };
        let mut totals = alloc::filled(totals_len, T::ZERO, "value row totals")?;
        let split = RowSplit {
            rows: n,
            row_elements: k,
            first_stream_row: 0,
            block_rows: 1,
        };
        let total_width = usize::from(self.validate);
        run_rows(
            &self.exec,
            split,
            [&mut result, &mut totals],
            [1, total_width],
            |rows, [out, totals]| {
                T::density_rows(
                    self.exec.backend(),
                    DensityRows {
                        log_space,
                        validate: self.validate,
                        logits: self.log_weights(),
                        row_shift: &self.row_shift,
                        temperature: &self.temperature,
                        log_norm,
                        unmasked: &self.unmasked,
                        k,
                        first_row: rows.start,
                        value: &value[rows.start * k..rows.end * k],
                        out,
                        totals,
                    },
                )
            },
        );
        if self.validate {
            let tolerance = validate::value_tolerance::<T>(k);
            let bad = totals
                .iter()
                .position(|t| t.is_nan() || (t.to_f64() - 1.0).abs() > tolerance);
            if let Some(row) = bad {
                return Err(validate::value_error(
                    name,
                    row,
                    &value[row * k..(row + 1) * k],
                    totals[row],
                    log_space,
                ));
            }
        }
        out.copy_from_slice(&result);
        Ok(())
    }

    /// Log-density of each value row (`N x K`, `N` a multiple of `B`; row
    /// `i` scored against parameter row `i % B`) into `out` (`N`).
    ///
    /// A value with mass on a masked category, or with an exact zero on an
    /// unmasked one (the boundary of the open simplex), has density 0:
    /// `-inf`. Samples whose components underflowed are scored exactly by
    /// [`log_prob_x_into`](Self::log_prob_x_into) on their log-space form.
    pub fn log_prob_into(&self, value: &[T], out: &mut [T]) -> Result<()> {
        self.density(false, value, out)
    }

    /// [`log_prob_into`](Self::log_prob_into) into a new `Vec`.
    pub fn log_prob(&self, value: &[T]) -> Result<Vec<T>> {
        let mut out = alloc::filled(value.len() / self.k, T::ZERO, "log_prob output")?;
        self.log_prob_into(value, &mut out)?;
        Ok(out)
    }

    /// Log-density of log-space values `x = ln y` (the density of `x`, so
    /// `log_prob(y) = log_prob_x(ln y) - sum ln y`); masked categories must
    /// be `-inf`.
    pub fn log_prob_x_into(&self, value: &[T], out: &mut [T]) -> Result<()> {
        self.density(true, value, out)
    }

    /// [`log_prob_x_into`](Self::log_prob_x_into) into a new `Vec`.
    pub fn log_prob_x(&self, value: &[T]) -> Result<Vec<T>> {
        let mut out = alloc::filled(value.len() / self.k, T::ZERO, "log_prob_x output")?;
        self.log_prob_x_into(value, &mut out)?;
        Ok(out)
    }
}
