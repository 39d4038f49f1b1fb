//! The shared library exports exactly the functions the header declares:
//! no `relaxcat_*` function missing, no stray symbol (Rust internals,
//! allocator shims) leaking into the dynamic symbol table.
//!
//! ```text
//! nm -D --defined-only target/<profile>/librelaxcat.so  -> exported names
//! include/relaxcat.h: "name(" after a return type, outside comments
//! exported == declared, or the test lists both differences
//! ```
//!
//! The library is the newer of `target/<profile>/librelaxcat.so` (from
//! `cargo build`) and `target/<profile>/deps/librelaxcat.so` (what `cargo
//! test` itself builds); `RELAXCAT_LIB` overrides the path.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn library() -> PathBuf {
    if let Some(path) = std::env::var_os("RELAXCAT_LIB") {
        return PathBuf::from(path);
    }
    // The test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps dir").to_path_buf();
    let profile = deps.parent().expect("profile dir").to_path_buf();
    let candidates = [profile.join("librelaxcat.so"), deps.join("librelaxcat.so")];
    candidates
        .into_iter()
        .filter_map(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((modified, p))
        })
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| {
            panic!(
                "no librelaxcat.so under {}; run cargo build first",
                profile.display()
            )
        })
}

/// Function names declared in the header: identifiers followed by `(` on
/// declaration lines (outside comments and preprocessor lines).
fn declared() -> BTreeSet<String> {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/relaxcat.h"))
            .expect("read include/relaxcat.h");
    let mut names = BTreeSet::new();
    let mut in_comment = false;
    for line in header.lines() {
        let line = line.trim();
        if in_comment {
            in_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with('#') || line.starts_with("//") || line.starts_with('*') {
            continue;
        }
        if let Some(open) = line.find('(') {
            let head = &line[..open];
            let name: String = head
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // A declaration has a return type before the name.
            if !name.is_empty() && head.trim_end().len() > name.len() {
                names.insert(name);
            }
        }
    }
    names
}

/// Runs a binutils tool; its absence fails the test (the README lists
/// binutils among what the tests need).
fn binutils(tool: &str, args: &[&str], lib: &PathBuf) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .arg(lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}); install binutils"))
}

fn exported(lib: &PathBuf) -> BTreeSet<String> {
    let output = binutils("nm", &["-D", "--defined-only"], lib);
    assert!(
        output.status.success(),
        "nm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("nm output is UTF-8");
    text.lines()
        // "ADDRESS TYPE NAME[@VERSION]": keep the name without version.
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .collect()
}

#[test]
fn exported_symbols_are_exactly_the_header_functions() {
    let declared = declared();
    assert!(
        declared.len() > 50,
        "parsed only {} declarations from the header",
        declared.len()
    );
    assert!(
        declared.iter().all(|n| n.starts_with("relaxcat_")),
        "{declared:?}"
    );
    let lib = library();
    let exported = exported(&lib);
    let missing: Vec<_> = declared.difference(&exported).collect();
    let extra: Vec<_> = exported.difference(&declared).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: declared but not exported: {missing:?}; exported but not declared: {extra:?}",
        lib.display()
    );
    eprintln!(
        "{}: {} functions, as declared",
        lib.display(),
        exported.len()
    );
}

/// Every SIMD intrinsic is inlined into the kernels. An intrinsic left out
/// of line is compiled without the AVX2 target features of the kernel that
/// calls it, and every vector operation becomes a function call (10-20x
/// slower); it happens when a closure full of intrinsics is passed to a
/// generic std function such as `<[T; N]>::map` that the compiler does not
/// inline (see `simd::map8`). The library's own symbol table (release
/// builds keep it) must therefore name no `core::core_arch` function but
/// the CPU-feature probe `_xgetbv` of std's `is_x86_feature_detected!`.
#[test]
fn no_simd_intrinsic_is_left_out_of_line() {
    let lib = library();
    let output = binutils("nm", &["-C", "--defined-only"], &lib);
    assert!(output.status.success(), "nm failed on {}", lib.display());
    let text = String::from_utf8_lossy(&output.stdout);
    let own = text.lines().filter(|l| l.contains("relaxcat::")).count();
    assert!(
        own > 100,
        "{} has only {own} relaxcat:: symbols: stripped? this test needs the symbol table",
        lib.display()
    );
    let out_of_line: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("core::core_arch::") && !l.contains("_xgetbv"))
        .collect();
    assert!(
        out_of_line.is_empty(),
        "intrinsics compiled out of line in {}:\n{}",
        lib.display(),
        out_of_line.join("\n")
    );
}

/// The shared library carries the SONAME of its ABI line (build.rs):
/// `librelaxcat.so.0.<minor>` while the version is 0.x, as cargo-c names it.
#[test]
fn shared_library_has_the_versioned_soname() {
    let lib = library();
    let output = binutils("objdump", &["-p"], &lib);
    assert!(
        output.status.success(),
        "objdump -p failed on {}",
        lib.display()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let soname = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("SONAME"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{} has no SONAME", lib.display()));
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let expected = if major == "0" {
        format!("librelaxcat.so.0.{}", env!("CARGO_PKG_VERSION_MINOR"))
    } else {
        format!("librelaxcat.so.{major}")
    };
    assert_eq!(soname, expected, "SONAME of {}", lib.display());
}
