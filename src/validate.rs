//! Parameter and value checks, and the messages that name what was wrong.
//! The kernels never see unchecked shapes; with validation off they may see
//! unchecked values, which give unspecified numbers but never UB or panics.

use crate::error::{Error, ErrorKind, Result};
use crate::simd::Real;

/// Temperatures: one, or one per batch row; each finite and `> 0` when
/// `validate`.
pub(crate) fn temperature<T: Real>(t: &[T], batch_rows: usize, validate: bool) -> Result<()> {
    if t.len() != 1 && t.len() != batch_rows {
        return Err(Error::shape(format!(
            "temperature has {} values, expected 1 (scalar) or {batch_rows} (one per batch row)",
            t.len()
        )));
    }
    if validate
        && let Some((row, &v)) = t
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > T::ZERO))
    {
        return Err(Error::new(
            ErrorKind::InvalidTemperature,
            format!("temperature: row {row} is {v:?}; temperatures must be finite and > 0"),
        ));
    }
    Ok(())
}

/// Probs rows: every entry finite and `>= 0`, every row sum `> 0` and finite.
pub(crate) fn probs<T: Real>(p: &[T], k: usize) -> Result<()> {
    for (row, r) in p.chunks_exact(k).enumerate() {
        if let Some((c, &v)) = r
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= T::ZERO))
        {
            return Err(Error::new(
                ErrorKind::InvalidProbs,
                format!("probs: row {row}, category {c} is {v:?}; probs must be finite and >= 0"),
            ));
        }
        let sum: f64 = r.iter().map(|v| v.to_f64()).sum();
        if !(sum > 0.0 && T::from_f64(sum).is_finite()) {
            return Err(Error::new(
                ErrorKind::InvalidProbs,
                format!(
                    "probs: row {row} sums to {sum:e}; a probs row must have a finite, positive sum"
                ),
            ));
        }
    }
    Ok(())
}

/// Logits rows: no NaN, no `+inf`, not every entry `-inf`.
pub(crate) fn logits<T: Real>(l: &[T], k: usize) -> Result<()> {
    for (row, r) in l.chunks_exact(k).enumerate() {
        if let Some((c, &v)) = r
            .iter()
            .enumerate()
            .find(|(_, v)| v.is_nan() || **v == T::INFINITY)
        {
            return Err(Error::new(
                ErrorKind::InvalidLogits,
                format!("logits: row {row}, category {c} is {v:?}; logits must not be NaN or +inf"),
            ));
        }
        if r.iter().all(|&v| v == T::NEG_INFINITY) {
            return Err(Error::new(
                ErrorKind::InvalidLogits,
                format!(
                    "logits: row {row} is -inf everywhere; at least one category must be possible"
                ),
            ));
        }
    }
    Ok(())
}

/// How far a value row's total may be from 1: `16 eps (1 + sqrt K)`, which
/// admits any reasonably summed simplex point of `K` entries in this
/// precision (rounding errors grow like `sqrt K` for a balanced sum).
pub fn value_tolerance<T: Real>(k: usize) -> f64 {
    16.0 * T::EPSILON.to_f64() * (1.0 + (k as f64).sqrt())
}

/// The error for value row `row`, whose kernel total was `total` (NaN when
/// some element was out of range).
pub(crate) fn value_error<T: Real>(
    name: &str,
    row: usize,
    values: &[T],
    total: T,
    log_space: bool,
) -> Error {
    let bad = values.iter().enumerate().find(|(_, v)| {
        if log_space {
            v.is_nan() || **v > T::ZERO
        } else {
            v.is_nan() || **v < T::ZERO || **v > T::ONE
        }
    });
    let message = match bad {
        Some((c, v)) if log_space => {
            format!(
                "{name}: row {row}, category {c} is {v:?}; log-space values must be <= 0 and not NaN"
            )
        }
        Some((c, v)) => {
            format!("{name}: row {row}, category {c} is {v:?}; values must be finite and in [0, 1]")
        }
        None => {
            let what = if log_space { "sum of exp" } else { "sum" };
            format!(
                "{name}: row {row} has {what} {total:?}, not within {:e} of 1; values must lie on the simplex",
                value_tolerance::<T>(values.len())
            )
        }
    };
    Error::new(ErrorKind::InvalidValue, message)
}
