#!/usr/bin/env bash
# The Rust test suite under AddressSanitizer (with LeakSanitizer, on by
# default with ASan on Linux), debug assertions and overflow checks, on a
# nightly toolchain. Rust has no UndefinedBehaviourSanitizer: ASan plus the
# standard library's debug assertions (checked unsafe preconditions:
# alignment, non-overlap, slice bounds in from_raw_parts) and overflow
# checks are what exists.
#
#   scripts/sanitize.sh            # CI's selection
#   SANITIZE_ALL=1 scripts/sanitize.sh
#
# Toolchain: `+nightly` when rustup has one, else the stable toolchain with
# RUSTC_BOOTSTRAP=1 (it ships the ASan runtime, librustc-stable_rt.asan.a).
# -Zbuild-std (the standard library rebuilt with ASan, so its own memory
# accesses are checked too) needs the rust-src component: the script adds
# it with rustup when missing, and runs without -Zbuild-std (our code and
# the crates it uses instrumented, std not) when that fails.
#
# What runs: the unit tests and a selection of the modules of the one
# integration binary tests/all (see ci_modules below; SANITIZE_ALL=1 for
# all), at opt-level 1 (unoptimised
# code under ASan is ~30x slower, opt-level 3 builds far slower) with
# -Cdebug-assertions -Coverflow-checks. Skipped, and why:
#   - the exhaustive f32 sweeps of tests/all/math_accuracy.rs (every f32 input,
#     ~2 billion evaluations per backend: pure arithmetic on registers, no
#     memory access ASan could check, and tens of minutes under it), and
#     kernels::categorical's sweep of every f32 in [-2^-10, -2^-22] (10^8
#     exp evaluations, for the same reason);
#   - tests/all/symbols.rs (checks the cdylib's exported symbols: an ASan build
#     exports the sanitizer runtime's, which is what ASan does, not a bug);
#   - tests/all/header.rs (regenerates the header and compiles it with cc: no
#     relaxcat code runs);
#   - doctests (rustdoc would need the same flags and a build-std sysroot;
#     the same code paths run in the unit tests).
# Environment: CARGO_TARGET_DIR defaults to target/sanitize so the shared
# release build is not invalidated; SANITIZE_EXTRA_SKIP adds --skip filters.
set -euo pipefail
cd "$(dirname "$0")/.."

host=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_SANITIZE:-$PWD/target/sanitize}"

if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    channel=nightly
else
    echo "sanitize: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
    toolchain=()
    channel=stable
    export RUSTC_BOOTSTRAP=1
fi
sysroot=$(rustc "${toolchain[@]}" --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
    rustup component add rust-src --toolchain "$(basename "$sysroot")" >/dev/null 2>&1 || true
fi
build_std=()
if [ -d "$sysroot/lib/rustlib/src/rust/library" ]; then
    build_std=(-Zbuild-std)
else
    echo "sanitize: rust-src unavailable for $channel; std itself is not instrumented"
fi

export RUSTFLAGS="-Zsanitizer=address -Cdebug-assertions=on -Coverflow-checks=on -Cforce-frame-pointers=yes"
# The sanitizer build is throw-away: trade the release profile's single
# codegen unit (for speed of the kernels) for a faster build.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${SANITIZE_OPT_LEVEL:-1}"
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
# Fail on any report; leaks included. halt_on_error keeps the first report.
# allocator_may_return_null: a failed allocation returns NULL, as libc's
# does, instead of ASan stopping the process: tests/all/oom.rs checks that
# the library turns a refused reservation into RELAXCAT_ERROR_OUT_OF_MEMORY.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:allocator_may_return_null=1"
# Keep the statistical tests at their default sizes; threads: 2 cores.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-2}"

skips=(
    --skip every_input
    --skip every_positive_input
    --skip exp_is_below_one_away_from_zero
)
# shellcheck disable=SC2206
skips+=(${SANITIZE_EXTRA_SKIP:-})

# CI's selection (SANITIZE_ALL=1: every module of tests/all but the ones
# skipped above): the unit tests (every module, the whole C ABI layer) and
# the integration modules that walk the memory edges: bad and extreme
# inputs, errors (nothing written), strided and split calls, one-shot calls,
# kernels against the oracle on every shape class. Left to SANITIZE_ALL:
# statistics, grad, properties, reference_values, rng_lanes, math_accuracy
# (they compute on the same paths, for longer).
ci_modules="errors bad_input_matrix determinism consistency oracle_kernels oneshot extremes oom"
filters=()
skips+=(--skip symbols:: --skip header::)
if [ -z "${SANITIZE_ALL:-}" ]; then
    for m in $ci_modules; do
        filters+=("$m::")
    done
fi

echo "sanitize: cargo ${toolchain[*]} test ${build_std[*]} --target $host (ASan)"
cargo "${toolchain[@]}" test "${build_std[@]}" --release --target "$host" \
    --lib -- "${skips[@]}"
# The module filters apply to tests/all only (they would filter out every
# unit test too).
cargo "${toolchain[@]}" test "${build_std[@]}" --release --target "$host" \
    --test all -- "${filters[@]}" "${skips[@]}"

# The C ABI's unit tests again on the scalar and portable backends (the
# suite above picks AVX2 on this machine): the gather/scatter and tail
# paths differ per backend.
for backend in scalar portable; do
    echo "sanitize: C ABI and kernel unit tests with RELAXCAT_FORCE_BACKEND=$backend"
    RELAXCAT_FORCE_BACKEND=$backend cargo "${toolchain[@]}" test "${build_std[@]}" \
        --release --target "$host" --lib -- "${skips[@]}"
done
echo "sanitize: no AddressSanitizer report"
