//! The integration tests, compiled as one binary.
//!
//! One binary instead of one per file: the kernels are generic, so every
//! test crate instantiates the whole stack again, and fifteen of them took
//! most of `cargo test --release`'s time from a fresh clone. Each module
//! below was a test file of its own and keeps its own opening comment; the
//! shared oracle and plumbing are in [`common`].
//!
//! Run one group with a filter, e.g. `cargo test --release --test all
//! oracle_kernels::`.

mod common;

mod bad_input_matrix;
mod c_abi;
mod categorical;
mod consistency;
mod determinism;
mod errors;
mod extremes;
mod grad;
mod header;
mod large_inputs;
mod layers;
mod long_row_sums;
mod math_accuracy;
mod oneshot;
mod oom;
mod oracle_kernels;
mod properties;
mod reference_values;
mod rng_lanes;
mod stack_frames;
mod statistics;
mod symbols;
