#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ (cargo fuzz: libFuzzer + AddressSanitizer,
# debug assertions on) and runs each for a bounded time from the committed
# seed corpus. Fails on any crash, panic, sanitizer report, timeout or
# out-of-memory. fuzz/README.md describes the targets and the long runs.
#
#   scripts/fuzz.sh                 # 60 s per target (what CI runs)
#   FUZZ_SECONDS=600 scripts/fuzz.sh
#   FUZZ_TARGETS=c_abi scripts/fuzz.sh
#
# Needs: a Rust toolchain with nightly features. `+nightly` when rustup has
# one, else the stable toolchain with RUSTC_BOOTSTRAP=1 (stable ships the
# ASan runtime). cargo-fuzz itself is installed from crates.io (about a
# minute) when the pinned version is not already there.
#
# Why cargo-fuzz rather than cargo + hand-written RUSTFLAGS: it is the
# documented way to build libfuzzer-sys targets (sancov passes, ASan,
# -Cllvm-args for libFuzzer's coverage, cfg(fuzzing), the
# build-std-free host target layout), it is what a developer runs by hand
# (`cargo fuzz run c_abi`), and it installs in about a minute, so CI and
# developers build the targets the same way.
#
# New inputs go to a scratch directory (not the committed corpus); a crash
# leaves its input under fuzz/artifacts/<target>/ and the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-c_abi rust_api}"

if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# Its own target directory, whatever CARGO_TARGET_DIR the caller has.
export CARGO_TARGET_DIR="$PWD/fuzz/target"

# -O: optimised (release) build; -a: debug assertions and overflow checks
# on; ASan is cargo-fuzz's default sanitizer. fuzz/ is its own workspace
# with its own Cargo.lock and target directory (fuzz/target).
build=(-O -a)
echo "fuzz: building $targets"
for t in $targets; do
    cargo "${toolchain[@]}" fuzz build "${build[@]}" "$t"
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p fuzz/artifacts
for t in $targets; do
    mkdir -p "$scratch/$t" "fuzz/artifacts/$t"
    echo "fuzz: $t for ${seconds}s from fuzz/corpus/$t"
    # The first corpus directory receives new inputs; the committed one is
    # only read (every file in it, regression inputs included, runs first).
    cargo "${toolchain[@]}" fuzz run "${build[@]}" "$t" "$scratch/$t" "$PWD/fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$PWD/fuzz/artifacts/$t/" 2>&1 |
        grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' || {
        echo "fuzz: $t failed; inputs under fuzz/artifacts/$t/" >&2
        exit 1
    }
done
echo "fuzz: no crash in $targets"
