//! The stateless row kernels: `logsumexp`, `softmax`, `log_softmax` and
//! Gumbel noise over `rows x K` matrices with leading dimensions.
//!
//! ```text
//! relaxcat_logsumexp_T(ctx, rows, k, input, input_ld, out)         out: rows
//! relaxcat_softmax_T / log_softmax_T(ctx, rows, k, input, input_ld,
//!                                    out, out_ld)   out may be input (same ld)
//! relaxcat_gumbel_T(ctx, seed, offset, rows, k, out, out_ld)
//! ```

use super::buffer::{disjoint, matrix, vector};
use super::context::{exec_of, relaxcat_context};
use super::status::relaxcat_status;
use crate::Float;
use crate::error::Result;
use crate::ops::{gumbel_rows, log_softmax_rows, logsumexp_rows, softmax_rows};
use crate::par::Exec;
use crate::rng::Stream;

/// `out[i] = logsumexp(input row i)`.
///
/// # Safety
/// The pointers address the documented extents (the extern functions'
/// contract).
unsafe fn logsumexp<T: Float>(
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const T,
    input_ld: usize,
    out: *mut T,
) -> Result<()> {
    let input = matrix("input", input, rows, k, input_ld)?;
    let out = vector("out", out, rows)?;
    disjoint(&out.span, &[&input.span])?;
    let exec = exec_of(ctx);
    // SAFETY: extents, NULL and alignment checked; `out` is disjoint from
    // `input`; the caller's contract gives validity and exclusivity.
    let dense = unsafe { input.gather()? };
    // SAFETY: as above.
    unsafe { out.fill(|out| logsumexp_rows(&exec, &dense, k, out)) }
}

/// Which row map `map` applies.
type RowMapFn<T> = fn(&Exec, &[T], usize, &mut [T]) -> Result<()>;

/// `out row i = f(input row i)`, in place when `out == input` with the same
/// leading dimension.
///
/// # Safety
/// The pointers address the documented extents.
#[allow(clippy::too_many_arguments)]
unsafe fn map<T: Float>(
    f: RowMapFn<T>,
    ctx: *const relaxcat_context,
    rows: usize,
    k: usize,
    input: *const T,
    input_ld: usize,
    out: *mut T,
    out_ld: usize,
) -> Result<()> {
    let input = matrix("input", input, rows, k, input_ld)?;
    let out = matrix("out", out, rows, k, out_ld)?;
    let exec = exec_of(ctx);
    let in_place = out.span.start == input.span.start && input_ld == out_ld;
    if in_place {
        // SAFETY: checked extent; only the mutable view of the one buffer
        // exists, and the copy ends its borrow before `fill` makes another.
        let dense = unsafe { out.copy_rows()? };
        // SAFETY: as above.
        return unsafe { out.fill(|out| f(&exec, &dense, k, out)) };
    }
    disjoint(&out.span, &[&input.span])?;
    // SAFETY: checked extents; disjoint buffers.
    let dense = unsafe { input.gather()? };
    // SAFETY: as above.
    unsafe { out.fill(|out| f(&exec, &dense, k, out)) }
}

/// Gumbel noise rows from stream index `offset`.
///
/// # Safety
/// The pointer addresses the documented extent.
unsafe fn gumbel<T: Float>(
    ctx: *const relaxcat_context,
    seed: u64,
    offset: u64,
    rows: usize,
    k: usize,
    out: *mut T,
    out_ld: usize,
) -> Result<()> {
    let out = matrix("out", out, rows, k, out_ld)?;
    let exec = exec_of(ctx);
    // SAFETY: checked extent; the caller's contract gives exclusivity.
    unsafe { out.fill(|out| gumbel_rows(&exec, Stream::new(seed, offset), k, out)) }
}

pub(super) mod exports_f32;
pub(super) mod exports_f64;
