//! Execution: which backend and which threads, and the driver that splits
//! rows into tasks.
//!
//! ```text
//! rows 0..n  ->  tasks of `task_rows` rows, boundaries at stream indices
//!                that are multiples of task_rows (a multiple of the
//!                generator block), so no task depends on another's draws
//!            ->  rayon runs the tasks (or the caller's thread does, when
//!                the work is under PARALLEL_MIN_ELEMENTS or threads = 1)
//!            ->  each task dispatches once to the backend and runs its
//!                rows serially
//! ```
//!
//! Results never depend on the thread count: a task's rows and draws are
//! fixed by the row indices alone.

use crate::error::{Error, ErrorKind, Result};
use crate::simd::Backend;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Arc;

/// Work (elements) below which a call stays on the caller's thread.
#[cfg(not(fuzzing))]
pub const PARALLEL_MIN_ELEMENTS: usize = 32 * 1024;
/// The fuzz build (`cfg(fuzzing)`, set by cargo fuzz) splits tiny calls
/// too, so that its inputs (at most 4096 elements) run the parallel paths.
#[cfg(fuzzing)]
pub const PARALLEL_MIN_ELEMENTS: usize = 64;

/// Elements a task aims at: large enough to amortise scheduling (~1 us),
/// small enough to balance two to dozens of threads.
#[cfg(not(fuzzing))]
const TASK_ELEMENTS: usize = 32 * 1024;
#[cfg(fuzzing)]
const TASK_ELEMENTS: usize = 64;

/// Where the row tasks run.
#[derive(Clone, Debug, Default)]
pub enum Threads {
    /// The current rayon pool: the global one, or the pool whose
    /// `install` the call runs inside.
    #[default]
    Current,
    /// The caller's thread only.
    Serial,
    /// A pool the caller (or [`Exec::with_threads`]) built.
    Pool(Arc<rayon::ThreadPool>),
}

/// Execution options: the SIMD backend and the threads. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Exec {
    backend: Backend,
    threads: Threads,
}

impl Default for Exec {
    fn default() -> Exec {
        Exec {
            backend: Backend::default_choice(),
            threads: Threads::Current,
        }
    }
}

impl Exec {
    /// The default: best backend (or `RELAXCAT_FORCE_BACKEND`), current pool.
    pub fn new() -> Exec {
        Exec::default()
    }

    /// The default backend on the caller's thread only.
    pub fn serial() -> Exec {
        Exec {
            threads: Threads::Serial,
            ..Exec::default()
        }
    }

    /// Runs on `n` threads: 1 is the caller's thread, more builds a pool
    /// owned by this `Exec` (and its clones).
    pub fn with_threads(self, n: usize) -> Result<Exec> {
        let threads = match n {
            0 => {
                return Err(Error::new(
                    ErrorKind::InvalidOption,
                    "threads: 0 is not a thread count (use 1 for the caller's thread)",
                ));
            }
            1 => Threads::Serial,
            n => Threads::Pool(Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("relaxcat-{i}"))
                    .build()
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::InvalidOption,
                            format!("threads: cannot build a pool of {n}: {e}"),
                        )
                    })?,
            )),
        };
        Ok(Exec { threads, ..self })
    }

    /// Runs on `pool`.
    pub fn with_pool(self, pool: Arc<rayon::ThreadPool>) -> Exec {
        Exec {
            threads: Threads::Pool(pool),
            ..self
        }
    }

    /// Uses `backend`; an error if this CPU cannot run it.
    pub fn with_backend(self, backend: Backend) -> Result<Exec> {
        if !backend.is_available() {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!("backend: {} is not available on this CPU", backend.name()),
            ));
        }
        Ok(Exec { backend, ..self })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The threads.
    pub fn threads(&self) -> &Threads {
        &self.threads
    }

    fn is_serial(&self) -> bool {
        matches!(self.threads, Threads::Serial)
    }
}

/// How a call's rows map to tasks.
pub(crate) struct RowSplit {
    /// Rows in the call.
    pub rows: usize,
    /// Elements of work per row (for sizing tasks).
    pub row_elements: usize,
    /// Stream index of row 0 (tasks align to it); 0 for kernels without
    /// randomness.
    pub first_stream_row: u64,
    /// Rows per generator block (1 without randomness).
    pub block_rows: usize,
}

impl RowSplit {
    /// Task start rows (relative), beginning with 0.
    fn starts(&self) -> Vec<usize> {
        let per_task = TASK_ELEMENTS.div_ceil(self.row_elements.max(1)).max(1);
        let task_rows = per_task.div_ceil(self.block_rows) * self.block_rows;
        let phase = (self.first_stream_row % task_rows as u64) as usize;
        let first = (task_rows - phase) % task_rows;
        let mut starts = vec![0];
        let mut s = if first == 0 { task_rows } else { first };
        while s < self.rows {
            starts.push(s);
            s += task_rows;
        }
        starts
    }
}

/// Per-row outputs that can be cut at a row boundary, so that each task
/// gets the outputs of its own rows.
pub(crate) trait RowParts: Send + Sized {
    /// The outputs of the first `rows` rows, and those of the rest.
    fn split_rows(self, rows: usize) -> (Self, Self);
}

/// Output slices of one element type, slice `i` with `.1[i]` elements per
/// row.
pub(crate) struct Slices<'a, T, const N: usize>(pub [&'a mut [T]; N], pub [usize; N]);

impl<T: Send, const N: usize> RowParts for Slices<'_, T, N> {
    fn split_rows(self, rows: usize) -> (Self, Self) {
        let Slices(mut rest, widths) = self;
        let head = core::array::from_fn(|j| {
            let (head, tail) = core::mem::take(&mut rest[j]).split_at_mut(rows * widths[j]);
            rest[j] = tail;
            head
        });
        (Slices(head, widths), Slices(rest, widths))
    }
}

/// Outputs of two element types (e.g. values and per-row counts).
impl<A: RowParts, B: RowParts> RowParts for (A, B) {
    fn split_rows(self, rows: usize) -> (Self, Self) {
        let (a_head, a_rest) = self.0.split_rows(rows);
        let (b_head, b_rest) = self.1.split_rows(rows);
        ((a_head, b_head), (a_rest, b_rest))
    }
}

/// Runs `task(rows, outs)` over the call's rows, where `outs[i]` is the part
/// of `outputs[i]` (with `widths[i]` elements per row) for those rows.
pub(crate) fn run_rows<T: Send, const N: usize>(
    exec: &Exec,
    split: RowSplit,
    outputs: [&mut [T]; N],
    widths: [usize; N],
    task: impl Fn(Range<usize>, [&mut [T]; N]) + Sync,
) {
    run_row_parts(
        exec,
        split,
        Slices(outputs, widths),
        |rows, Slices(outs, _)| task(rows, outs),
    );
}

/// [`run_rows`] over any [`RowParts`]: `task(rows, parts)` gets the parts
/// of `outputs` for its rows.
pub(crate) fn run_row_parts<P: RowParts>(
    exec: &Exec,
    split: RowSplit,
    outputs: P,
    task: impl Fn(Range<usize>, P) + Sync,
) {
    let total = split.rows.saturating_mul(split.row_elements);
    if exec.is_serial() || total < PARALLEL_MIN_ELEMENTS {
        task(0..split.rows, outputs);
        return;
    }
    let starts = split.starts();
    if starts.len() == 1 {
        task(0..split.rows, outputs);
        return;
    }
    let mut tasks = Vec::with_capacity(starts.len());
    let mut rest = outputs;
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(split.rows);
        let (mine, tail) = rest.split_rows(end - start);
        rest = tail;
        tasks.push((start..end, mine));
    }
    let run = || {
        tasks
            .into_par_iter()
            .for_each(|(rows, outs)| task(rows, outs))
    };
    match &exec.threads {
        Threads::Pool(pool) => pool.install(run),
        _ => run(),
    }
}
