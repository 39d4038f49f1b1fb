#!/usr/bin/env bash
# A fast subset of the Rust tests under Miri (nightly), which interprets
# the code and fails on undefined behaviour: out-of-bounds, misaligned or
# dangling accesses, uninitialised memory, invalid values, aliasing
# violations (Stacked Borrows), memory leaks. CI (.ci/run) runs it.
#
#   scripts/miri.sh                                      # CI's subset
#   MIRI_EXTRA_FLAGS=-Zmiri-tree-borrows scripts/miri.sh
#
# Under cfg(miri) the AVX2 and AVX-512VL backends report unavailable and
# the default backend is scalar (src/simd/dispatch.rs), as BLAKE3 and
# memchr fall back to portable code under Miri. The portable backend
# (`wide` on SSE2 intrinsics, which Miri emulates) stays available, so the
# tests that loop over the backends run both.
#
# Why this subset. Outside src/ffi the library's only `unsafe` is entering
# the AVX2 functions, and the scalar backend is safe Rust; what Miri can
# find is in the C ABI and in the unsafe code of the dependencies (`wide`).
# So it runs:
#   1. the C ABI: src/ffi's unit tests, and the tests/all tests that call
#      the extern "C" functions from Rust: c_abi (handles made, queried and
#      freed, free of NULL; NULL pointers, bad shapes and options,
#      misaligned and overlapping buffers, with `*out`, the outputs and the
#      generator untouched on error; samples, densities, a backward pass
#      and categorical sampling through a context on each backend, bit for
#      bit the Rust API's) and oneshot's C test (one-shot calls, strided
#      parameters, an output overlapping the parameters);
#   2. the portable and scalar backends through the Rust API on tiny
#      shapes: every sampler output and backward pass bit for bit across
#      the backends (grad), the row maps against the f64 oracle and NaN
#      rows (oracle_kernels), the error paths with nothing written
#      (errors, grad, oneshot), the generator lanes (rng_lanes).
# Miri runs this code about 10^4 times slower than a release build (a
# tenth of a second per row of eight lanes), so where a test sweeps sizes a
# cfg(miri) constant keeps its short rows (tests/all/oracle_kernels.rs
# LENGTHS, tests/all/grad.rs SHAPES); the rest are left out by name.
#
# Not covered:
#   - the AVX2 and AVX-512VL backends (target-feature code; AddressSanitizer
#     in scripts/sanitize.sh and the fuzzers run it);
#   - threads: a rayon pool under Miri breaks Stacked Borrows inside
#     crossbeam-epoch, a known false positive (crossbeam-rs/crossbeam#545,
#     rayon-rs/rayon#1185; Tree Borrows accepts it), and interpreted threads
#     are slow; no test here starts a pool (the calls are below the
#     parallel threshold), and ThreadSanitizer (scripts/tsan.sh) covers
#     the threads;
#   - long rows (the one-row-at-a-time and 1024-category chunk paths), the
#     accuracy sweeps, statistics, properties, the scalar-only error
#     matrices of the Rust API (safe code, run natively), the reference
#     values (they read files: Miri's isolation stays on);
#   - the C code and what runs a process (tests/all/header.rs,
#     symbols.rs), and the doctests.
#
# -Zmiri-deterministic-floats: by default Miri perturbs the results of
# std's `exp` and `ln` by a few ulps, differently on every call (Rust does
# not specify their precision); log_prob's f64 normaliser calls them, so
# the bit-identity checks would fail, one backend against itself. With the
# flag every call gives the same result, as in a native build.
#
# Environment: CARGO_TARGET_DIR_MIRI (default target/miri), so the shared
# builds are not invalidated; one build job (-j1), so that a build beside
# this one keeps a core.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_MIRI:-$PWD/target/miri}"
toolchain=+nightly
if ! cargo $toolchain --version >/dev/null 2>&1; then
    echo "miri: installing a nightly toolchain (rustup)"
    rustup toolchain install nightly --profile minimal --component miri --component rust-src >/dev/null
fi
if ! cargo $toolchain miri --version >/dev/null 2>&1 ||
    [ ! -d "$(rustc $toolchain --print sysroot)/lib/rustlib/src/rust/library" ]; then
    echo "miri: adding the miri and rust-src components (rustup)"
    rustup component add miri rust-src --toolchain nightly
fi
cargo $toolchain miri --version
export MIRIFLAGS="-Zmiri-deterministic-floats ${MIRI_EXTRA_FLAGS:-}"
# One test at a time (Miri interprets one thread anyway).
export RUST_TEST_THREADS=1
cargo_miri() { cargo $toolchain miri test -j1 --locked "$@"; }

# Runs one test target under Miri with libtest's filters. With --exact,
# every named test must have run (a renamed test fails here instead of
# silently dropping out); with a prefix, at least one.
run() {
    local what=$1 target=$2
    shift 2
    echo "miri: $what"
    local log passed want=1
    if [ "$1" = --exact ]; then want=$(($# - 1)); fi
    log="$(mktemp "${TMPDIR:-/tmp}/relaxcat-miri.XXXXXX")"
    # shellcheck disable=SC2086
    cargo_miri $target -- "$@" 2>&1 | tee "$log"
    passed="$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)"
    rm -f "$log"
    if [ "${passed:-0}" -lt "$want" ]; then
        echo "miri: $what: ${passed:-0} tests passed, expected $want" >&2
        exit 1
    fi
}

cargo $toolchain miri setup

# The C ABI's unit tests: a prefix, so that new ones join.
run "the library's unit tests of the C ABI (src/ffi)" --lib ffi::

run "tests/all: the C ABI from Rust; the Rust API on the scalar and portable backends" "--test all" --exact \
    c_abi::status_strings_and_handles \
    c_abi::results_are_the_rust_apis_bits \
    c_abi::errors_write_nothing \
    oneshot::c_oneshot_matches_rust_strided_and_checks_overlap \
    oneshot::rust_oneshot_errors_name_the_problem_and_write_nothing \
    grad::every_backend_gives_the_same_bits_f32 \
    grad::every_backend_gives_the_same_bits_f64 \
    grad::errors_leave_outputs_untouched \
    grad::single_category_and_zero_samples \
    grad::outside_the_support_contributes_zero \
    grad::rsample_with_log_advances_the_generator \
    oracle_kernels::row_maps_match_oracle_f32 \
    oracle_kernels::row_maps_match_oracle_f64 \
    oracle_kernels::nan_rows_give_nan \
    oracle_kernels::empty_inputs \
    consistency::all_subnormal_probs_row \
    errors::builder_shape_and_choice_errors \
    errors::temperature_errors_f32 \
    errors::temperature_errors_f64 \
    errors::parameter_value_errors_f32 \
    errors::parameter_value_errors_f64 \
    errors::sampling_errors_f32 \
    errors::sampling_errors_f64 \
    errors::exec_errors \
    errors::error_kind_codes_are_stable \
    bad_input_matrix::zero_sample_and_value_rows_are_not_errors \
    rng_lanes::lane_seed_is_the_documented_rule \
    rng_lanes::uniform_extremes_and_gumbel_finite

echo "miri: no undefined behaviour found ($((SECONDS - started)) s)"
