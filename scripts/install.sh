#!/usr/bin/env bash
# Installs relaxcat's C library into PREFIX, in the layout `cargo cinstall`
# (cargo-c) gives it with this crate's [package.metadata.capi]:
#
#   PREFIX/include/relaxcat.h
#   PREFIX/LIBDIR/librelaxcat.so.0.1.0        the library, SONAME librelaxcat.so.0.1
#   PREFIX/LIBDIR/librelaxcat.so.0.1 -> librelaxcat.so.0.1.0
#   PREFIX/LIBDIR/librelaxcat.so     -> librelaxcat.so.0.1   (for -lrelaxcat)
#   PREFIX/LIBDIR/librelaxcat.a
#   PREFIX/LIBDIR/pkgconfig/relaxcat.pc
#   PREFIX/LIBDIR/cmake/relaxcat/relaxcatConfig.cmake        (find_package)
#   PREFIX/LIBDIR/cmake/relaxcat/relaxcatConfigVersion.cmake
#
# usage: scripts/install.sh [--no-build] [--libdir DIR] PREFIX
#   --no-build   use target/release as it is (CARGO_TARGET_DIR is respected)
#                instead of running `cargo build --release` first
#   --libdir DIR the library folder, relative to PREFIX (default lib; e.g.
#                lib/x86_64-linux-gnu for a Debian multiarch layout)
#
# Then, for example:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig cc app.c $(pkg-config --cflags --libs relaxcat)
#   cmake -DCMAKE_PREFIX_PATH=PREFIX ...   with find_package(relaxcat CONFIG REQUIRED)
# docs/C_ABI.md shows the shared, static and CMake builds.
#
# The installed files name no absolute path but in relaxcat.pc's prefix
# line: the CMake package finds PREFIX relative to its own location.
set -euo pipefail

usage() {
    echo "usage: $0 [--no-build] [--libdir DIR] PREFIX" >&2
    exit 2
}
build=1
libdir=lib
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) build=0; shift ;;
    --libdir)
        [ $# -ge 2 ] || usage
        libdir="$2"; shift 2 ;;
    --libdir=*) libdir="${1#--libdir=}"; shift ;;
    -*) usage ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] && [ -n "$1" ] || usage
case "$libdir" in
/* | *..* | "") echo "--libdir must be a relative path inside PREFIX: $libdir" >&2; exit 2 ;;
esac
libdir="${libdir%/}"

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
IFS=. read -r major minor patch <<<"$version"
patch="${patch%%[-+]*}"
# The ABI line, as build.rs names the SONAME: 0.m for 0.x, else the major.
if [ "$major" = 0 ]; then abi="0.$minor"; else abi="$major"; fi
soname="librelaxcat.so.$abi"
real="librelaxcat.so.$major.$minor.$patch"

lib="$prefix/$libdir"
install -d "$prefix/include" "$lib/pkgconfig" "$lib/cmake/relaxcat"
install -m 644 "$root/include/relaxcat.h" "$prefix/include/relaxcat.h"
rm -f "$lib/librelaxcat.so" "$lib/$soname" "$lib/$real"
install -m 755 "$target/release/librelaxcat.so" "$lib/$real"
ln -s "$real" "$lib/$soname"
ln -s "$soname" "$lib/librelaxcat.so"
install -m 644 "$target/release/librelaxcat.a" "$lib/librelaxcat.a"

# Libs.private: what the Rust standard library needs from the C library
# when linked statically (`cargo rustc -- --print native-static-libs`).
native_static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl"

cat > "$lib/pkgconfig/relaxcat.pc" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/$libdir
includedir=\${prefix}/include

Name: relaxcat
Description: RelaxedOneHotCategorical (Concrete / Gumbel-softmax) sampling and densities, C ABI
Version: $version
Libs: -L\${libdir} -lrelaxcat
Libs.private: $native_static_libs
Cflags: -I\${includedir}
PC

# From PREFIX/LIBDIR/cmake/relaxcat back up to PREFIX: one "/.." per
# component of LIBDIR, plus two for cmake/relaxcat.
up="../.."
rest="$libdir"
while [ -n "$rest" ]; do
    up="$up/.."
    case "$rest" in */*) rest="${rest#*/}" ;; *) rest="" ;; esac
done

cat > "$lib/cmake/relaxcat/relaxcatConfig.cmake" <<CMAKE
# relaxcat $version: the C library of relaxcat, for find_package(relaxcat CONFIG).
# Written by scripts/install.sh. Imported targets:
#   relaxcat::relaxcat         the shared library ($soname)
#   relaxcat::relaxcat_static  the static library (librelaxcat.a) and what
#                              the Rust standard library needs from libc
get_filename_component(_relaxcat_prefix "\${CMAKE_CURRENT_LIST_DIR}/$up" ABSOLUTE)
set(relaxcat_INCLUDE_DIRS "\${_relaxcat_prefix}/include")
set(relaxcat_LIBRARY_DIR "\${_relaxcat_prefix}/$libdir")

include(CMakeFindDependencyMacro)
find_dependency(Threads)

if(NOT TARGET relaxcat::relaxcat)
  add_library(relaxcat::relaxcat SHARED IMPORTED)
  set_target_properties(relaxcat::relaxcat PROPERTIES
    IMPORTED_LOCATION "\${relaxcat_LIBRARY_DIR}/$real"
    IMPORTED_SONAME "$soname"
    INTERFACE_INCLUDE_DIRECTORIES "\${relaxcat_INCLUDE_DIRS}")
endif()

if(NOT TARGET relaxcat::relaxcat_static)
  add_library(relaxcat::relaxcat_static STATIC IMPORTED)
  set_target_properties(relaxcat::relaxcat_static PROPERTIES
    IMPORTED_LOCATION "\${relaxcat_LIBRARY_DIR}/librelaxcat.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "\${relaxcat_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;\${CMAKE_DL_LIBS};m;rt;util;gcc_s")
endif()

set(relaxcat_LIBRARIES relaxcat::relaxcat)
set(relaxcat_FOUND TRUE)
unset(_relaxcat_prefix)
CMAKE

# Compatibility as the SONAME states it: the same 0.m line for 0.x
# versions, the same major version from 1.0 on; never an older version.
cat > "$lib/cmake/relaxcat/relaxcatConfigVersion.cmake" <<CMAKE
# relaxcat $version. Written by scripts/install.sh.
set(PACKAGE_VERSION "$version")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
if(PACKAGE_FIND_VERSION VERSION_LESS_EQUAL PACKAGE_VERSION)
  if("$major" STREQUAL "0")
    if(PACKAGE_FIND_VERSION_MAJOR EQUAL 0 AND PACKAGE_FIND_VERSION_MINOR EQUAL $minor)
      set(PACKAGE_VERSION_COMPATIBLE TRUE)
    endif()
  elseif(PACKAGE_FIND_VERSION_MAJOR EQUAL $major)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
endif()
if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
  set(PACKAGE_VERSION_EXACT TRUE)
endif()
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "" AND NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
CMAKE

echo "installed relaxcat $version into $prefix ($libdir/$real, SONAME $soname)"
