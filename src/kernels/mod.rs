//! The row kernels, each written once over [`Vector`](crate::simd::Vector).
//!
//! A kernel here works on one row (or a run of rows). It allocates nothing
//! but a per-task scratch row block, bounded by `8 K` elements and made once
//! per task (`batch::DensityRows`, `grad_batch`'s derived rows);
//! [`crate::par`] splits the rows between threads and
//! [`crate::simd::dispatch`] picks the backend, entered through
//! [`compiled::Compiled`] so that each kernel is compiled once, here. Rows
//! are visited in vectors of 8: full vectors at offsets 0, 8, 16, ..., then
//! one partial vector whose missing lanes are filled with a neutral value
//! and never stored.

pub mod batch;
pub mod categorical;
pub mod compiled;
pub mod density;
pub mod grad;
pub mod grad_batch;
pub mod hard_index;
pub mod logsumexp;
pub mod params;
pub mod rowops;
pub mod sample;
