//! relaxcat
#![deny(missing_docs)]

mod dist;
mod error;
mod ffi;
mod kernels;
mod ops;
mod par;
mod rng;
mod simd;
mod validate;

#[doc(hidden)]
pub mod testing;

pub use dist::{Builder, Param, RelaxedOneHotCategorical};
pub use error::{Error, ErrorKind, Result};
pub use ops::{gumbel_rows, log_softmax_rows, logsumexp_rows, softmax_rows};
pub use par::{Exec, Threads};
pub use rng::{Generator, Stream};
pub use simd::Backend;

/// The element types relaxcat computes in: `f32` and `f64`. Sealed.
pub trait Float: simd::Real {}
impl Float for f32 {}
impl Float for f64 {}
