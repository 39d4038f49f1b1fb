//! Samples and log-probabilities for a small batch, printed readably.
//!
//! cargo run -p quickstart   (from the repository root)
//!
//! A dev (unoptimised) build: for a batch this small, compiling relaxcat
//! with optimisations would take minutes (6 on a 2-core Zen 3) for no
//! visible gain, against 25 s. Its output is the release build's, digit
//! for digit: the kernels do the same floating-point operations in the
//! same order at every opt-level. Add `--release` to time anything.
//!
//! A package of its own in the workspace, so that it builds only relaxcat
//! and its three dependencies, not the test suite's dev-dependencies.

use relaxcat::{Generator, RelaxedOneHotCategorical};

fn print_rows(title: &str, values: &[f32], k: usize) {
    println!("{title}");
    for (i, row) in values.chunks(k).enumerate() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:>8.4}")).collect();
        println!("  row {i}: [{}]", cells.join(" "));
    }
}

fn main() -> Result<(), relaxcat::Error> {
    // Two batch rows of K = 4 categories; the second masks category 3.
    let k = 4;
    let logits = [0.5f32, 1.5, -0.3, 0.0, 2.0, 0.1, 0.1, f32::NEG_INFINITY];
    let dist = RelaxedOneHotCategorical::from_logits(&[0.5], &logits, k)?;
    print_rows("probs (normalised):", &dist.probs()?, k);

    // Three samples per batch row: 3 x 2 rows, row i from parameter row i % 2.
    let mut rng = Generator::new(42);
    let y = dist.rsample(&mut rng, 3)?;
    print_rows("\nrsample (temperature 0.5), 3 x 2 rows:", &y, k);

    let log_p = dist.log_prob(&y)?;
    println!("\nlog_prob of those samples:");
    for (i, lp) in log_p.iter().enumerate() {
        println!("  row {i}: {lp:>10.4}");
    }

    let (hard, _soft) = dist.rsample_hard(&mut rng, 1)?;
    print_rows("\nstraight-through one-hot sample, 1 x 2 rows:", &hard, k);

    let x = dist.rsample_log(&mut rng, 1)?;
    print_rows("\nlog-space sample x = ln y, 1 x 2 rows:", &x, k);
    let log_px = dist.log_prob_x(&x)?;
    println!("\nlog_prob_x of those: {log_px:?}");

    match dist.log_prob(&[0.5, 0.5, 0.0, 0.1, 0.3, 0.3, 0.4, 0.0]) {
        Ok(v) => println!("\nunexpected: {v:?}"),
        Err(e) => println!("\nan invalid value is refused: {e}"),
    }
    Ok(())
}
