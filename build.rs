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

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
