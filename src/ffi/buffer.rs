//! Caller buffers: sizes, NULL and alignment checks, aliasing, and the
//! gather / scatter that turn a strided matrix (leading dimension `ld > K`)
//! into the contiguous rows the Rust API takes.
//!
//! ```text
//! matrix of rows x K with leading dimension ld >= K:
//!   element (i, j) at ptr[i * ld + j]
//!   extent = (rows - 1) * ld + K elements   (0 when rows = 0)
//!   ld == K (or rows <= 1)  ->  the caller's memory is used in place
//!   ld >  K                 ->  copied to / from a rows x K temporary
//! ```
//!
//! Every check runs on raw addresses before any reference is made, so no
//! `&` and `&mut` to the same memory ever coexist, and nothing is written
//! until the Rust API has accepted the call.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result};
use std::borrow::Cow;
use std::ops::Range;

/// The byte range `[start, end)` a buffer covers; empty for no elements.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    name: &'static str,
    pub start: usize,
    end: usize,
}

impl Span {
    fn of<T>(name: &'static str, ptr: *const T, len: usize) -> Span {
        let start = ptr as usize;
        // Cannot overflow: `len * size_of::<T>() <= isize::MAX` was checked.
        Span {
            name,
            start,
            end: start.saturating_add(len * size_of::<T>()),
        }
    }

    fn overlaps(&self, other: &Span) -> bool {
        self.start < self.end
            && other.start < other.end
            && self.start < other.end
            && other.start < self.end
    }
}

/// An error unless the output `out` and every span of `others` are
/// disjoint (as address ranges; strided buffers count their whole extent).
pub(crate) fn disjoint(out: &Span, others: &[&Span]) -> Result<()> {
    for other in others {
        if out.overlaps(other) {
            return Err(Error::new(
                ErrorKind::Aliasing,
                format!(
                    "{} (bytes {:#x}..{:#x}) overlaps {} (bytes {:#x}..{:#x}); outputs must not alias inputs or other outputs",
                    out.name, out.start, out.end, other.name, other.start, other.end
                ),
            ));
        }
    }
    Ok(())
}

/// `a * b` or a size-overflow error naming `what`.
pub(crate) fn mul(what: &str, a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b).ok_or_else(|| {
        Error::new(
            ErrorKind::SizeOverflow,
            format!("{what}: {a} x {b} overflows size_t"),
        )
    })
}

/// Elements a buffer of `len` `T`s spans, checked to fit `isize::MAX`
/// bytes (the limit for a Rust slice, and `PTRDIFF_MAX` in C).
fn check_bytes<T>(name: &str, len: usize) -> Result<()> {
    match len.checked_mul(size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(()),
        _ => Err(Error::new(
            ErrorKind::SizeOverflow,
            format!(
                "{name}: {len} elements of {} bytes exceed PTRDIFF_MAX bytes",
                size_of::<T>()
            ),
        )),
    }
}

/// A caller matrix of `rows x k` with leading dimension `ld`, checked for
/// size, NULL and alignment but not yet borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<P> {
    ptr: P,
    pub rows: usize,
    pub k: usize,
    pub ld: usize,
    /// Elements from the first to one past the last addressed.
    pub extent: usize,
    pub span: Span,
}

/// Either pointer kind, for the shared checks.
pub(crate) trait RawPtr: Copy {
    type Elem;
    fn addr(self) -> *const Self::Elem;
}

impl<T> RawPtr for *const T {
    type Elem = T;
    fn addr(self) -> *const T {
        self
    }
}

impl<T> RawPtr for *mut T {
    type Elem = T;
    fn addr(self) -> *const T {
        self.cast_const()
    }
}

/// Checks a pointer that must address `len` elements: NULL only with
/// `len = 0`, aligned, and `len` elements within `isize::MAX` bytes.
fn check_ptr<P: RawPtr>(name: &str, ptr: P, len: usize) -> Result<()> {
    check_bytes::<P::Elem>(name, len)?;
    if len == 0 {
        return Ok(());
    }
    let addr = ptr.addr();
    if addr.is_null() {
        return Err(Error::new(
            ErrorKind::NullPointer,
            format!("{name} is NULL but must hold {len} elements"),
        ));
    }
    if !(addr as usize).is_multiple_of(align_of::<P::Elem>()) {
        return Err(Error::shape(format!(
            "{name} ({addr:p}) is not aligned to {} bytes",
            align_of::<P::Elem>()
        )));
    }
    Ok(())
}

/// A vector of `len` elements at `ptr` (NULL allowed when `len = 0`).
pub(crate) fn vector<P: RawPtr>(name: &'static str, ptr: P, len: usize) -> Result<Mat<P>> {
    check_ptr(name, ptr, len)?;
    Ok(Mat {
        ptr,
        rows: 1,
        k: len,
        ld: len,
        extent: len,
        span: Span::of(name, ptr.addr(), len),
    })
}

/// Checks that `rows` (the C parameter `name`) is a multiple of the
/// distribution's `batch_rows`, as value and sample rows must be.
pub(crate) fn batch_multiple(name: &str, rows: usize, batch_rows: usize) -> Result<()> {
    if rows.is_multiple_of(batch_rows) {
        return Ok(());
    }
    Err(Error::shape(format!(
        "{name} is {rows}, not a multiple of batch_rows = {batch_rows}"
    )))
}

/// Checks that `temperature_len` is 1 (shared) or `batch_rows` (one per
/// row), named as C passes it (the Rust API sees a slice).
pub(crate) fn temperature_count(temperature_len: usize, batch_rows: usize) -> Result<()> {
    if temperature_len == 1 || temperature_len == batch_rows {
        return Ok(());
    }
    Err(Error::shape(format!(
        "temperature_len is {temperature_len}; expected 1 (shared) or batch_rows = {batch_rows} (one per row)"
    )))
}

/// A matrix of `rows x k` at `ptr` with leading dimension `ld >= k`.
pub(crate) fn matrix<P: RawPtr>(
    name: &'static str,
    ptr: P,
    rows: usize,
    k: usize,
    ld: usize,
) -> Result<Mat<P>> {
    if ld < k {
        return Err(Error::shape(format!(
            "{name}_ld: leading dimension {ld} is below K = {k}; ld must be >= K"
        )));
    }
    let extent = match rows {
        0 => 0,
        _ => mul(name, rows - 1, ld)?.checked_add(k).ok_or_else(|| {
            Error::new(
                ErrorKind::SizeOverflow,
                format!("{name}: ({rows} - 1) x {ld} + {k} overflows size_t"),
            )
        })?,
    };
    check_ptr(name, ptr, extent)?;
    Ok(Mat {
        ptr,
        rows,
        k,
        ld,
        extent,
        span: Span::of(name, ptr.addr(), extent),
    })
}

impl<P> Mat<P> {
    /// Whether rows are back to back, so the caller's memory is used as is.
    fn contiguous(&self) -> bool {
        self.ld == self.k || self.rows <= 1
    }

    /// Elements of the contiguous `rows x k` form.
    fn dense_len(&self) -> usize {
        // Cannot overflow: it is at most `extent`.
        self.rows * self.k
    }
}

impl<T> Mat<*const T> {
    /// Borrows the whole extent.
    ///
    /// # Safety
    /// The caller's pointer addresses `extent` readable, initialised `T`s
    /// that nobody writes while the borrow lives.
    pub unsafe fn slice<'a>(&self) -> &'a [T] {
        if self.extent == 0 {
            return &[];
        }
        // SAFETY: non-NULL, aligned and within isize::MAX bytes (checked in
        // `matrix`/`vector`); readable and unaliased by writers per the
        // caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.extent) }
    }

    /// The rows as a contiguous `rows x k` slice: the caller's memory when
    /// `ld == k`, else a copy.
    ///
    /// # Safety
    /// As [`Mat::slice`].
    pub unsafe fn gather<'a>(&self) -> Result<Cow<'a, [T]>>
    where
        T: Copy,
    {
        // SAFETY: forwarded from this function's contract.
        let all = unsafe { self.slice() };
        gather(all, self.span.name, self.rows, self.k, self.ld)
    }
}

/// The `rows x k` contiguous form of a strided slice (a copy only when
/// `ld > k` and there is more than one row).
fn gather<'a, T: Copy>(
    all: &'a [T],
    name: &str,
    rows: usize,
    k: usize,
    ld: usize,
) -> Result<Cow<'a, [T]>> {
    if ld == k || rows <= 1 {
        return Ok(Cow::Borrowed(&all[..rows * k]));
    }
    let mut dense = alloc::reserve(rows * k, name)?;
    for i in 0..rows {
        dense.extend_from_slice(&all[i * ld..i * ld + k]);
    }
    Ok(Cow::Owned(dense))
}

impl<T> Mat<*mut T> {
    /// Borrows the whole extent mutably.
    ///
    /// # Safety
    /// The caller's pointer addresses `extent` writable `T`s that nothing
    /// else reads or writes while the borrow lives.
    pub unsafe fn slice_mut<'a>(&self) -> &'a mut [T] {
        if self.extent == 0 {
            return &mut [];
        }
        // SAFETY: non-NULL, aligned and within isize::MAX bytes (checked);
        // exclusive per the caller's contract and the aliasing checks.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.extent) }
    }

    /// Runs `fill` on a contiguous `rows x k` buffer and stores it into
    /// the matrix, only if `fill` succeeds: in place when `ld == k`, else
    /// through a temporary.
    ///
    /// # Safety
    /// As [`Mat::slice_mut`].
    pub unsafe fn fill<R>(&self, fill: impl FnOnce(&mut [T]) -> Result<R>) -> Result<R>
    where
        T: Copy + Default,
    {
        // SAFETY: forwarded from this function's contract.
        let all = unsafe { self.slice_mut() };
        if self.contiguous() {
            return fill(&mut all[..self.dense_len()]);
        }
        let mut dense = alloc::filled(self.dense_len(), T::default(), self.span.name)?;
        let result = fill(&mut dense)?;
        scatter(&dense, all, self.rows, self.k, self.ld);
        Ok(result)
    }

    /// A contiguous copy of the rows, for a call that reads and then
    /// overwrites the same matrix (in place).
    ///
    /// # Safety
    /// As [`Mat::slice_mut`].
    pub unsafe fn copy_rows(&self) -> Result<Vec<T>>
    where
        T: Copy,
    {
        // SAFETY: forwarded from this function's contract; the borrow ends
        // before this function returns.
        let all: &[T] = unsafe { self.slice_mut() };
        match gather(all, self.span.name, self.rows, self.k, self.ld)? {
            Cow::Owned(v) => Ok(v),
            Cow::Borrowed(v) => alloc::copied(v, self.span.name),
        }
    }

    /// Writes one value through a checked out-parameter.
    ///
    /// # Safety
    /// The pointer addresses one writable `T` (checked non-NULL and
    /// aligned by [`out_param`]).
    pub unsafe fn write(&self, value: T) {
        // SAFETY: per this function's contract.
        unsafe { self.ptr.write(value) }
    }
}

/// A contiguous output buffer for one call: the caller's memory when its
/// rows are contiguous, else a temporary that [`DenseOut::commit`] copies
/// into the strided matrix. For calls with several (optional) outputs,
/// where nesting [`Mat::fill`] does not fit: commit them all only after the
/// Rust call succeeded (it writes nothing on error).
pub(crate) enum DenseOut<'a, T> {
    /// The caller's contiguous rows.
    InPlace(&'a mut [T]),
    /// A temporary and where it goes.
    Temp {
        dense: Vec<T>,
        target: &'a mut [T],
        rows: usize,
        k: usize,
        ld: usize,
    },
}

impl<T: Copy + Default> DenseOut<'_, T> {
    /// The contiguous `rows x k` buffer the Rust API writes.
    pub fn buf(&mut self) -> &mut [T] {
        match self {
            DenseOut::InPlace(out) => out,
            DenseOut::Temp { dense, .. } => dense,
        }
    }

    /// Stores a temporary into the caller's matrix (nothing to do in place).
    pub fn commit(self) {
        if let DenseOut::Temp {
            dense,
            target,
            rows,
            k,
            ld,
        } = self
        {
            scatter(&dense, target, rows, k, ld);
        }
    }
}

impl<T: Copy + Default> Mat<*mut T> {
    /// The output as a [`DenseOut`].
    ///
    /// # Safety
    /// As [`Mat::slice_mut`]; the result holds the exclusive borrow.
    pub unsafe fn dense<'a>(&self) -> Result<DenseOut<'a, T>> {
        // SAFETY: forwarded from this function's contract.
        let all = unsafe { self.slice_mut() };
        Ok(if self.contiguous() {
            DenseOut::InPlace(&mut all[..self.dense_len()])
        } else {
            DenseOut::Temp {
                dense: alloc::filled(self.dense_len(), T::default(), self.span.name)?,
                target: all,
                rows: self.rows,
                k: self.k,
                ld: self.ld,
            }
        })
    }
}

/// An error unless every output span is disjoint from every other span
/// (inputs and outputs) of the call.
pub(crate) fn all_disjoint(outputs: &[&Span], inputs: &[&Span]) -> Result<()> {
    for (i, out) in outputs.iter().enumerate() {
        let other_outputs = outputs[..i].iter().chain(&outputs[i + 1..]);
        for other in other_outputs.chain(inputs) {
            disjoint(out, &[other])?;
        }
    }
    Ok(())
}

/// Copies contiguous rows into a strided slice.
fn scatter<T: Copy>(dense: &[T], all: &mut [T], rows: usize, k: usize, ld: usize) {
    for i in 0..rows {
        all[i * ld..i * ld + k].copy_from_slice(&dense[i * k..(i + 1) * k]);
    }
}

/// A checked out-parameter: non-NULL and aligned.
pub(crate) fn out_param<T>(name: &'static str, ptr: *mut T) -> Result<Mat<*mut T>> {
    vector(name, ptr, 1)
}

/// A handle that must not be NULL.
pub(crate) fn handle<'a, H>(name: &str, ptr: *const H) -> Result<&'a H> {
    if ptr.is_null() {
        return Err(Error::new(
            ErrorKind::NullPointer,
            format!("{name} is NULL"),
        ));
    }
    // SAFETY: non-NULL; the caller passes a handle this library created and
    // has not freed (documented on every function), which is a live,
    // aligned `H` shared immutably (mutable state sits behind a mutex).
    Ok(unsafe { &*ptr })
}

/// The row range `[begin, end)`, or an error if reversed.
pub(crate) fn row_range(begin: usize, end: usize) -> Result<Range<usize>> {
    if end < begin {
        return Err(Error::shape(format!(
            "row range [{begin}, {end}) is reversed; row_end must be >= row_begin"
        )));
    }
    Ok(begin..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_and_scatter_round_trip() {
        let all: Vec<i32> = (0..11).collect();
        let dense = gather(&all, "all", 3, 3, 4).unwrap();
        assert_eq!(&*dense, &[0, 1, 2, 4, 5, 6, 8, 9, 10]);
        let mut back = vec![-1; 11];
        scatter(&dense, &mut back, 3, 3, 4);
        assert_eq!(back, [0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10]);
    }

    #[test]
    fn extents_and_checks() {
        let p = std::ptr::dangling::<f64>();
        assert_eq!(matrix("m", p, 3, 2, 5).unwrap().extent, 12);
        assert_eq!(matrix("m", p, 0, 2, 5).unwrap().extent, 0);
        assert_eq!(
            matrix("m", p, 2, 3, 2).unwrap_err().kind(),
            ErrorKind::InvalidShape
        );
        assert_eq!(
            matrix("m", p, usize::MAX, 2, 2).unwrap_err().kind(),
            ErrorKind::SizeOverflow
        );
        assert_eq!(
            matrix("m", p, usize::MAX / 8, 1, 1).unwrap_err().kind(),
            ErrorKind::SizeOverflow
        );
        assert_eq!(
            matrix("m", std::ptr::null::<f64>(), 1, 1, 1)
                .unwrap_err()
                .kind(),
            ErrorKind::NullPointer
        );
        assert!(matrix("m", std::ptr::null::<f64>(), 0, 1, 1).is_ok());
        assert_eq!(
            vector("v", std::ptr::without_provenance::<f64>(4), 1)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidShape
        );
        let a = vector("a", std::ptr::without_provenance::<f64>(64), 2).unwrap();
        let b = vector("b", std::ptr::without_provenance::<f64>(72), 2).unwrap();
        let c = vector("c", std::ptr::without_provenance::<f64>(80), 2).unwrap();
        assert!(disjoint(&a.span, &[&b.span]).is_err());
        assert!(disjoint(&a.span, &[&c.span]).is_ok());
        let empty = vector("e", std::ptr::without_provenance::<f64>(72), 0).unwrap();
        assert!(disjoint(&a.span, &[&empty.span]).is_ok());
    }
}
