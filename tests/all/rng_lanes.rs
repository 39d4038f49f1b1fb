//! The generator, bit for bit against `rand_xoshiro`.
//!
//! - the eight vector lanes of every backend are the scalar
//!   `Xoshiro256PlusPlus` with the same state;
//! - `lane_seed` is the documented rule (first SplitMix64 output of the
//!   seed, plus `8 block + lane`), and seeding a lane with it through
//!   `seed_from_u64` reproduces the block's uniforms;
//! - the uniform maps (`f32`: one step, high then low 32 bits; `f64`: two
//!   steps) and the element order of stream rows;
//! - uniforms strictly inside (0, 1) and Gumbel noise never infinite.

use crate::common::{Fl, backends, oracle};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use relaxcat::testing::{self, MathFn};
use relaxcat::{Exec, Stream, gumbel_rows};

/// Eight distinct, non-zero states. (An all-zero state is not a valid
/// xoshiro state; `rand_xoshiro::from_seed` would silently replace it with a
/// fixed fallback, so it is not compared here.)
fn states(salt: u64) -> [[u64; 4]; 8] {
    let mut sm = rand_xoshiro::SplitMix64::seed_from_u64(salt);
    core::array::from_fn(|_| core::array::from_fn(|_| sm.next_u64()))
}

fn state_bytes(s: &[u64; 4]) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, w) in s.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    bytes
}

#[test]
fn lanes_match_rand_xoshiro_bit_for_bit() {
    for (backend, _) in backends("lanes_match_rand_xoshiro_bit_for_bit") {
        for salt in [1u64, 2, 0xDEAD_BEEF, u64::MAX] {
            let st = states(salt);
            // One state with extreme words, to exercise carries and rotates.
            let mut st2 = st;
            st2[3] = [u64::MAX, 1, u64::MAX - 1, 0x8000_0000_0000_0000];
            for st in [st, st2] {
                let mut out = vec![[0u64; 8]; 1000];
                testing::rng_lanes(backend, &st, &mut out);
                for (lane, s) in st.iter().enumerate() {
                    let mut reference = Xoshiro256PlusPlus::from_seed(state_bytes(s));
                    for (step, o) in out.iter().enumerate() {
                        let want = reference.next_u64();
                        assert_eq!(
                            o[lane], want,
                            "{backend:?} lane {lane} step {step} (salt {salt})"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn lane_seed_is_the_documented_rule() {
    for seed in [0u64, 1, 42, 0x0123_4567_89AB_CDEF, u64::MAX] {
        for block in [0u64, 1, 7, 1 << 40, u64::MAX / 8, u64::MAX] {
            for lane in 0..8 {
                assert_eq!(
                    testing::lane_seed(seed, block, lane),
                    oracle::lane_seed(seed, block, lane),
                    "seed {seed} block {block} lane {lane}"
                );
            }
        }
    }
    assert_eq!(testing::BLOCK_ELEMENTS, oracle::BLOCK_ELEMENTS);
    for k in [1usize, 2, 7, 15, 16, 17, 33, 1000, 4095, 4096, 4097, 10_000] {
        assert_eq!(
            testing::rows_per_block(k),
            oracle::rows_per_block(k),
            "rows_per_block({k})"
        );
        assert_eq!(
            testing::vectors_per_row(k),
            k.div_ceil(8),
            "vectors_per_row({k})"
        );
    }
}

/// A block's uniforms from `rand_xoshiro` lanes seeded with `lane_seed`.
fn reference_block<T: Fl>(seed: u64, block: u64, n: usize) -> Vec<f64> {
    let mut lanes: Vec<Xoshiro256PlusPlus> = (0..8)
        .map(|l| Xoshiro256PlusPlus::seed_from_u64(testing::lane_seed(seed, block, l)))
        .collect();
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        if T::IS_F64 {
            let a: Vec<u64> = lanes.iter_mut().map(|l| l.next_u64()).collect();
            let b: Vec<u64> = lanes.iter_mut().map(|l| l.next_u64()).collect();
            out.extend(a.iter().map(|&w| oracle::uniform_f64(w)));
            out.extend(b.iter().map(|&w| oracle::uniform_f64(w)));
        } else {
            let w: Vec<u64> = lanes.iter_mut().map(|l| l.next_u64()).collect();
            out.extend(w.iter().map(|&w| oracle::uniform_f32((w >> 32) as u32)));
            out.extend(w.iter().map(|&w| oracle::uniform_f32(w as u32)));
        }
    }
    out.truncate(n);
    out
}

fn block_uniforms_match<T: Fl>() {
    for (backend, _) in backends("block_uniforms_match") {
        for (seed, block) in [
            (0u64, 0u64),
            (42, 0),
            (42, 1),
            (7, 123_456),
            (u64::MAX, u64::MAX / 8),
        ] {
            // 4096 + 5: a whole block's worth plus a partial draw.
            let n = 4101;
            let mut got = vec![T::of(0.0); n];
            testing::block_uniforms::<T>(backend, seed, block, &mut got);
            let want = reference_block::<T>(seed, block, n);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                // The uniforms are exact in T: compare exactly.
                assert_eq!(
                    g.f(),
                    *w,
                    "{} {backend:?} seed {seed} block {block} element {i}",
                    T::TYPE_NAME
                );
                assert!(
                    g.f() > 0.0 && g.f() < 1.0,
                    "uniform {g} not strictly inside (0,1)"
                );
            }
        }
    }
}

#[test]
fn block_uniforms_match_rand_xoshiro_f32() {
    block_uniforms_match::<f32>();
}

#[test]
fn block_uniforms_match_rand_xoshiro_f64() {
    block_uniforms_match::<f64>();
}

/// The oracle's stream-row reproduction agrees with the block layout: the
/// uniforms of consecutive rows of one block are the block's vectors of 8,
/// each row taking whole vectors (unused lanes of a row's last vector are
/// skipped).
#[test]
fn stream_rows_take_whole_vectors_of_the_block() {
    fn check<T: Fl>() {
        let seed = 99;
        for k in [1usize, 7, 8, 9, 16, 17, 24, 33] {
            let rpb = oracle::rows_per_block(k);
            let per_row = k.div_ceil(8) * 8;
            let mut block = vec![T::of(0.0); rpb * per_row];
            testing::block_uniforms::<T>(relaxcat::Backend::Scalar, seed, 3, &mut block);
            let rows = oracle::stream_uniforms(seed, k, 3 * rpb as u64, rpb, T::IS_F64);
            for r in 0..rpb {
                for j in 0..k {
                    assert_eq!(
                        rows[r * k + j],
                        block[r * per_row + j].f(),
                        "{} k {k} row {r} element {j}",
                        T::TYPE_NAME
                    );
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// The extreme uniforms the maps can produce are inside (0,1) in T, their
/// Gumbel transforms are finite, and the crate's transform agrees with the
/// f64 oracle there (f32 within 4 ulp-of-result + 2 eps absolute).
#[test]
fn uniform_extremes_and_gumbel_finite() {
    fn check<T: Fl>() {
        let (lo, hi) = if T::IS_F64 {
            (oracle::uniform_f64(0), oracle::uniform_f64(u64::MAX))
        } else {
            (oracle::uniform_f32(0), oracle::uniform_f32(u32::MAX))
        };
        // The uniforms are exactly representable in T.
        assert_eq!(T::of(lo).f(), lo);
        assert_eq!(T::of(hi).f(), hi);
        assert!(lo > 0.0 && hi < 1.0);
        let input = vec![T::of(lo), T::of(hi), T::of(0.5)];
        for (backend, _) in backends("uniform_extremes_and_gumbel_finite") {
            let mut out = vec![T::of(0.0); 3];
            testing::math(backend, MathFn::Gumbel, &input, &mut out);
            for (u, g) in input.iter().zip(&out) {
                let want = oracle::gumbel(u.f());
                assert!(
                    g.f().is_finite(),
                    "{} {backend:?} gumbel({u}) = {g}",
                    T::TYPE_NAME
                );
                let tol = 4.0 * T::EPS * (1.0 + want.abs());
                assert!(
                    (g.f() - want).abs() <= tol,
                    "{} {backend:?} gumbel({u}) = {g}, want {want}",
                    T::TYPE_NAME
                );
            }
            println!(
                "{} {backend:?}: gumbel range [{}, {}]",
                T::TYPE_NAME,
                out[0],
                out[1]
            );
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Two million Gumbel draws per precision: all finite, and every uniform
/// strictly inside (0,1) (checked through the oracle's inverse map: the
/// noise equals the transform of an in-range uniform, see oracle_kernels).
#[test]
fn gumbel_rows_never_infinite() {
    fn check<T: Fl>() {
        let k = 1000;
        let mut out = vec![T::of(0.0); 2_000_000];
        gumbel_rows(&Exec::new(), Stream::new(2024, 17), k, &mut out).unwrap();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for g in &out {
            let g = g.f();
            assert!(
                g.is_finite(),
                "{}: non-finite Gumbel noise {g}",
                T::TYPE_NAME
            );
            lo = lo.min(g);
            hi = hi.max(g);
        }
        println!("{}: 2e6 Gumbel draws in [{lo}, {hi}]", T::TYPE_NAME);
    }
    check::<f32>();
    check::<f64>();
}
