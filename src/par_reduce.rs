//! A driver for kernels whose results are summed over the sample rows that
//! share a batch row (the gradients w.r.t. the parameters), deterministic
//! whatever the thread count.
//!
//! ```text
//! N = S x B rows, row i = s B + b  (sample s, batch row b)
//! grid: batch rows in chunks of bc, samples in slots of sc, both fixed by
//!       (S, B, K) alone -- never by the threads
//! tile (slot j, chunk c): for b in chunk c, for s in slot j (ascending):
//!       reduced[b] = c_{s0,b} + c_{s0+1,b} + ...        (in the tile)
//!       slot 0 writes the caller's output, slot j > 0 its own partial
//! after all tiles: out[b] = ((P_0[b] + P_1[b]) + P_2[b]) + ...  (slot order)
//! ```
//!
//! The grid prefers splitting batch rows (one slot: every tile writes its
//! outputs directly, no partials); samples are split only when there are
//! fewer batch rows than tiles wanted, e.g. `B = 1` and many samples. Tiles
//! run serially or on the rayon pool of the [`Exec`]; each element of a
//! reduced output is always the same sum in the same order.

use crate::alloc;
use crate::error::Result;
use crate::par::{Exec, PARALLEL_MIN_ELEMENTS, Threads};
use crate::simd::Real;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Mutex, PoisonError, TryLockError};

/// Elements (rows x K) a tile aims at, as the row tasks of [`crate::par`].
#[cfg(not(fuzzing))]
const TILE_ELEMENTS: usize = 32 * 1024;
/// Small in the fuzz build, as `PARALLEL_MIN_ELEMENTS`.
#[cfg(fuzzing)]
const TILE_ELEMENTS: usize = 64;

/// Elements of a reduced output each parallel task adds partials for.
#[cfg(not(fuzzing))]
const COMBINE_CHUNK: usize = 16 * 1024;
#[cfg(fuzzing)]
const COMBINE_CHUNK: usize = 16;

/// How `S x B` rows of `K` are cut into tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Grid {
    /// Samples `S` (rows per batch row).
    pub samples: usize,
    /// Batch rows `B`.
    pub batch: usize,
    /// Batch rows per tile.
    pub batch_chunk: usize,
    /// Samples per slot.
    pub sample_chunk: usize,
    /// Elements per row (for sizing tiles and choosing serial execution).
    pub row_elements: usize,
}

impl Grid {
    /// The grid for `samples x batch` rows of `row_elements` each; a
    /// function of these three numbers only.
    pub fn new(samples: usize, batch: usize, row_elements: usize) -> Grid {
        let batch = batch.max(1);
        let rows = samples.saturating_mul(batch);
        let tile_rows = (TILE_ELEMENTS / row_elements.max(1)).max(1);
        let tiles = rows.div_ceil(tile_rows).max(1);
        let (batch_chunk, sample_chunk) = if tiles <= batch {
            (batch.div_ceil(tiles), samples.max(1))
        } else {
            let slots = tiles.div_ceil(batch);
            (1, samples.div_ceil(slots).max(1))
        };
        Grid {
            samples,
            batch,
            batch_chunk,
            sample_chunk,
            row_elements,
        }
    }

    /// Sample slots (tiles per batch chunk); at least 1.
    pub fn slots(&self) -> usize {
        self.samples.div_ceil(self.sample_chunk).max(1)
    }

    fn batch_chunks(&self) -> usize {
        self.batch.div_ceil(self.batch_chunk)
    }

    fn slot_samples(&self, slot: usize) -> Range<usize> {
        let start = (slot * self.sample_chunk).min(self.samples);
        start..(start + self.sample_chunk).min(self.samples)
    }

    fn chunk_batch(&self, chunk: usize) -> Range<usize> {
        let start = chunk * self.batch_chunk;
        start..(start + self.batch_chunk).min(self.batch)
    }
}

/// One tile's share of the work and of the outputs.
pub(crate) struct Tile<'a, T, const R: usize, const P: usize> {
    /// Samples `s` of the tile (rows `s B + b`).
    pub samples: Range<usize>,
    /// Batch rows `b` of the tile.
    pub batch: Range<usize>,
    /// Per reduced output: the tile's batch rows of its slot's buffer
    /// (`batch.len() x width`, empty for width 0). The tile writes each
    /// element once at its first sample and adds the later ones.
    pub reduced: [&'a mut [T]; R],
    /// Per per-row output: one slice per sample of the tile, holding rows
    /// `s B + batch` (`batch.len() x width`, empty for width 0).
    pub per_row: [Vec<&'a mut [T]>; P],
}

/// Per-thread scratch for the tiles of one call, reserved before any tile
/// runs: a failed reservation is an error while every output is still
/// unwritten. There is one buffer per tile that can run at once, so a tile
/// always finds one free (it tries the buffer of its thread's index first,
/// then the others); tiles are leaf work (no rayon call inside), so a tile
/// holds its buffer only while it runs. A buffer holds the previous tile's
/// numbers: kernels write scratch before they read it.
struct Scratch<T> {
    buffers: Vec<Mutex<Vec<T>>>,
}

impl<T: Real> Scratch<T> {
    /// `count` buffers of `len` elements (none when `len` is 0).
    fn new(count: usize, len: usize) -> Result<Scratch<T>> {
        if len == 0 {
            return Ok(Scratch {
                buffers: Vec::new(),
            });
        }
        let mut buffers = alloc::reserve(count, "tile scratch")?;
        for _ in 0..count {
            buffers.push(Mutex::new(alloc::filled(len, T::ZERO, "tile scratch")?));
        }
        Ok(Scratch { buffers })
    }

    /// Runs `f` on a free buffer (empty when `len` was 0).
    fn with<R>(&self, f: impl FnOnce(&mut [T]) -> R) -> R {
        let n = self.buffers.len();
        if n == 0 {
            return f(&mut []);
        }
        let first = rayon::current_thread_index().unwrap_or(0) % n;
        let free = (0..n).find_map(|j| match self.buffers[(first + j) % n].try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        });
        // None only if more tiles run at once than counted: wait for one.
        let mut buffer = free.unwrap_or_else(|| {
            self.buffers[first]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        f(&mut buffer)
    }
}

/// How many tiles of `tiles` can run at once on `exec`.
fn concurrency(exec: &Exec, tiles: usize, serial: bool) -> usize {
    if serial {
        return 1;
    }
    let threads = match exec.threads() {
        Threads::Serial => 1,
        Threads::Pool(pool) => pool.current_num_threads(),
        Threads::Current => rayon::current_num_threads(),
    };
    threads.clamp(1, tiles.max(1))
}

/// `buf` (rows of `width`) cut into consecutive pieces of `rows_each` rows;
/// `count` empty pieces when `width` is 0.
fn split_rows<T>(buf: &mut [T], rows_each: usize, width: usize, count: usize) -> Vec<&mut [T]> {
    if width == 0 {
        return (0..count).map(|_| <&mut [T]>::default()).collect();
    }
    buf.chunks_mut(rows_each * width).collect()
}

/// Runs `task` on every tile of `grid`, then adds the partials of the
/// reduced outputs into them in slot order.
///
/// `reduced[j]` is `B x reduced_widths[j]`; `per_row[j]` is
/// `S B x per_row_widths[j]`. A width of 0 means the output is not wanted
/// (its slices are empty). Each tile also gets `scratch_len` elements of
/// scratch (the buffer of the thread it runs on).
///
/// The partials and the scratch are reserved first: an
/// [`ErrorKind::OutOfMemory`](crate::ErrorKind::OutOfMemory) error leaves
/// every output unwritten.
#[allow(clippy::too_many_arguments)] // the outputs and their widths pair up
pub(crate) fn run_tiles<T: Real, const R: usize, const P: usize>(
    exec: &Exec,
    grid: Grid,
    mut reduced: [&mut [T]; R],
    reduced_widths: [usize; R],
    per_row: [&mut [T]; P],
    per_row_widths: [usize; P],
    scratch_len: usize,
    task: impl Fn(Tile<'_, T, R, P>, &mut [T]) + Sync,
) -> Result<()> {
    let slots = grid.slots();
    let chunks = grid.batch_chunks();
    let b = grid.batch;
    let mut partials: [Vec<T>; R] = core::array::from_fn(|_| Vec::new());
    for (j, partial) in partials.iter_mut().enumerate() {
        // (slots - 1) * b <= S * B rows, and the outputs' widths fit them.
        let len = (slots - 1) * b * reduced_widths[j];
        *partial = alloc::filled(len, T::ZERO, "gradient partial sums")?;
    }
    let work = grid
        .samples
        .saturating_mul(b)
        .saturating_mul(grid.row_elements);
    let serial = is_serial(exec, work) || slots * chunks == 1;
    let scratch = Scratch::new(concurrency(exec, slots * chunks, serial), scratch_len)?;
    let task = |tile| scratch.with(|buf| task(tile, buf));
    {
        // reduced_pieces[j]: per slot, per batch chunk.
        let mut reduced_pieces: [Vec<Vec<&mut [T]>>; R] = core::array::from_fn(|_| Vec::new());
        for (j, (out, partial)) in reduced.iter_mut().zip(partials.iter_mut()).enumerate() {
            let w = reduced_widths[j];
            reduced_pieces[j].push(split_rows(out, grid.batch_chunk, w, chunks));
            if w == 0 {
                for _ in 1..slots {
                    reduced_pieces[j].push(split_rows(&mut [], grid.batch_chunk, 0, chunks));
                }
            } else {
                for p in partial.chunks_mut(b * w) {
                    reduced_pieces[j].push(split_rows(p, grid.batch_chunk, w, chunks));
                }
            }
        }
        // per_row_pieces[j]: per sample, per batch chunk.
        let mut per_row_pieces: [Vec<Vec<&mut [T]>>; P] = core::array::from_fn(|_| Vec::new());
        for (j, out) in per_row.into_iter().enumerate() {
            let w = per_row_widths[j];
            if w == 0 {
                for _ in 0..grid.samples {
                    per_row_pieces[j].push(split_rows(&mut [], grid.batch_chunk, 0, chunks));
                }
            } else {
                for slab in out.chunks_mut(b * w) {
                    per_row_pieces[j].push(split_rows(slab, grid.batch_chunk, w, chunks));
                }
            }
        }

        let mut tiles = Vec::with_capacity(slots * chunks);
        let mut reduced_slots = reduced_pieces.map(|v| v.into_iter());
        let mut per_row_samples = per_row_pieces.map(|v| v.into_iter());
        for slot in 0..slots {
            let samples = grid.slot_samples(slot);
            let mut reduced_chunks: [_; R] =
                core::array::from_fn(|j| reduced_slots[j].next().unwrap_or_default().into_iter());
            let mut by_chunk: [Vec<Vec<&mut [T]>>; P] = core::array::from_fn(|_| {
                (0..chunks)
                    .map(|_| Vec::with_capacity(samples.len()))
                    .collect()
            });
            for _ in samples.clone() {
                for (j, pieces_by_chunk) in by_chunk.iter_mut().enumerate() {
                    for (c, piece) in per_row_samples[j]
                        .next()
                        .unwrap_or_default()
                        .into_iter()
                        .enumerate()
                    {
                        pieces_by_chunk[c].push(piece);
                    }
                }
            }
            let mut per_row_chunks = by_chunk.map(|v| v.into_iter());
            for c in 0..chunks {
                tiles.push(Tile {
                    samples: samples.clone(),
                    batch: grid.chunk_batch(c),
                    reduced: core::array::from_fn(|j| reduced_chunks[j].next().unwrap_or_default()),
                    per_row: core::array::from_fn(|j| per_row_chunks[j].next().unwrap_or_default()),
                });
            }
        }

        if serial {
            tiles.into_iter().for_each(task);
        } else {
            in_pool(exec, || tiles.into_par_iter().for_each(task));
        }
    }
    for (out, partial) in reduced.iter_mut().zip(&partials) {
        add_partials(exec, out, partial);
    }
    Ok(())
}

/// Adds the partials of slots `1..` into `out` (slot 0) in slot order,
/// each element in the same order whatever the thread count.
fn add_partials<T: Real>(exec: &Exec, out: &mut [T], partials: &[T]) {
    let n = out.len();
    if n == 0 || partials.is_empty() {
        return;
    }
    let add = |start: usize, chunk: &mut [T]| {
        let len = chunk.len();
        for p in partials.chunks_exact(n) {
            for (o, &v) in chunk.iter_mut().zip(&p[start..start + len]) {
                *o = *o + v;
            }
        }
    };
    if is_serial(exec, partials.len()) {
        add(0, out);
    } else {
        in_pool(exec, || {
            out.par_chunks_mut(COMBINE_CHUNK)
                .enumerate()
                .for_each(|(i, chunk)| add(i * COMBINE_CHUNK, chunk))
        });
    }
}

fn is_serial(exec: &Exec, work: usize) -> bool {
    matches!(exec.threads(), Threads::Serial) || work < PARALLEL_MIN_ELEMENTS
}

fn in_pool(exec: &Exec, f: impl FnOnce() + Send) {
    match exec.threads() {
        Threads::Pool(pool) => pool.install(f),
        _ => f(),
    }
}
