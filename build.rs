//! Link settings of the C library (`cdylib`); the `rlib` is untouched.
//!
//! On ELF targets the shared library gets the SONAME cargo-c would give it,
//! `librelaxcat.so.<major>.<minor>` for 0.x versions (a 0.x minor release
//! may break the ABI) and `librelaxcat.so.<major>` from 1.0 on, so that a
//! program linked today keeps loading a compatible library after an
//! upgrade (scripts/install.sh lays out the matching symlinks).
//!
//! `--exclude-libs,ALL` keeps every symbol of the linked Rust libraries
//! (std and the dependencies, which reach the linker as archives) out of
//! the dynamic symbol table, even a `#[no_mangle]` one that rustc's own
//! version script would export. What is left is this crate's
//! `#[no_mangle]` functions: the `relaxcat_*` functions of the header
//! (tests/all/symbols.rs checks the two sets are equal).
//!
//! At `opt-level = 0` (a debug build, relaxcat's own or a downstream
//! crate's) the script sets `cfg(relaxcat_unoptimized)`, under which the
//! kernels and `exp`/`ln` are no longer `#[inline(always)]`. Forced
//! inlining is what lets an optimised kernel inherit the AVX2 target
//! features of its entry, but an unoptimised build gives every inlined
//! call its own stack slots: one kernel's variants inlined into one frame
//! took up to 3 MB, and the first call overflowed a 2 MiB thread (every
//! test thread, and rayon's workers). Without forced inlining each
//! function keeps a frame of its own, as ordinary unoptimised code does;
//! the results are the same bits, and the speed of an unoptimised build
//! is not a goal.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(relaxcat_unoptimized)");
    if env::var("OPT_LEVEL").as_deref() == Ok("0") {
        println!("cargo:rustc-cfg=relaxcat_unoptimized");
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux"
            | "android"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "dragonfly"
            | "illumos"
            | "solaris"
    );
    if !elf {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("cargo sets CARGO_PKG_VERSION_MINOR");
    let soname = if major == "0" {
        format!("librelaxcat.so.0.{minor}")
    } else {
        format!("librelaxcat.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
}
