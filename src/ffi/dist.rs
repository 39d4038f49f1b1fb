//! `relaxcat_dist_f32` / `relaxcat_dist_f64`: the distribution as an
//! opaque, immutable handle.
//!
//! ```text
//! new(ctx, B, K, temperature[1 or B], probs | logits (B x K, ld), flags)
//! attributes: num_categories, batch_rows, temperature(_len), probs,
//!             logits, param, validates
//! samples (samples * B rows x K, row i from parameter row i % B):
//!   rsample / sample / rsample_log / rsample_hard   from a generator
//!   rsample_rows / rsample_log_rows / rsample_hard_rows
//!                                   rows [begin, end) of a (seed, offset)
//! log_prob / log_prob_x: N value rows (N a multiple of B) -> N numbers
//! ```
//!
//! Each `_f32` function has an `_f64` twin; both call one generic helper.

use super::buffer::{
    Mat, Span, batch_multiple, disjoint, handle, matrix, mul, out_param, row_range,
    temperature_count, vector,
};
use super::context::{exec_of, relaxcat_context};
use super::generator::relaxcat_generator;
use super::status::relaxcat_status;
use crate::alloc;
use crate::dist::{Param, RelaxedOneHotCategorical};
use crate::{Draw, Float, Noise};
use std::borrow::Cow;

/// The distribution a C handle holds: it owns copies of its parameters.
pub(super) type Dist<T> = RelaxedOneHotCategorical<'static, T>;
use crate::error::{Error, ErrorKind, Result};
use crate::rng::Stream;
use std::ops::Range;

/// Which parameterisation a distribution was built from (see
/// `RELAXCAT_PARAM_PROBS`, `RELAXCAT_PARAM_LOGITS`).
pub type relaxcat_param = i32;

/// The distribution was built from probabilities.
pub const RELAXCAT_PARAM_PROBS: relaxcat_param = 0;
/// The distribution was built from logits.
pub const RELAXCAT_PARAM_LOGITS: relaxcat_param = 1;

/// Flag for `relaxcat_dist_*_new`: skip the value checks of the parameters
/// and of later `log_prob` values (shapes are always checked). Invalid
/// values then give unspecified numbers, never undefined behaviour.
pub const RELAXCAT_DIST_NO_VALIDATE: u32 = 1;

/// A RelaxedOneHotCategorical distribution over `f32`: `B` parameter rows
/// of `K` categories and a temperature (one, or one per row). Immutable.
/// Created by `relaxcat_dist_f32_new`, freed by `relaxcat_dist_f32_free`.
pub struct relaxcat_dist_f32 {
    inner: Dist<f32>,
}

/// A RelaxedOneHotCategorical distribution over `f64`: `B` parameter rows
/// of `K` categories and a temperature (one, or one per row). Immutable.
/// Created by `relaxcat_dist_f64_new`, freed by `relaxcat_dist_f64_free`.
pub struct relaxcat_dist_f64 {
    inner: Dist<f64>,
}

/// What the generic helpers (here and in `grad`) need of a handle type.
pub(super) trait DistHandle: Sized {
    type T: Float + Default;
    fn dist(&self) -> &Dist<Self::T>;
    fn wrap(dist: Dist<Self::T>) -> Self;
}

impl DistHandle for relaxcat_dist_f32 {
    type T = f32;
    fn dist(&self) -> &Dist<f32> {
        &self.inner
    }
    fn wrap(inner: Dist<f32>) -> Self {
        relaxcat_dist_f32 { inner }
    }
}

impl DistHandle for relaxcat_dist_f64 {
    type T = f64;
    fn dist(&self) -> &Dist<f64> {
        &self.inner
    }
    fn wrap(inner: Dist<f64>) -> Self {
        relaxcat_dist_f64 { inner }
    }
}

/// Builds a distribution.
///
/// # Safety
/// The pointers address the documented extents (the extern functions'
/// contract).
#[allow(clippy::too_many_arguments)]
unsafe fn new<H: DistHandle>(
    ctx: *const relaxcat_context,
    batch_rows: usize,
    k: usize,
    temperature: *const H::T,
    temperature_len: usize,
    probs: *const H::T,
    probs_ld: usize,
    logits: *const H::T,
    logits_ld: usize,
    flags: u32,
    out: *mut *mut H,
) -> Result<()> {
    let out = out_param("out", out)?;
    let params = RawParams {
        batch_rows,
        k,
        temperature,
        temperature_len,
        probs,
        probs_ld,
        logits,
        logits_ld,
        flags,
    };
    // SAFETY: the caller's contract is the helper's.
    let (dist, _) = unsafe { build(ctx, params, Ownership::Copy)? };
    let handle = alloc::boxed(H::wrap(dist), "distribution handle")?;
    // SAFETY: `out` was checked non-NULL and aligned.
    unsafe { out.write(Box::into_raw(handle)) };
    Ok(())
}

/// A distribution's parameters as C passes them, unchecked.
#[derive(Clone, Copy)]
pub(super) struct RawParams<T> {
    pub batch_rows: usize,
    pub k: usize,
    pub temperature: *const T,
    pub temperature_len: usize,
    pub probs: *const T,
    pub probs_ld: usize,
    pub logits: *const T,
    pub logits_ld: usize,
    pub flags: u32,
}

/// Whether a built distribution copies the caller's parameters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ownership {
    /// Owned copies: the distribution outlives the call (a handle).
    Copy,
    /// The caller's memory, read in place: the distribution must be
    /// dropped before the call returns (a one-shot call).
    Borrow,
}

/// Checks the parameters and builds a distribution; also returns the spans
/// of the parameter and temperature buffers, which a one-shot call's
/// outputs must not overlap.
///
/// # Safety
/// The pointers address the documented extents. With
/// [`Ownership::Borrow`], the result borrows them under a `'static` it does
/// not have: the caller drops it before returning to C, and no output of
/// the call may overlap those spans.
pub(super) unsafe fn build<T: Float>(
    ctx: *const relaxcat_context,
    p: RawParams<T>,
    ownership: Ownership,
) -> Result<(Dist<T>, [Span; 2])> {
    let RawParams {
        batch_rows,
        k,
        temperature,
        temperature_len,
        probs,
        probs_ld,
        logits,
        logits_ld,
        flags,
    } = p;
    if flags & !RELAXCAT_DIST_NO_VALIDATE != 0 {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!(
                "flags: unknown bits {:#x}; only RELAXCAT_DIST_NO_VALIDATE (1) is defined",
                flags & !RELAXCAT_DIST_NO_VALIDATE
            ),
        ));
    }
    if batch_rows == 0 && k > 0 {
        return Err(Error::shape(
            "batch_rows is 0; a distribution needs at least one parameter row",
        ));
    }
    if k > 0 {
        temperature_count(temperature_len, batch_rows)?;
    }
    let (param, values) = match (probs.is_null(), logits.is_null()) {
        (false, true) => (
            Param::Probs,
            matrix("probs", probs, batch_rows, k, probs_ld)?,
        ),
        (true, false) => (
            Param::Logits,
            matrix("logits", logits, batch_rows, k, logits_ld)?,
        ),
        (false, false) => {
            return Err(Error::new(
                ErrorKind::InvalidParameterChoice,
                "probs and logits both given (non-NULL); pass exactly one and NULL for the other",
            ));
        }
        (true, true) => {
            return Err(Error::new(
                ErrorKind::InvalidParameterChoice,
                "probs and logits both NULL; pass exactly one",
            ));
        }
    };
    let temperature = vector("temperature", temperature, temperature_len)?;
    let spans = [values.span, temperature.span];
    // SAFETY: extents, NULL and alignment checked; readable per contract.
    let given: Cow<'static, [T]> = unsafe { values.gather()? };
    // SAFETY: as above.
    let t: &'static [T] = unsafe { temperature.slice() };
    // Checked as borrowed first, so nothing is read (or copied) before the
    // shapes are known to agree; a handle then owns copies: one of the
    // parameters (none more when a strided matrix was gathered) and one of
    // the temperature. The parameters' copy is reserved (not written)
    // before anything is read, so that running out of memory is reported
    // at once, not after a pass over the input: after the pointer and
    // extent checks above, before the temperature's length and the
    // values are checked.
    let copy = match (ownership, &given) {
        (Ownership::Copy, Cow::Borrowed(v)) => {
            let name = match param {
                Param::Probs => "probs copy",
                Param::Logits => "logits copy",
            };
            Some(alloc::reserve(v.len(), name)?)
        }
        _ => None,
    };
    let builder = Dist::<T>::builder(k)
        .temperature(t)
        .validate(flags & RELAXCAT_DIST_NO_VALIDATE == 0)
        .exec(exec_of(ctx));
    let builder = match (param, given) {
        (Param::Probs, Cow::Borrowed(v)) => builder.probs(v),
        (Param::Logits, Cow::Borrowed(v)) => builder.logits(v),
        // Gathered from a strided matrix: the copy is ours.
        (param, Cow::Owned(v)) => builder.owned(param, v),
    };
    let mut dist = builder.build()?;
    if let Some(mut copy) = copy {
        copy.extend_from_slice(dist.given());
        dist = dist.with_given(copy);
    }
    let dist = match ownership {
        Ownership::Copy => dist.into_owned()?,
        Ownership::Borrow => dist,
    };
    Ok((dist, spans))
}

/// Frees a handle made by `new`.
///
/// # Safety
/// `dist` is NULL or from `new` and not yet freed.
unsafe fn free<H>(dist: *mut H) -> Result<()> {
    if !dist.is_null() {
        // SAFETY: from `Box::into_raw` in `new`, freed once (contract).
        drop(unsafe { Box::from_raw(dist) });
    }
    Ok(())
}

/// A copy of the distribution running on `ctx`.
///
/// # Safety
/// `dist` is NULL or live; `ctx` NULL or live; `out` writable.
unsafe fn with_context<H: DistHandle>(
    dist: *const H,
    ctx: *const relaxcat_context,
    out: *mut *mut H,
) -> Result<()> {
    let dist = handle("dist", dist)?;
    let out = out_param("out", out)?;
    let copy = dist.dist().try_clone()?.with_exec(exec_of(ctx));
    let handle = alloc::boxed(H::wrap(copy), "distribution handle")?;
    // SAFETY: `out` was checked non-NULL and aligned.
    unsafe { out.write(Box::into_raw(handle)) };
    Ok(())
}

/// Writes one attribute through `out`.
///
/// # Safety
/// `dist` is NULL or live; `out` NULL or writable.
unsafe fn attribute<H: DistHandle, V>(
    dist: *const H,
    out: *mut V,
    get: impl FnOnce(&Dist<H::T>) -> V,
) -> Result<()> {
    let dist = handle("dist", dist)?;
    let out = out_param("out", out)?;
    let value = get(dist.dist());
    // SAFETY: checked non-NULL and aligned.
    unsafe { out.write(value) };
    Ok(())
}

/// Copies the temperature (one or `B` values) to `out[0..out_len]`.
///
/// # Safety
/// `out` addresses `out_len` writable elements.
unsafe fn temperature<H: DistHandle>(dist: *const H, out: *mut H::T, out_len: usize) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let out = vector("out", out, out_len)?;
    let t = dist.temperature();
    if out_len != t.len() {
        return Err(Error::shape(format!(
            "out_len is {out_len}, but the distribution has {} temperature value(s) (relaxcat_dist_*_temperature_len)",
            t.len()
        )));
    }
    // SAFETY: checked extent; exclusive per contract.
    unsafe {
        out.fill(|out| {
            out.copy_from_slice(t);
            Ok(())
        })
    }
}

/// Copies a `B x K` parameter matrix to `out` with leading dimension
/// `out_ld`.
///
/// # Safety
/// `out` addresses the documented extent.
unsafe fn parameter<H: DistHandle>(
    dist: *const H,
    out: *mut H::T,
    out_ld: usize,
    get: ParameterFn<H::T>,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let out = matrix("out", out, dist.batch_rows(), dist.num_categories(), out_ld)?;
    // SAFETY: checked extent; exclusive per contract.
    unsafe { out.fill(|out| get(dist, out)) }
}

/// A method that writes a normalised parameter matrix.
type ParameterFn<T> = fn(&Dist<T>, &mut [T]) -> Result<()>;

/// A draw into one output, with the noise given (see [`draw_soft`]).
pub(super) type DrawFn<T> = fn(&Dist<T>, Noise<'_>, &mut [T]) -> Result<()>;

/// Relaxed samples, the draw of `rsample` and `sample`.
pub(super) fn draw_soft<T: Float>(dist: &Dist<T>, noise: Noise<'_>, out: &mut [T]) -> Result<()> {
    dist.draw(noise, Draw::Soft(out))
}

/// Log-space samples, the draw of `rsample_log`.
pub(super) fn draw_log<T: Float>(dist: &Dist<T>, noise: Noise<'_>, out: &mut [T]) -> Result<()> {
    dist.draw(noise, Draw::Log(out))
}

/// The `samples * B x K` output matrix of a draw.
pub(super) fn draw_matrix<T>(
    dist: &Dist<impl Float>,
    samples: usize,
    name: &'static str,
    out: *mut T,
    out_ld: usize,
) -> Result<Mat<*mut T>> {
    let rows = mul("samples x batch rows", samples, dist.batch_rows())?;
    matrix(name, out, rows, dist.num_categories(), out_ld)
}

/// `samples * B` rows drawn from `generator` into `out`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
unsafe fn draw<H: DistHandle>(
    f: DrawFn<H::T>,
    dist: *const H,
    generator: *mut relaxcat_generator,
    samples: usize,
    out: *mut H::T,
    out_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let generator = handle("generator", generator)?;
    let out = draw_matrix(dist, samples, "out", out, out_ld)?;
    let mut generator = generator.lock();
    // SAFETY: checked extent; exclusive per contract.
    unsafe { out.fill(|out| f(dist, Noise::Generator(&mut generator, samples), out)) }
}

/// Straight-through samples from `generator` into `hard` and `soft`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
unsafe fn draw_hard<H: DistHandle>(
    dist: *const H,
    generator: *mut relaxcat_generator,
    samples: usize,
    hard: *mut H::T,
    hard_ld: usize,
    soft: *mut H::T,
    soft_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let generator = handle("generator", generator)?;
    let hard = draw_matrix(dist, samples, "hard", hard, hard_ld)?;
    let soft = draw_matrix(dist, samples, "soft", soft, soft_ld)?;
    disjoint(&hard.span, &[&soft.span])?;
    let mut generator = generator.lock();
    // SAFETY: checked extents; `hard` and `soft` are disjoint; exclusive
    // per contract. The inner `fill` stores `soft` only once the sample
    // succeeded, after which the outer one cannot fail.
    unsafe {
        hard.fill(|hard| {
            soft.fill(|soft| {
                dist.draw(
                    Noise::Generator(&mut generator, samples),
                    Draw::Hard { hard, soft },
                )
            })
        })
    }
}

/// The `(end - begin) x K` output of a row-range sample.
pub(super) fn rows_matrix<T>(
    dist: &Dist<impl Float>,
    rows: &Range<usize>,
    name: &'static str,
    out: *mut T,
    out_ld: usize,
) -> Result<Mat<*mut T>> {
    matrix(
        name,
        out,
        rows.end - rows.start,
        dist.num_categories(),
        out_ld,
    )
}

/// Rows `[begin, end)` of the stream `(seed, offset)` into `out`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn draw_rows<H: DistHandle>(
    f: DrawFn<H::T>,
    dist: *const H,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    out: *mut H::T,
    out_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let rows = row_range(row_begin, row_end)?;
    let out = rows_matrix(dist, &rows, "out", out, out_ld)?;
    // SAFETY: checked extent; exclusive per contract.
    unsafe { out.fill(|out| f(dist, Noise::Rows(Stream::new(seed, offset), rows), out)) }
}

/// Straight-through rows `[begin, end)` of a stream.
///
/// # Safety
/// Pointers live / addressing the documented extents.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn draw_hard_rows<H: DistHandle>(
    dist: *const H,
    seed: u64,
    offset: u64,
    row_begin: usize,
    row_end: usize,
    hard: *mut H::T,
    hard_ld: usize,
    soft: *mut H::T,
    soft_ld: usize,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    let rows = row_range(row_begin, row_end)?;
    let hard = rows_matrix(dist, &rows, "hard", hard, hard_ld)?;
    let soft = rows_matrix(dist, &rows, "soft", soft, soft_ld)?;
    disjoint(&hard.span, &[&soft.span])?;
    let stream = Stream::new(seed, offset);
    // SAFETY: as in `draw_hard`.
    unsafe {
        hard.fill(|hard| {
            soft.fill(|soft| dist.draw(Noise::Rows(stream, rows), Draw::Hard { hard, soft }))
        })
    }
}

/// A density method: value rows in, one number per row out.
pub(super) type DensityFn<T> = fn(&Dist<T>, &[T], &mut [T]) -> Result<()>;

/// Log-densities of `value_rows` value rows into `out`.
///
/// # Safety
/// Pointers live / addressing the documented extents.
pub(super) unsafe fn density<H: DistHandle>(
    f: DensityFn<H::T>,
    dist: *const H,
    value_rows: usize,
    value: *const H::T,
    value_ld: usize,
    out: *mut H::T,
) -> Result<()> {
    let dist = handle("dist", dist)?.dist();
    batch_multiple("value_rows", value_rows, dist.batch_rows())?;
    let value = matrix("value", value, value_rows, dist.num_categories(), value_ld)?;
    let out = vector("out", out, value_rows)?;
    disjoint(&out.span, &[&value.span])?;
    // SAFETY: checked extents; disjoint; readable / exclusive per contract.
    let dense = unsafe { value.gather()? };
    // SAFETY: as above.
    unsafe { out.fill(|out| f(dist, &dense, out)) }
}

/// The C code of a [`Param`].
fn param_code(param: Param) -> relaxcat_param {
    match param {
        Param::Probs => RELAXCAT_PARAM_PROBS,
        Param::Logits => RELAXCAT_PARAM_LOGITS,
    }
}

pub(super) mod exports_f32;
pub(super) mod exports_f64;
