#!/usr/bin/env bash
# ThreadSanitizer over relaxcat's threads, on nightly with the standard
# library rebuilt instrumented (-Zbuild-std), so every memory access of
# rayon, std and relaxcat is seen. CI (.ci/run) runs it; it fails on any
# report (halt_on_error=1). No suppressions: none are needed.
#
# Two real workloads, small enough for CI:
#   1. Rust: tests/all's determinism tests over thread counts (contexts with
#      1, 2 and 3 pool threads, every backend, bit-identical results) and
#      the shared generator (stream rows handed out under a lock);
#   2. C: the whole C test (tests/c/test_relaxcat.c), whose pthread section
#      runs 8 C threads at once on one distribution shared between them (its
#      own 2-thread pool), a shared generator, per-thread error messages and
#      deliberate errors, compared with a serial run. gcc instruments the C
#      code (-fsanitize=thread -c); the program is linked against the Rust
#      toolchain's TSan runtime (LLVM's, which the instrumented Rust code
#      needs: gcc 12's libtsan lacks __tsan_memcpy/__tsan_memset).
set -euo pipefail
cd "$(dirname "$0")/.."

host=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_TSAN:-$PWD/target/tsan}"
toolchain=+nightly
if ! cargo $toolchain --version >/dev/null 2>&1; then
    echo "tsan: installing a nightly toolchain (rustup)"
    rustup toolchain install nightly --profile minimal --component rust-src >/dev/null
fi
sysroot="$(rustc $toolchain --print sysroot)"
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
    rustup component add rust-src --toolchain nightly
fi
runtime="$sysroot/lib/rustlib/$host/lib/librustc-nightly_rt.tsan.a"
[ -f "$runtime" ] || { echo "tsan: no TSan runtime at $runtime" >&2; exit 1; }

export RUSTFLAGS="-Zsanitizer=thread -Cforce-frame-pointers=yes"
# A throw-away build: many codegen units and opt-level 1 build fastest.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1"
export RUST_TEST_THREADS=2
cargo_tsan() { cargo $toolchain "$1" -Zbuild-std --release --target "$host" "${@:2}"; }

echo "tsan: building the library (static) with -Zsanitizer=thread"
cargo_tsan build --lib
lib="$CARGO_TARGET_DIR/$host/release/librelaxcat.a"

echo "tsan: Rust: determinism over thread counts, the shared generator"
cargo_tsan test --test all -- determinism::thread_count determinism::generator_advances

echo "tsan: C: tests/c/test_relaxcat.c (its pthread section included)"
work="$(mktemp -d "${TMPDIR:-/tmp}/relaxcat-tsan.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cc -std=c99 -fsanitize=thread -O1 -g -fno-omit-frame-pointer -Iinclude -Itests/c \
    -c tests/c/test_relaxcat.c -o "$work/test_relaxcat.o"
cc "$work/test_relaxcat.o" -o "$work/test_relaxcat" \
    -Wl,--whole-archive "$runtime" -Wl,--no-whole-archive "$lib" \
    -lgcc_s -lutil -lrt -lpthread -lm -ldl -lstdc++
"$work/test_relaxcat"
echo "tsan: no ThreadSanitizer report"
