#!/usr/bin/env bash
# Installs relaxcat's C library into PREFIX:
#   PREFIX/include/relaxcat.h
#   PREFIX/lib/librelaxcat.so, PREFIX/lib/librelaxcat.a
#   PREFIX/lib/pkgconfig/relaxcat.pc
#
# usage: scripts/install.sh [--no-build] PREFIX
#   builds with `cargo build --release` first unless --no-build is given
#   (CARGO_TARGET_DIR is respected). Then, for example:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig cc app.c $(pkg-config --cflags --libs relaxcat)
#
# This is the dependency-free equivalent of `cargo cinstall --prefix PREFIX`
# (cargo-c), which would also work but compiles a large tool first.
set -euo pipefail

build=1
if [ "${1:-}" = "--no-build" ]; then
    build=0
    shift
fi
if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 [--no-build] PREFIX" >&2
    exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

if [ "$build" = 1 ]; then
    (cd "$root" && cargo build --release)
fi
for f in "$target/release/librelaxcat.so" "$target/release/librelaxcat.a" "$root/include/relaxcat.h"; do
    [ -f "$f" ] || { echo "missing $f (run cargo build --release)" >&2; exit 1; }
done

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)"

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/include/relaxcat.h" "$prefix/include/relaxcat.h"
install -m 755 "$target/release/librelaxcat.so" "$prefix/lib/librelaxcat.so"
install -m 644 "$target/release/librelaxcat.a" "$prefix/lib/librelaxcat.a"

# Libs.private: what the Rust standard library needs from the C library
# when linked statically (`cargo rustc -- --print native-static-libs`).
cat > "$prefix/lib/pkgconfig/relaxcat.pc" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: relaxcat
Description: RelaxedOneHotCategorical (Concrete / Gumbel-softmax) sampling and densities, C ABI
Version: $version
Libs: -L\${libdir} -lrelaxcat
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl
Cflags: -I\${includedir}
PC

echo "installed relaxcat $version into $prefix"
