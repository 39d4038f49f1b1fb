//! exp and ln against f64 references, in ulps, over every backend.
use relaxcat::Backend;
use relaxcat::testing::{MathFn, math};

fn ulp_f32(got: f32, want: f64) -> f64 {
    if got as f64 == want {
        return 0.0;
    }
    let w = want as f32;
    let ulp = if w == 0.0 { f32::from_bits(1) as f64 } else { ((w.abs().next_up() as f64) - (w.abs() as f64)).abs() };
    ((got as f64) - want).abs() / ulp
}

#[test]
fn quick_f32() {
    for b in Backend::available() {
        let xs: Vec<f32> = (0..2_000_000u32).map(|i| f32::from_bits(0x3000_0000u32.wrapping_add(i * 397))).collect();
        let mut out = vec![0.0f32; xs.len()];
        math(b, MathFn::Ln, &xs, &mut out);
        let mut worst = 0.0f64;
        for (x, y) in xs.iter().zip(&out) {
            worst = worst.max(ulp_f32(*y, (*x as f64).ln()));
        }
        println!("{b:?} ln max ulp {worst}");
        let xs: Vec<f32> = (0..2_000_000u32).map(|i| -104.0 + (i as f32) * (193.0 / 2_000_000.0)).collect();
        math(b, MathFn::Exp, &xs, &mut out);
        let mut worst = 0.0f64;
        for (x, y) in xs.iter().zip(&out) {
            worst = worst.max(ulp_f32(*y, (*x as f64).exp()));
        }
        println!("{b:?} exp max ulp {worst}");
    }
}
