//! Runs of rows: the [`Kernel`] values that [`crate::par`] hands to a
//! backend, one per task. Each holds the task's rows and output slices and
//! loops over the rows with the row kernels.

use super::density::log_density_row;
use super::logsumexp::{log_softmax_row, logsumexp_row, normalise_probs_row, probs_to_logits_row, softmax_row};
use super::sample::{SampleKind, gumbel_row, sample_row};
use crate::rng::RowRng;
use crate::simd::{Kernel, Real, Vector};

/// Which row-to-row map a [`RowMap`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMapKind {
    /// `softmax`.
    Softmax,
    /// `log_softmax`.
    LogSoftmax,
    /// `p / sum p`, for a probs row.
    NormaliseProbs,
    /// `ln p - ln sum p`, for a probs row (exact for subnormal `p`).
    ProbsToLogits,
}

/// `out` row `i` = softmax (or log_softmax) of `input` row `i`.
pub struct RowMap<'a, T> {
    /// Which map.
    pub kind: RowMapKind,
    /// The task's input rows.
    pub input: &'a [T],
    /// The task's output rows, as long as `input`.
    pub out: &'a mut [T],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for RowMap<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        for (row, out) in self.input.chunks_exact(self.k).zip(self.out.chunks_exact_mut(self.k)) {
            match self.kind {
                RowMapKind::Softmax => softmax_row::<V>(row, out),
                RowMapKind::LogSoftmax => log_softmax_row::<V>(row, out),
                RowMapKind::NormaliseProbs => normalise_probs_row::<V>(row, out),
                RowMapKind::ProbsToLogits => probs_to_logits_row::<V>(row, out),
            }
        }
    }
}

/// `out[i]` = logsumexp of `input` row `i`.
pub struct LogSumExpRows<'a, T> {
    /// The task's input rows.
    pub input: &'a [T],
    /// One output per row.
    pub out: &'a mut [T],
    /// Row length.
    pub k: usize,
}

impl<T: Real> Kernel<T> for LogSumExpRows<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        for (row, out) in self.input.chunks_exact(self.k).zip(self.out.iter_mut()) {
            *out = logsumexp_row::<V>(row);
        }
    }
}

/// Gumbel noise for stream rows `first_stream_row ..`.
pub struct GumbelRows<'a, T> {
    /// The seed.
    pub seed: u64,
    /// Stream index of the task's first row.
    pub first_stream_row: u64,
    /// Row length.
    pub k: usize,
    /// The task's output rows.
    pub out: &'a mut [T],
}

impl<T: Real> Kernel<T> for GumbelRows<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        let mut rng = RowRng::<V::Rng>::new(self.seed, self.first_stream_row, self.k, T::STEPS_PER_DRAW);
        for out in self.out.chunks_exact_mut(self.k) {
            gumbel_row::<V>(rng.next_row(), out);
        }
    }
}

/// Sample rows `first_row ..` of a distribution: row `j` uses parameter row
/// `j % batch_rows` and stream index `stream_offset + j`.
pub struct SampleRows<'a, T> {
    /// Which sample.
    pub kind: SampleKind,
    /// Normalised logits, `batch_rows x k`.
    pub logits: &'a [T],
    /// `1 / t` per parameter row (one value for a scalar temperature).
    pub inv_temperature: &'a [T],
    /// Row length.
    pub k: usize,
    /// The seed.
    pub seed: u64,
    /// Stream index of sample row 0.
    pub stream_offset: u64,
    /// Sample-row index of the task's first row.
    pub first_row: usize,
    /// The task's output rows (soft, log or — for hard — soft).
    pub out: &'a mut [T],
    /// The task's one-hot rows (hard only; empty otherwise).
    pub hard: &'a mut [T],
}

impl<T: Real> Kernel<T> for SampleRows<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        let mut rng = RowRng::<V::Rng>::new(self.seed, first_stream_row, k, T::STEPS_PER_DRAW);
        let mut hard_rows = self.hard.chunks_exact_mut(k);
        for (i, out) in self.out.chunks_exact_mut(k).enumerate() {
            let b = (self.first_row + i) % batch_rows;
            let logits = &self.logits[b * k..(b + 1) * k];
            let inv_t = self.inv_temperature[if self.inv_temperature.len() == 1 { 0 } else { b }];
            let hard = hard_rows.next().unwrap_or(&mut []);
            sample_row::<V>(self.kind, logits, inv_t, rng.next_row(), out, hard);
        }
    }
}

/// Log-densities of value rows `first_row ..`: value row `i` is scored
/// against parameter row `i % batch_rows`.
pub struct DensityRows<'a, T> {
    /// `true`: values are log-space samples `x = ln y`.
    pub log_space: bool,
    /// `true`: check each value row (range and total).
    pub validate: bool,
    /// Normalised logits, `batch_rows x k`.
    pub logits: &'a [T],
    /// Temperature per parameter row (one value for a scalar temperature).
    pub temperature: &'a [T],
    /// `lgamma(K') + (K'-1) ln t` per parameter row.
    pub log_norm: &'a [f64],
    /// Unmasked categories `K'` per parameter row.
    pub unmasked: &'a [usize],
    /// Row length.
    pub k: usize,
    /// Value-row index of the task's first row.
    pub first_row: usize,
    /// The task's value rows.
    pub value: &'a [T],
    /// One log-density per value row.
    pub out: &'a mut [T],
    /// Per value row, when validating: the row total (`sum y`, or
    /// `sum exp x`), or NaN if some element was out of range. Empty otherwise.
    pub totals: &'a mut [T],
}

impl<T: Real> Kernel<T> for DensityRows<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        match (self.log_space, self.validate) {
            (false, false) => self.rows::<V, false, false>(),
            (false, true) => self.rows::<V, false, true>(),
            (true, false) => self.rows::<V, true, false>(),
            (true, true) => self.rows::<V, true, true>(),
        }
    }
}

impl<T: Real> DensityRows<'_, T> {
    #[inline(always)]
    fn rows<V: Vector<Elem = T>, const LOG_SPACE: bool, const VALIDATE: bool>(self) {
        let k = self.k;
        let batch_rows = self.logits.len() / k;
        let per_row = |b: usize, values: &[T]| -> usize { if values.len() == 1 { 0 } else { b } };
        for (i, (value, out)) in self.value.chunks_exact(k).zip(self.out.iter_mut()).enumerate() {
            let b = (self.first_row + i) % batch_rows;
            let (lp, check) = log_density_row::<V, LOG_SPACE, VALIDATE>(
                &self.logits[b * k..(b + 1) * k],
                self.temperature[per_row(b, self.temperature)],
                self.log_norm[b],
                self.unmasked[b],
                value,
            );
            *out = lp;
            if VALIDATE {
                self.totals[i] = if check.out_of_range { T::NAN } else { T::from_f64(check.total) };
            }
        }
    }
}
