//! The C ABI: the one place with `extern "C"` and raw pointers.
//!
//! ```text
//! C call  ->  entry! { body }: guard(name, body)  catch_unwind: a panic is
//!               |                              RELAXCAT_ERROR_INTERNAL
//!               +- check handles, sizes (checked_mul), ld >= K, NULLs,
//!               |  alignment, aliasing (pointer ranges)      -- no writes
//!               +- gather strided inputs (ld > K) into a contiguous copy
//!               +- call the Rust API into the caller's buffer (ld == K)
//!               |  or a contiguous temporary (ld > K)        -- no writes
//!               |  until the Rust API has checked everything
//!               +- scatter the temporary into the strided output
//!             <- status (ErrorKind code, 0 = OK); the thread-local last
//!                error message names the function, parameter, row, value
//! ```
//!
//! Handles are opaque boxes: a distribution (`relaxcat_dist_f32` /
//! `relaxcat_dist_f64`) is immutable and may be shared by threads; a
//! generator holds its position behind a mutex; a context holds an [`Exec`]
//! (a thread count and a backend) and never the global rayon pool.
//!
//! ```text
//! src/ffi/dist.rs                 generic bodies: new::<H>, draw_rows::<H>, ...
//! src/ffi/dist/exports_f32.rs     the C functions over f32, each a typed shim:
//!                                 docs, signature, entry! { unsafe new(..) }
//! src/ffi/dist/exports_f64.rs     GENERATED from exports_f32.rs (f32 -> f64)
//! ```
//!
//! The same for `grad`, `oneshot`, `categorical` and `rows`. The `f64` files
//! are generated text, not macro output, because cbindgen reads the source,
//! not the expansion; tests/all/header.rs regenerates them (and the header)
//! with `RELAXCAT_BLESS=1` and fails when either differs. `status::entry!`
//! is the one panic / status / last-error boundary of every function.
//!
//! [`Exec`]: crate::Exec

#![allow(non_camel_case_types)]

mod buffer;
mod categorical;
mod context;
mod dist;
mod generator;
mod grad;
mod oneshot;
mod rows;
mod status;

// Every item of the C ABI, once, under `relaxcat::ffi`: Rust code that calls
// the C functions (the fuzz crate, tests/all) uses these declarations rather
// than writing its own. Hidden from the Rust API's docs; C is their interface.
pub use categorical::exports_f32::*;
pub use categorical::exports_f64::*;
pub use categorical::*;
pub use context::*;
pub use dist::exports_f32::*;
pub use dist::exports_f64::*;
pub use dist::*;
pub use generator::*;
pub use grad::exports_f32::*;
pub use grad::exports_f64::*;
pub use oneshot::exports_f32::*;
pub use oneshot::exports_f64::*;
pub use oneshot::*;
pub use rows::exports_f32::*;
pub use rows::exports_f64::*;
pub use status::*;
