#!/usr/bin/env bash
# Every test of relaxcat, in one command (the README's second line):
#
#   1. Rust: the one integration binary tests/all in release (oracle, bit
#      identity over every backend the CPU has, PyTorch f64 reference
#      values from tests/data, errors, the header == pinned cbindgen output
#      and compiling as C99 / C++11, the exported symbols == the header's
#      functions, the SONAME) and the doc tests; the unit tests (src/) in
#      an unoptimised build, beside the release build (below)
#   2. C and C++ (tests/c): the C tests (-std=c99 -Werror) and the
#      bad-input matrix under AddressSanitizer + UBSan on the static
#      library, with pthreads; the C++11 translation unit; the C quickstart
#   3. install (scripts/install.sh) into a temporary prefix with a
#      multiarch --libdir (lib/x86_64-linux-gnu), then the versioned
#      layout, the SONAME and the exported symbols of the installed
#      library, and three consumer
#      builds of the C quickstart: pkg-config shared, pkg-config --static,
#      CMake find_package (where cmake is installed; .ci/run installs it
#      and sets RELAXCAT_REQUIRE_CMAKE=1, which makes its absence a failure)
#   4. Python: the ctypes client (standard library only) with the PyTorch
#      reference values; the package (python/) installed with pip into the
#      pinned test venv (scripts/python_env.sh: made once, reused from a
#      cache outside the clone) and its pytest suite run from outside the
#      repository (NumPy API, the torch drop-in, PyTorch's ported tests);
#      and `pip install ./python` as a user runs it, into a new venv with
#      build isolation, then `import relaxcat` from another directory
#   5. sharding: rows computed in separate processes are bit-identical to
#      one call
#
# Needs: a Rust toolchain, cc and c++ (gcc or clang), make, python3,
# binutils (nm, objdump) and pkg-config. Exits non-zero on the first
# failure. Takes a few minutes from a fresh clone on 2 cores (README).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="${CARGO_TARGET_DIR:-$root/target}"
started=$SECONDS

step() { printf '\n==> [%3d s] %s\n' "$((SECONDS - started))" "$*"; }
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "scripts/test.sh: '$1' not found: $2" >&2
        exit 1
    fi
}
need cargo "install a Rust toolchain (https://rustup.rs)"
need cc "install a C compiler (apt-get install gcc)"
need c++ "install a C++ compiler (apt-get install g++)"
need make "install make"
need python3 "install python3"
need nm "install binutils"
need objdump "install binutils"
need pkg-config "install pkg-config (apt-get install pkg-config)"

# `loads PROGRAM PATTERN`: whether the program's shared libraries (ldd)
# include PATTERN. (ldd's output is kept first: `grep -q` exiting early
# would make a pipeline fail under pipefail.)
loads() {
    local loaded
    loaded="$(ldd "$1")"
    case "$loaded" in
    *"$2"*) return 0 ;;
    *) return 1 ;;
    esac
}

work="$(mktemp -d "${TMPDIR:-/tmp}/relaxcat-test.XXXXXX")"
unit_pid=
trap '[ -z "$unit_pid" ] || kill "$unit_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# The pinned Python test venv, made (or found in the cache) in the
# background: on a new machine making it is mostly downloading torch, which
# overlaps the Rust build below instead of following it. Its output goes
# to files, and the Python step waits for it. (If this script fails first,
# the venv goes on being made; it is only used once complete.)
scripts/python_env.sh >"$work/python_env.out" 2>"$work/python_env.err" &
venv_pid=$!

# The tests build the release profile with 16 codegen units instead of
# Cargo.toml's one: LLVM's optimisation, nearly all of the build, then runs
# on both cores (one unit: the library alone took 6m10s on a 2-core Zen 3,
# 16: 3m46s). It is the same source at opt-level 3 with the same floating-
# point semantics (Rust never contracts or reassociates), partitioned
# differently for inlining; .ci/run tests the shipped one-unit build too
# (`cargo test --release --lib`, the benchmarks and fuzzing use it). Every
# step below shares this one build: the install, the ctypes client and
# setuptools-rust's cargo call (same target folder, same environment).
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-16}"

# The unit tests in the dev profile, in the background. `cargo test
# --release` would compile the library a second time with the test harness
# in, at codegen-units = 1: six minutes on a 2-core Zen 3, most of the
# test command. Here they compile and run beside the release build. Their
# two long sweeps take fewer samples without optimisation (each says
# which); .ci/run runs them whole with `cargo test --release --lib`.
cargo test --lib >"$work/unit.out" 2>&1 &
unit_pid=$!

step "Rust: tests/all and the doc tests (release), the unit tests (dev, in the background)"
cargo test --release --test all
cargo test --release --doc
# The same compilation as the tests' library (Cargo.toml's `either` line
# keeps it so): this only copies librelaxcat.{so,a} to target/release.
cargo build --release --lib
step "Rust: the unit tests (cargo test --lib)"
if ! wait "$unit_pid"; then
    cat "$work/unit.out" >&2
    echo "scripts/test.sh: the unit tests failed (cargo test --lib)" >&2
    exit 1
fi
grep -E '^test result|running [0-9]+ tests' "$work/unit.out"

step "C: the C tests call every function the header declares"
# Preprocess with the header's guard predefined, so only the tests' own
# code (with their typed macros expanded) is searched.
cc -E -P -DRELAXCAT_H -Iinclude -Itests/c tests/c/test_relaxcat.c >"$work/test.i"
declared="$(grep -oE '^[a-z][a-z_0-9 *]*[ *]relaxcat_[a-z0-9_]+\(' include/relaxcat.h | grep -oE 'relaxcat_[a-z0-9_]+\($' | tr -d '(')"
missing=0
for fn in $declared; do
    if ! grep -qw "$fn" "$work/test.i"; then
        echo "not called by tests/c/test_relaxcat.c: $fn" >&2
        missing=1
    fi
done
[ "$missing" = 0 ]
echo "all $(echo "$declared" | wc -l) functions called"

step "C: tests under AddressSanitizer + UBSan, C++ translation unit, quickstart"
make -s -C tests/c ROOT="$root" BUILD="$work/c" check

# A Debian-style multiarch library folder (lib/x86_64-linux-gnu), where
# find_package and pkg-config users on such systems have it; lib64 where the
# compiler names no multiarch triple.
multiarch="$(cc -print-multiarch 2>/dev/null || true)"
libdir="${multiarch:+lib/$multiarch}"
libdir="${libdir:-lib64}"
step "install into a temporary prefix (--libdir $libdir)"
prefix="$work/prefix"
scripts/install.sh --no-build --libdir "$libdir" "$prefix"
lib="$prefix/$libdir"
soname="$(objdump -p "$lib/librelaxcat.so" | awk '$1 == "SONAME" { print $2 }')"
[ -n "$soname" ] || { echo "the installed librelaxcat.so has no SONAME" >&2; exit 1; }
[ -L "$lib/librelaxcat.so" ] && [ -L "$lib/$soname" ] && [ -f "$(readlink -f "$lib/librelaxcat.so")" ] || {
    echo "expected librelaxcat.so -> $soname -> the library in $lib:" >&2
    ls -l "$lib" >&2
    exit 1
}
RELAXCAT_LIB="$lib/librelaxcat.so" cargo test --release -q --test all symbols:: >/dev/null
echo "SONAME $soname; $(nm -D --defined-only "$lib/librelaxcat.so" | wc -l) exported symbols, all relaxcat_* and declared"

step "consumer 1/3: pkg-config, shared library"
export PKG_CONFIG_PATH="$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors relaxcat
echo "pkg-config relaxcat $(pkg-config --modversion relaxcat): $(pkg-config --cflags --libs relaxcat)"
make -s -C tests/c USE_PKG_CONFIG=1 BUILD="$work/pkg" run test
loads "$work/pkg/quickstart" "$lib/$soname" || {
    echo "the pkg-config quickstart does not load $lib/$soname:" >&2
    ldd "$work/pkg/quickstart" >&2
    exit 1
}

step "consumer 2/3: pkg-config --static"
make -s -C tests/c USE_PKG_CONFIG=1 BUILD="$work/pkg" static
if loads "$work/pkg/quickstart_static" librelaxcat; then
    echo "the static quickstart loads a shared librelaxcat:" >&2
    ldd "$work/pkg/quickstart_static" >&2
    exit 1
fi

step "consumer 3/3: CMake find_package(relaxcat CONFIG REQUIRED)"
if command -v cmake >/dev/null 2>&1; then
    cmake -S tests/install -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
        { cat "$work/cmake.log" >&2; exit 1; }
    cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
    "$work/cmake/quickstart_cmake_shared" >/dev/null
    "$work/cmake/quickstart_cmake_static" >/dev/null
    loads "$work/cmake/quickstart_cmake_shared" "$lib/$soname" ||
        { echo "the CMake quickstart does not load $lib/$soname" >&2; exit 1; }
    if loads "$work/cmake/quickstart_cmake_static" librelaxcat; then
        echo "the CMake static quickstart loads a shared librelaxcat" >&2
        exit 1
    fi
    echo "relaxcat::relaxcat and relaxcat::relaxcat_static built and ran"
elif [ -n "${RELAXCAT_REQUIRE_CMAKE:-}" ]; then
    echo "RELAXCAT_REQUIRE_CMAKE is set and cmake is not installed" >&2
    exit 1
else
    echo "cmake not installed: the CMake consumer is not built here (.ci/run installs cmake and builds it)"
fi

step "Python: the ctypes client"
python3 examples/python/relaxcat_ctypes.py "$target/release/librelaxcat.so"

step "Python: the package into the pinned test venv, then its test suite"
if ! wait "$venv_pid"; then
    cat "$work/python_env.err" >&2
    echo "scripts/test.sh: making the Python test venv failed (scripts/python_env.sh)" >&2
    exit 1
fi
cat "$work/python_env.err" >&2
venv="$(cat "$work/python_env.out")"
# The crate is already built: with the same target folder, setuptools-rust's
# cargo call finds it fresh and only copies the library.
CARGO_TARGET_DIR="$target" "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --no-deps --force-reinstall "$root/python"
rm -rf "$root/python/build" "$root"/python/src/*.egg-info
(cd "$work" && env -u RELAXCAT_LIB "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests")

step "Python: pip install ./python as a user would (new venv, build isolation)"
python3 -m venv "$work/user-venv"
CARGO_TARGET_DIR="$target" "$work/user-venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/python"
rm -rf "$root/python/build" "$root"/python/src/*.egg-info
(cd "$work" && env -u RELAXCAT_LIB "$work/user-venv/bin/python" -c '
import numpy as np, relaxcat
y = relaxcat.rsample(0.5, logits=np.zeros((2, 3)), seed=1)
assert y.shape == (2, 3) and abs(y.sum() - 2) < 1e-12
print("import relaxcat", relaxcat.__version__, "from", relaxcat.__file__)
')

step "sharding: rows computed in separate processes are bit-identical to one call"
python3 scripts/check_sharding.py "$target/release/librelaxcat.so"

step "every test passed ($((SECONDS - started)) s)"
