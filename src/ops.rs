//! The row kernels as stateless functions: `logsumexp`, `softmax`,
//! `log_softmax` over `rows x K` row-major inputs, and Gumbel noise.

use crate::Float;
use crate::error::{Error, Result};
use crate::kernels::batch::{GumbelRows, LogSumExpRows, RowMap, RowMapKind};
use crate::par::{Exec, RowSplit, run_rows};
use crate::rng::{Stream, rows_per_block};

fn rows_of<T>(name: &str, input: &[T], k: usize) -> Result<usize> {
    if k == 0 {
        return Err(Error::shape("k is 0; rows must have at least one element"));
    }
    if !input.len().is_multiple_of(k) {
        return Err(Error::shape(format!(
            "{name} has {} elements, not a multiple of K = {k}",
            input.len()
        )));
    }
    Ok(input.len() / k)
}

/// `out[i] = ln sum_k exp(input[i, k])` for each row of `K`. A row of all
/// `-inf` gives `-inf`, any NaN gives NaN, a `+inf` (without NaN) `+inf`.
pub fn logsumexp_rows<T: Float>(exec: &Exec, input: &[T], k: usize, out: &mut [T]) -> Result<()> {
    let rows = rows_of("input", input, k)?;
    if out.len() != rows {
        return Err(Error::length("output", out.len(), rows));
    }
    let split = RowSplit {
        rows,
        row_elements: k,
        first_stream_row: 0,
        block_rows: 1,
    };
    run_rows(exec, split, [out], [1], |r, [out]| {
        T::logsumexp_rows(
            exec.backend(),
            LogSumExpRows {
                input: &input[r.start * k..r.end * k],
                out,
                k,
            },
        )
    });
    Ok(())
}

fn map_rows<T: Float>(
    exec: &Exec,
    kind: RowMapKind,
    input: &[T],
    k: usize,
    out: &mut [T],
) -> Result<()> {
    rows_of("input", input, k)?;
    if out.len() != input.len() {
        return Err(Error::length("output", out.len(), input.len()));
    }
    let split = RowSplit {
        rows: input.len() / k,
        row_elements: k,
        first_stream_row: 0,
        block_rows: 1,
    };
    run_rows(exec, split, [out], [k], |r, [out]| {
        T::row_map(
            exec.backend(),
            RowMap {
                kind,
                input: &input[r.start * k..r.end * k],
                out,
                k,
            },
        )
    });
    Ok(())
}

/// `out` row `i` = `softmax(input row i)`. A row whose maximum is not finite
/// (all `-inf`, or holding `+inf` or NaN) gives NaN.
pub fn softmax_rows<T: Float>(exec: &Exec, input: &[T], k: usize, out: &mut [T]) -> Result<()> {
    map_rows(exec, RowMapKind::Softmax, input, k, out)
}

/// `out` row `i` = `input row i - logsumexp(input row i)`; non-finite
/// maxima as [`softmax_rows`].
pub fn log_softmax_rows<T: Float>(exec: &Exec, input: &[T], k: usize, out: &mut [T]) -> Result<()> {
    map_rows(exec, RowMapKind::LogSoftmax, input, k, out)
}

/// Gumbel noise `g = -ln(-ln u)` for `out.len() / K` rows, row `j` from
/// stream index `stream.offset + j`: the same numbers the samplers add to
/// the logits for that stream row.
pub fn gumbel_rows<T: Float>(exec: &Exec, stream: Stream, k: usize, out: &mut [T]) -> Result<()> {
    let rows = rows_of("output", out, k)?;
    let split = RowSplit {
        rows,
        row_elements: k,
        first_stream_row: stream.offset,
        block_rows: rows_per_block(k),
    };
    run_rows(exec, split, [out], [k], |r, [out]| {
        T::gumbel_rows(
            exec.backend(),
            GumbelRows {
                seed: stream.seed,
                first_stream_row: stream.offset.wrapping_add(r.start as u64),
                k,
                out,
            },
        )
    });
    Ok(())
}
