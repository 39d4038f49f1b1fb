//! The committed C header is exactly what the pinned cbindgen generates
//! from the source, and it compiles cleanly as C99 and C++; the `f64` C
//! functions are exactly the twins generated from their `f32` sources.
//!
//! ```text
//! src/ffi/<module>/exports_f32.rs -> twin (f32 -> f64, floats -> doubles)
//!   twin == src/ffi/<module>/exports_f64.rs  (RELAXCAT_BLESS=1 rewrites it)
//! cbindgen (=version in Cargo.toml) + cbindgen.toml + src/ffi/ -> header
//! header == include/relaxcat.h  (RELAXCAT_BLESS=1 rewrites it instead)
//! cc -std=c99 / c++ -std=c++11 -Wall -Wextra -Werror -pedantic on a TU
//!   that includes it (a missing compiler fails: the tests need cc and c++)
//! ```

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> String {
    let root = root();
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_src(root.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut bytes = Vec::new();
    bindings.write(&mut bytes);
    String::from_utf8(bytes).expect("the header is UTF-8")
}

/// The modules of src/ffi whose C functions come in `f32` / `f64` pairs.
const TWINNED: [&str; 5] = ["categorical", "dist", "grad", "oneshot", "rows"];

/// The `f64` file generated from an `f32` one: its `//!` opening replaced by
/// the banner, then every `f32` made `f64` and "floats" made "doubles" (the
/// docs count elements in the C type's name).
fn f64_twin(f32_source: &str) -> String {
    let body: String = f32_source
        .lines()
        .skip_while(|line| line.starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect();
    let banner = "//! GENERATED from exports_f32.rs by tests/all/header.rs: every `f32` made\n\
                  //! `f64` and \"floats\" made \"doubles\". Do not edit; edit exports_f32.rs and\n\
                  //! run `RELAXCAT_BLESS=1 cargo test --release --test all header::`.\n";
    format!(
        "{banner}{}",
        body.replace("f32", "f64").replace("floats", "doubles")
    )
}

#[test]
fn f64_functions_are_the_twins_of_the_f32_ones() {
    let bless = std::env::var_os("RELAXCAT_BLESS").is_some();
    for module in TWINNED {
        let dir = root().join("src/ffi").join(module);
        let source =
            std::fs::read_to_string(dir.join("exports_f32.rs")).expect("read exports_f32.rs");
        let twin = f64_twin(&source);
        let path = dir.join("exports_f64.rs");
        if bless {
            std::fs::write(&path, &twin).expect("write exports_f64.rs");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == twin,
            "src/ffi/{module}/exports_f64.rs is not the twin of exports_f32.rs; regenerate with: \
             RELAXCAT_BLESS=1 cargo test --release --test all header::"
        );
    }
}

#[test]
fn committed_header_matches_cbindgen() {
    let generated = generate();
    let path = root().join("include/relaxcat.h");
    if std::env::var_os("RELAXCAT_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/relaxcat.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/relaxcat.h differs from what cbindgen generates (first difference at line {}):\n  \
             committed: {:?}\n  generated: {:?}\nregenerate with: RELAXCAT_BLESS=1 cargo test --release --test header",
            first + 1,
            committed.lines().nth(first),
            generated.lines().nth(first)
        );
    }
}

#[test]
fn header_declares_every_function_once() {
    let header = std::fs::read_to_string(root().join("include/relaxcat.h")).expect("read header");
    for needle in [
        "#ifdef __cplusplus",
        "extern \"C\" {",
        "RELAXCAT_VERSION_MAJOR",
        "RELAXCAT_ABI_VERSION",
    ] {
        assert!(header.contains(needle), "header lacks {needle:?}");
    }
}

/// Compiles `source` with `compiler` and `flags`; `None` if the compiler
/// is missing.
fn compile(
    compiler: &str,
    flags: &[&str],
    source: &str,
    suffix: &str,
) -> Option<std::process::Output> {
    let dir = std::env::temp_dir().join(format!("relaxcat-header-{}-{suffix}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("tu.{suffix}"));
    std::fs::write(&file, source).unwrap();
    let include = root().join("include");
    let output = Command::new(compiler)
        .args(flags)
        .arg("-I")
        .arg(&include)
        .arg("-fsyntax-only")
        .arg(&file)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    output.ok()
}

fn check_compiles(compiler: &str, flags: &[&str], suffix: &str) {
    let source = "#include \"relaxcat.h\"\n#include \"relaxcat.h\"\n\
        int relaxcat_header_probe(void);\n\
        int relaxcat_header_probe(void) { return RELAXCAT_ABI_VERSION == 0 ? 1 : (int)RELAXCAT_OK; }\n";
    match compile(compiler, flags, source, suffix) {
        None => panic!("cannot run {compiler}: the tests need a C and a C++ compiler (CC, CXX)"),
        Some(out) => assert!(
            out.status.success() && out.stderr.is_empty(),
            "{compiler} {flags:?} rejects include/relaxcat.h:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn header_compiles_as_c99() {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    check_compiles(
        &cc,
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "c",
    );
}

#[test]
fn header_compiles_as_cxx() {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    check_compiles(
        &cxx,
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "cpp",
    );
}
