//! Fast, deterministic kernels for the **RelaxedOneHotCategorical**
//! distribution: the Concrete distribution (Maddison et al. 2017), or
//! Gumbel-softmax (Jang et al. 2017), over the open `K`-simplex.
//!
//! ```text
//! g = -ln(-ln u), u ~ U(0,1)          z = (l + g) / t
//! rsample      y = softmax(z)         log-space  x = z - logsumexp(z) = ln y
//! hard         one-hot(argmax y), y kept for the straight-through gradient
//! log_prob(y)  = lgamma(K) + (K-1) ln t + sum_k (l_k - (t+1) ln y_k)
//!                - K logsumexp_k (l_k - t ln y_k)
//! ```
//!
//! A [`RelaxedOneHotCategorical`] holds `B` parameter rows of `K` categories
//! (row-major) and a temperature (one, or one per row). Sampling `S` samples
//! gives `S x B` rows, row `i` drawn from parameter row `i % B`; `log_prob`
//! scores `N` value rows (`N` a multiple of `B`) the same way.
//!
//! ```
//! use relaxcat::{Draw, Generator, Noise, RelaxedOneHotCategorical, Stream};
//!
//! let logits = [0.5f32, 1.5, -0.3, 0.0, 2.0, 0.1, 0.1, f32::NEG_INFINITY];
//! let dist = RelaxedOneHotCategorical::from_logits(&[0.5], &logits, 4)?;
//!
//! let mut rng = Generator::new(7);
//! let y = dist.rsample(&mut rng, 3)?; // 3 x 2 rows of 4
//! assert!(y.chunks(4).all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-6));
//! assert!(y.chunks(4).skip(1).step_by(2).all(|row| row[3] == 0.0)); // masked
//!
//! let log_p = dist.log_prob(&y)?;
//! assert_eq!(log_p.len(), 6);
//!
//! // Samples are a pure function of (seed, row): rows 2..5 alone are the
//! // same bits as rows 2..5 of the whole call.
//! let mut part = vec![0.0f32; 3 * 4];
//! dist.draw(Noise::Rows(Stream::new(7, 0), 2..5), Draw::Soft(&mut part))?;
//! assert_eq!(part, y[2 * 4..5 * 4]);
//! # Ok::<(), relaxcat::Error>(())
//! ```
//!
//! The layers, top to bottom: `dist` (the distribution) and `ops` (stateless
//! row kernels) call `par` (rows split into tasks over rayon), which calls
//! `kernels` (each row kernel written once over a vector trait), which call
//! `simd` (scalar, `wide` and AVX2 backends, chosen at run time, bit-identical).
//! Nothing above `par` names the SIMD layer (tests/all/layers.rs checks it).
#![deny(missing_docs)]

mod alloc;
pub mod categorical;
mod dist;
mod draw;
mod error;
/// The C ABI's items as Rust declarations (for Rust code that calls the C
/// functions, such as the fuzz crate); not part of the Rust API.
#[doc(hidden)]
pub mod ffi;
mod grad;
mod hard_index;
mod kernels;
pub mod oneshot;
mod ops;
mod par;
mod par_reduce;
mod rng;
mod simd;
mod validate;

#[doc(hidden)]
pub mod testing;

pub use dist::{Builder, Param, RelaxedOneHotCategorical};
pub use draw::{Draw, Noise};
pub use error::{Error, ErrorKind, Result};
pub use grad::{LogProbGrads, ParamGrads, ProbsGrad, SampleForm};
pub use ops::{gumbel_rows, log_softmax_rows, logsumexp_rows, softmax_rows};
pub use par::{Exec, Threads};
pub use rng::{Generator, Stream};
pub use simd::Backend;

/// The element types relaxcat computes in: `f32` and `f64`. Sealed.
pub trait Float: kernels::compiled::Compiled {}
impl Float for f32 {}
impl Float for f64 {}

/// The README's Rust examples, compiled and run as doctests so that they
/// stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
