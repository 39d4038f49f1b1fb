//! The straight-through sample as indices: for each sample row, the
//! position of the 1 in the one-hot row of
//! [`RelaxedOneHotCategorical::rsample_hard`], from the same noise and
//! with the same tie rule (`kernels::hard_index`), without computing the
//! soft sample. Its distribution is the categorical of the distribution's
//! probs, at every temperature (the argmax of `(l + g) / t` does not depend
//! on `t`).

use crate::Float;
use crate::dist::RelaxedOneHotCategorical;
use crate::error::{Error, Result};
use crate::kernels::hard_index::HardIndexRows;
use crate::par::{RowSplit, run_rows};
use crate::rng::{Stream, rows_per_block};
use std::ops::Range;

impl<T: Float> RelaxedOneHotCategorical<'_, T> {
    /// Rows `rows` of the straight-through sample sequence of `stream` as
    /// indices (`out`: `rows.len()` values in `0..K`): `out[i]` is the
    /// position of the 1 in row `i` of
    /// [`Draw::Hard`](crate::Draw::Hard) for the
    /// same stream and rows, bit for bit, ties included.
    pub(crate) fn hard_index_rows(
        &self,
        stream: Stream,
        rows: Range<usize>,
        out: &mut [i64],
    ) -> Result<()> {
        let k = self.k;
        let n = rows
            .end
            .checked_sub(rows.start)
            .ok_or_else(|| Error::shape(format!("rows {rows:?} is reversed")))?;
        if out.len() != n {
            return Err(Error::length("index output", out.len(), n));
        }
        let split = RowSplit {
            rows: n,
            row_elements: k,
            first_stream_row: stream.offset.wrapping_add(rows.start as u64),
            block_rows: rows_per_block(k),
        };
        run_rows(&self.exec, split, [out], [1], |task, [out]| {
            T::hard_index_rows(
                self.exec.backend(),
                HardIndexRows {
                    logits: self.log_weights(),
                    row_shift: &self.row_shift,
                    inv_temperature: &self.inv_temperature,
                    k,
                    seed: stream.seed,
                    stream_offset: stream.offset,
                    first_row: rows.start + task.start,
                    out,
                },
            )
        });
        Ok(())
    }
}
