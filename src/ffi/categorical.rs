//! Categorical sampling from raw logits (`relaxcat_categorical_sample_T`),
//! and the straight-through sample of a distribution as indices
//! (`relaxcat_dist_T_rsample_hard_index(_rows)`).
//!
//! ```text
//! relaxcat_categorical_sample_f32(ctx, B, K, logits, logits_ld, temperature, t_len,
//!                                 top_k, flags, seed, offset, begin, end, out, log_prob)
//!     out[i] in [0, K): sample row begin + i, from parameter row (begin + i) % B
//! relaxcat_dist_f32_rsample_hard_index(dist, generator, samples, out)
//! relaxcat_dist_f32_rsample_hard_index_rows(dist, seed, offset, begin, end, out)
//! ```
//!
//! The outputs are `int64_t` vectors, one index per sample row, and for
//! the categorical sampler an optional `log_prob` vector (NULL: not
//! wanted). The logits are read in place (contiguous rows) or gathered
//! (`logits_ld > K`); nothing is written on error.

use super::buffer::{all_disjoint, handle, matrix, mul, row_range, temperature_count, vector};
use super::context::{exec_of, relaxcat_context};
use super::dist::{DistHandle, RELAXCAT_DIST_NO_VALIDATE, relaxcat_dist_f32, relaxcat_dist_f64};
use super::generator::relaxcat_generator;
use super::status::relaxcat_status;
use crate::categorical::{CategoricalParams, sample_rows};
use crate::error::{Error, ErrorKind, Result};
use crate::rng::Stream;
use crate::{Draw, Float, Noise};

/// `top_k` for `relaxcat_categorical_sample_*` that restricts nothing
/// (`SIZE_MAX`): every unmasked category can be drawn. Any `top_k` at least
/// the number of unmasked categories of a row does the same; 0 is
/// RELAXCAT_ERROR_INVALID_OPTION. (The header spells it `SIZE_MAX`,
/// through cbindgen.toml's `after_includes`.)
///
/// cbindgen:ignore
pub const RELAXCAT_TOP_K_ALL: usize = usize::MAX;

/// The categorical sampler over raw pointers.
///
/// # Safety
/// The pointers address the documented extents (the extern functions'
/// contract).
#[allow(clippy::too_many_arguments)]
unsafe fn categorical<T: Float>(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    logits: *const T,
    logits_ld: usize,
    temperature: *const T,
    temperature_len: usize,
    top_k: usize,
    flags: u32,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
    log_prob: *mut T,
) -> Result<()> {
    if flags & !RELAXCAT_DIST_NO_VALIDATE != 0 {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!(
                "flags: unknown bits {:#x}; only RELAXCAT_DIST_NO_VALIDATE (1) is defined",
                flags & !RELAXCAT_DIST_NO_VALIDATE
            ),
        ));
    }
    if k == 0 {
        return Err(Error::shape("k is 0; K must be at least 1"));
    }
    if batch_rows == 0 {
        return Err(Error::shape(
            "batch_rows is 0; a draw needs at least one parameter row",
        ));
    }
    temperature_count(temperature_len, batch_rows)?;
    let logits = matrix("logits", logits, batch_rows, k, logits_ld)?;
    let temperature = vector("temperature", temperature, temperature_len)?;
    let rows = row_range(row_begin, row_end)?;
    let n = rows.len();
    let out = vector("out", out, n)?;
    let log_prob = if log_prob.is_null() {
        None
    } else {
        Some(vector("log_prob", log_prob, n)?)
    };
    let mut outputs = vec![&out.span];
    outputs.extend(log_prob.as_ref().map(|m| &m.span));
    all_disjoint(&outputs, &[&logits.span, &temperature.span])?;
    // SAFETY: extents, NULL and alignment checked; the outputs are disjoint
    // from the inputs and each other; readable / exclusive per contract.
    let (dense, t) = unsafe { (logits.gather()?, temperature.slice()) };
    let params = CategoricalParams {
        k,
        logits: &dense,
        temperature: t,
        top_k: (top_k != RELAXCAT_TOP_K_ALL).then_some(top_k),
        validate: flags & RELAXCAT_DIST_NO_VALIDATE == 0,
    };
    // SAFETY: as above; `sample_rows` writes nothing unless it succeeds.
    let (out, log_prob) = unsafe { (out.slice_mut(), log_prob.map(|m| m.slice_mut())) };
    sample_rows(
        &exec_of(ctx),
        params,
        Stream::new(seed, offset),
        rows,
        out,
        log_prob,
    )
}

/// `samples * B` straight-through indices from `generator`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
unsafe fn hard_index<H: DistHandle>(
    dist: *const H,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut i64,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let generator = handle("generator", generator)?;
    let rows = mul("samples x batch rows", samples, dist.batch_rows())?;
    let out = vector("out", out, rows)?;
    let mut generator = generator.lock();
    // SAFETY: checked extent; exclusive per contract; written only on
    // success.
    let out = unsafe { out.slice_mut() };
    dist.draw(Noise::Generator(&mut generator, samples), Draw::Index(out))
}

/// Straight-through indices of rows `[begin, end)` of a stream.
///
/// # Safety
/// Pointers live / addressing the documented extents.
unsafe fn hard_index_rows<H: DistHandle>(
    dist: *const H,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut i64,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let rows = row_range(row_begin, row_end)?;
    let out = vector("out", out, rows.len())?;
    // SAFETY: checked extent; exclusive per contract; written only on
    // success.
    let out = unsafe { out.slice_mut() };
    dist.draw(
        Noise::Rows(Stream::new(seed, offset), rows),
        Draw::Index(out),
    )
}

pub(super) mod exports_f32;
pub(super) mod exports_f64;
