//! A distribution's parameters as the kernels read them, one bundle per
//! family: what every sampler reads ([`SamplerParams`], with the stream
//! rows of a task, [`StreamRows`]) and what every density reads
//! ([`DensityParams`]). The distribution builds them (`dist.rs`), so a
//! kernel struct holds one bundle and its own outputs, and each parameter
//! is named and documented once, here.
//!
//! Sample (or value) row `j` of a call is scored or drawn against
//! parameter row `j % B`; [`ParamCycle`] walks those rows without a `%`
//! per row.

use crate::rng::{RowRng, Stream};
use crate::simd::{Real, RngLanes};

/// The value of parameter row `b` in `values`: one shared value, or one per
/// row (a scalar or a per-row temperature).
#[cfg_attr(not(relaxcat_unoptimized), inline(always))]
pub fn per_row<T: Copy>(values: &[T], b: usize) -> T {
    values[if values.len() == 1 { 0 } else { b }]
}

/// What the samplers read: `softmax((l - shift + g) / t)` per row.
#[derive(Clone, Copy)]
pub struct SamplerParams<'a, T> {
    /// Log-weights (logits, or `ln p`, up to a constant per row), `B x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift subtracted from its log-weights: the
    /// row's largest logit (the result is the same for any shift; this one
    /// keeps the rounding of the offset out of the sample and density).
    pub row_shift: &'a [T],
    /// `1 / t` per parameter row (one value for a scalar temperature).
    pub inv_temperature: &'a [T],
    /// Row length.
    pub k: usize,
}

impl<'a, T: Real> SamplerParams<'a, T> {
    /// The parameter rows `B`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn batch_rows(&self) -> usize {
        self.logits.len() / self.k
    }

    /// Parameter row `b`: its log-weights, shift and `1 / t`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn row(&self, b: usize) -> (&'a [T], T, T) {
        let k = self.k;
        (
            &self.logits[b * k..(b + 1) * k],
            self.row_shift[b],
            per_row(self.inv_temperature, b),
        )
    }
}

/// Which rows of which noise stream a task draws: its sample rows are
/// `first_row ..` of the call, and sample row `j` takes row
/// `stream_offset + j` of stream `seed` (wrapping, as stream indices do).
#[derive(Clone, Copy)]
pub struct StreamRows {
    /// The stream's seed.
    pub seed: u64,
    /// The stream row of the call's sample row 0.
    pub stream_offset: u64,
    /// The call's sample-row index of the task's first row.
    pub first_row: usize,
}

impl StreamRows {
    /// Rows `first_row ..` of `stream`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn of(stream: Stream, first_row: usize) -> StreamRows {
        StreamRows {
            seed: stream.seed,
            stream_offset: stream.offset,
            first_row,
        }
    }

    /// The generator positioned at the task's first row, for rows of `k`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub(crate) fn rng<R: RngLanes>(&self, k: usize, steps_per_draw: u64) -> RowRng<R> {
        let first_stream_row = self.stream_offset.wrapping_add(self.first_row as u64);
        RowRng::new(self.seed, first_stream_row, k, steps_per_draw)
    }
}

/// What the densities and their backward pass read.
#[derive(Clone, Copy)]
pub struct DensityParams<'a, T> {
    /// Log-weights (logits, or `ln p`, up to a constant per row), `B x k`.
    pub logits: &'a [T],
    /// Per parameter row, the shift subtracted from its log-weights (see
    /// [`SamplerParams::row_shift`]).
    pub row_shift: &'a [T],
    /// Temperature per parameter row (one value for a scalar temperature).
    pub temperature: &'a [T],
    /// `lgamma(K') + (K'-1) ln t` per parameter row.
    pub log_norm: &'a [f64],
    /// Unmasked categories `K'` per parameter row.
    pub unmasked: &'a [usize],
    /// Row length.
    pub k: usize,
}

/// Parameter row `b` of a [`DensityParams`].
#[derive(Clone, Copy)]
pub struct DensityRow<'a, T> {
    /// Its log-weights.
    pub logits: &'a [T],
    /// Their shift.
    pub shift: T,
    /// Its temperature.
    pub t: T,
    /// `lgamma(K') + (K'-1) ln t`.
    pub log_norm: f64,
    /// `K'`.
    pub unmasked: usize,
}

impl<'a, T: Real> DensityParams<'a, T> {
    /// The parameter rows `B`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn batch_rows(&self) -> usize {
        self.logits.len() / self.k
    }

    /// Parameter row `b`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn row(&self, b: usize) -> DensityRow<'a, T> {
        let k = self.k;
        DensityRow {
            logits: &self.logits[b * k..(b + 1) * k],
            shift: self.row_shift[b],
            t: per_row(self.temperature, b),
            log_norm: self.log_norm[b],
            unmasked: self.unmasked[b],
        }
    }
}

/// The parameter rows `first % B, first % B + 1, ..` of consecutive sample
/// rows, wrapping at `B`, advanced without a `%`.
pub struct ParamCycle {
    next: usize,
    batch_rows: usize,
}

impl ParamCycle {
    /// Starting at the parameter row of sample row `first`.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    pub fn new(first: usize, batch_rows: usize) -> ParamCycle {
        ParamCycle {
            next: first % batch_rows,
            batch_rows,
        }
    }

    /// The parameter row of the next sample row.
    #[cfg_attr(not(relaxcat_unoptimized), inline(always))]
    #[allow(clippy::should_implement_trait)] // never ends, so not an Iterator
    pub fn next(&mut self) -> usize {
        let b = self.next;
        self.next = if b + 1 == self.batch_rows { 0 } else { b + 1 };
        b
    }
}
