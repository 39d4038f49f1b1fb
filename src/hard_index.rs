//! The straight-through sample as indices: for each sample row, the
//! position of the 1 in the one-hot row of
//! [`RelaxedOneHotCategorical::rsample_hard`], from the same noise and
//! with the same tie rule (`kernels::hard_index`), without computing the
//! soft sample. Its distribution is the categorical of the distribution's
//! probs, at every temperature (the argmax of `(l + g) / t` does not depend
//! on `t`).

use crate::Float;
use crate::dist::RelaxedOneHotCategorical;
use crate::error::{Error, Result, checked_product};
use crate::kernels::hard_index::HardIndexRows;
use crate::par::{RowSplit, run_rows};
use crate::rng::{Generator, Stream, rows_per_block};
use std::ops::Range;

impl<T: Float> RelaxedOneHotCategorical<'_, T> {
    /// Rows `rows` of the straight-through sample sequence of `stream` as
    /// indices (`out`: `rows.len()` values in `0..K`): `out[i]` is the
    /// position of the 1 in row `i` of
    /// [`rsample_hard_rows_into`](Self::rsample_hard_rows_into) for the
    /// same stream and rows, bit for bit, ties included.
    pub fn rsample_hard_index_rows_into(
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

    /// `samples x B` straight-through indices drawn from `generator` (the
    /// positions of the ones of
    /// [`rsample_hard_into`](Self::rsample_hard_into) with the generator at
    /// the same position), which then advances by `samples * B` rows (only
    /// on success).
    pub fn rsample_hard_index_into(
        &self,
        generator: &mut Generator,
        samples: usize,
        out: &mut [i64],
    ) -> Result<()> {
        let rows = checked_product("samples x batch rows", samples, self.batch_rows)?;
        let stream = Stream::new(generator.seed(), generator.position());
        self.rsample_hard_index_rows_into(stream, 0..rows, out)?;
        generator.take(rows as u64);
        Ok(())
    }

    /// [`rsample_hard_index_into`](Self::rsample_hard_index_into) into a
    /// new `Vec`.
    pub fn rsample_hard_index(
        &self,
        generator: &mut Generator,
        samples: usize,
    ) -> Result<Vec<i64>> {
        let rows = checked_product("samples x batch rows", samples, self.batch_rows)?;
        let mut out = vec![0i64; rows];
        self.rsample_hard_index_into(generator, samples, &mut out)?;
        Ok(out)
    }
}
