//! Every kernel compiled once, inside relaxcat, for `f32` and `f64`.
//!
//! The kernels are generic, and Rust compiles a generic function in the
//! crate that instantiates it. Entered directly, every crate that names
//! `RelaxedOneHotCategorical<f32>` (the test binary, the Rust quickstart,
//! each downstream crate) would compile the whole kernel stack again, on
//! every backend: a minute or more of build time each. [`Compiled`] has one
//! method per kernel, implemented here for `f32` and `f64` by plain
//! (non-generic) functions that enter [`dispatch`]. They are compiled in
//! this crate, once, and other crates link to them; the generic layers
//! above (the distribution, `par`'s row split) stay generic and small.
//!
//! The functions behind the methods are `#[inline(never)]` so that no crate
//! inlines a kernel stack into itself after all; one call per row range is
//! the whole cost.

use super::batch::{DensityRows, GumbelRows, LogSumExpRows, RowMap, SampleRows};
use super::categorical::{CategoricalPrep, CategoricalRows};
use super::grad_batch::{
    LogProbBackwardTile, ProbsChainRows, RsampleBackwardTile, RsampleWithLogRows, ValueCheckRows,
};
use super::hard_index::HardIndexRows;
use super::params::{ParamCheckRows, ParamRows};
use crate::simd::dispatch::dispatch;
use crate::simd::{Backend, Real};
use crate::testing::{BlockUniforms, MathKernel};

macro_rules! compiled_kernels {
    ($($(#[$doc:meta])* $method:ident: $kernel:ident,)*) => {
        /// The kernels of `Self`, compiled in this crate (module docs).
        /// Sealed: implemented for `f32` and `f64` only.
        pub trait Compiled: Real {
            $(
                $(#[$doc])*
                fn $method(backend: Backend, kernel: $kernel<'_, Self>);
            )*
        }
        // One module per kernel: rustc splits a crate into codegen units
        // by module, so the kernels compile in parallel (in one module they
        // would all land in one unit).
        $(
            mod $method {
                use super::*;
                #[inline(never)]
                pub fn f32(backend: Backend, kernel: $kernel<'_, f32>) {
                    dispatch(backend, kernel)
                }
                #[inline(never)]
                pub fn f64(backend: Backend, kernel: $kernel<'_, f64>) {
                    dispatch(backend, kernel)
                }
            }
        )*
        impl Compiled for f32 {
            $(
                #[inline]
                fn $method(backend: Backend, kernel: $kernel<'_, f32>) {
                    $method::f32(backend, kernel)
                }
            )*
        }
        impl Compiled for f64 {
            $(
                #[inline]
                fn $method(backend: Backend, kernel: $kernel<'_, f64>) {
                    $method::f64(backend, kernel)
                }
            )*
        }
    };
}

compiled_kernels! {
    /// Validation, unmasked counts and row shifts of the parameters.
    param_check_rows: ParamCheckRows,
    /// The normalised logits and probs.
    param_rows: ParamRows,
    /// Soft, log-space and hard samples.
    sample_rows: SampleRows,
    /// log-densities of values.
    density_rows: DensityRows,
    /// `logsumexp` of rows.
    logsumexp_rows: LogSumExpRows,
    /// `softmax` and `log_softmax` of rows.
    row_map: RowMap,
    /// Gumbel noise.
    gumbel_rows: GumbelRows,
    /// The fused forward pass of the samplers' backward passes.
    rsample_with_log_rows: RsampleWithLogRows,
    /// The backward pass of the samplers.
    rsample_backward_tile: RsampleBackwardTile,
    /// The backward pass of the log-density.
    log_prob_backward_tile: LogProbBackwardTile,
    /// The chain rule from logits to probs gradients.
    probs_chain_rows: ProbsChainRows,
    /// Validation of values before a backward pass.
    value_check_rows: ValueCheckRows,
    /// Top-k candidates and log-normalisers of categorical draws.
    categorical_prep: CategoricalPrep,
    /// Categorical draws.
    categorical_rows: CategoricalRows,
    /// Straight-through samples as indices.
    hard_index_rows: HardIndexRows,
    /// `relaxcat::testing::math`.
    math: MathKernel,
    /// `relaxcat::testing::block_uniforms`.
    block_uniforms: BlockUniforms,
}
