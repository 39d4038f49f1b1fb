#!/usr/bin/env bash
# Checks relaxcat's C ABI end to end; exits non-zero on any failure.
#
#   1. cargo build --release (librelaxcat.so and librelaxcat.a)
#   2. the ffi unit tests; the header test: include/relaxcat.h equals what
#      the pinned cbindgen generates, and compiles as C99 and C++ with
#      -Wall -Wextra -Werror -pedantic
#   3. the symbol test: `nm -D --defined-only librelaxcat.so` exports
#      exactly the functions the header declares
#   4. the C test program names every header function
#   5. examples/c: the C test (-std=c99 -Werror) under AddressSanitizer +
#      UBSan, static library, with pthreads; the C++ translation unit; the
#      C quickstart
#   6. scripts/install.sh into a temporary prefix, then the quickstart and
#      the C test built against it through pkg-config
#   7. the Python ctypes client (standard library only), including the
#      PyTorch reference values of tests/data
#
# Needs: a Rust toolchain, gcc/g++ (cc/c++), make, python3, nm (binutils)
# and pkg-config; all are on a fresh machine of this project's kind.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="${CARGO_TARGET_DIR:-$root/target}"
started=$SECONDS

step() { printf '\n--> %s\n' "$*"; }
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "check_c_abi: '$1' not found: $2" >&2
        exit 1
    fi
}
need cargo "install a Rust toolchain (rustup)"
need cc "install gcc"
need c++ "install g++"
need make "install make"
need python3 "install python3"
need nm "install binutils"
need pkg-config "install pkg-config (apt-get install pkg-config)"

work="$(mktemp -d "${TMPDIR:-/tmp}/relaxcat-c-abi.XXXXXX")"
trap 'rm -rf "$work"' EXIT

step "build the shared and static libraries"
cargo build --release

step "ffi unit tests; header == pinned cbindgen output, compiles as C99 and C++"
cargo test --release --lib ffi::
cargo test --release --test header

step "exported symbols == functions declared in the header"
RELAXCAT_LIB="$target/release/librelaxcat.so" cargo test --release --test symbols

step "the C test calls every function the header declares"
# Preprocess with the header's guard predefined, so only the test's own
# code (with its typed macros expanded) is searched.
cc -E -P -DRELAXCAT_H -Iinclude examples/c/test_relaxcat.c -Iexamples/c >"$work/test.i"
missing=0
for fn in $(grep -oE '^[a-z][a-z_0-9 *]*[ *]relaxcat_[a-z0-9_]+\(' include/relaxcat.h | grep -oE 'relaxcat_[a-z0-9_]+'); do
    if ! grep -qw "$fn" "$work/test.i"; then
        echo "not called by examples/c/test_relaxcat.c: $fn" >&2
        missing=1
    fi
done
[ "$missing" = 0 ]
echo "all $(grep -cE '^[a-z][a-z_0-9 *]*[ *]relaxcat_[a-z0-9_]+\(' include/relaxcat.h) functions called"

step "C test under AddressSanitizer + UBSan, C++ translation unit, C quickstart"
make -C examples/c ROOT="$root" BUILD="$work/c" check

step "install into a temporary prefix; build against it with pkg-config"
scripts/install.sh --no-build "$work/prefix"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors relaxcat
echo "pkg-config relaxcat $(pkg-config --modversion relaxcat): $(pkg-config --cflags --libs relaxcat)"
make -C examples/c USE_PKG_CONFIG=1 BUILD="$work/pkg" run test
# (ldd's output is kept first: `grep -q` exiting early would make the
# pipeline fail under pipefail.)
loaded="$(ldd "$work/pkg/quickstart")"
case "$loaded" in
*"$work/prefix/lib/librelaxcat.so"*) ;;
*)
    echo "the pkg-config quickstart does not load the installed library:" >&2
    echo "$loaded" >&2
    exit 1
    ;;
esac

step "Python ctypes client"
python3 examples/python/relaxcat_ctypes.py "$target/release/librelaxcat.so"

printf '\nC ABI checks passed in %d s\n' "$((SECONDS - started))"
