//! The layering that `src/lib.rs` describes, kept true: the API layer
//! (the distribution, the stateless row functions, the one-shot calls,
//! categorical sampling and the C ABI) reaches the kernels only through
//! `par` and the compiled kernel entries (`kernels::compiled`, reached as
//! methods of the element type), never the SIMD layer, a backend's vector
//! types or `dispatch` itself.
//!
//! ```text
//! dist, draw, grad, hard_index, ops, oneshot, categorical, ffi/**
//!     -> par (rows split into tasks) -> kernels (over Vector) -> simd
//! ```

use std::path::{Path, PathBuf};

/// The API layer's source files.
fn api_layer() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<PathBuf> = [
        "dist.rs",
        "draw.rs",
        "grad.rs",
        "hard_index.rs",
        "ops.rs",
        "oneshot.rs",
        "categorical.rs",
    ]
    .iter()
    .map(|f| src.join(f))
    .collect();
    let mut dirs = vec![src.join("ffi")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/ffi") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn nothing_above_par_reaches_into_simd() {
    // `crate::Backend` (the public re-export) is how the API layer names a
    // backend; the paths below are the SIMD layer itself.
    let forbidden = ["crate::simd", "simd::", "dispatch(", "Vector", "Kernel<"];
    let mut found = Vec::new();
    for path in api_layer() {
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in forbidden {
                if code.contains(needle) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    break;
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the API layer reaches into the SIMD layer (go through par and kernels::compiled):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_layer_list_covers_the_files_it_names() {
    let files = api_layer();
    assert!(
        files.len() >= 7 + 10,
        "expected the API files and src/ffi/**: {files:?}"
    );
    for f in &files {
        assert!(
            f.exists(),
            "{} is gone: update tests/all/layers.rs",
            f.display()
        );
    }
}
