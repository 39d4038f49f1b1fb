//! The scalar backend: eight lanes as a plain array, one IEEE operation per
//! lane. It is the definition the vector backends must match bit for bit,
//! and the fallback on any target.

use super::{
    LANES, RngLanes, Vector, uniform_f32_from_bits, uniform_f64_from_bits,
    uniform_floor_f32_from_bits, xoshiro_step,
};

/// Eight xoshiro256++ states, one per lane, and the low halves of the
/// last step while the `f32` stream has not used them.
#[derive(Clone, Copy, Debug)]
pub struct ScalarLanes {
    states: [[u64; 4]; LANES],
    pending: Option<[u32; LANES]>,
}

impl ScalarLanes {
    /// The next eight 32-bit words of the `f32` stream: the high halves of
    /// a fresh step, or the pending low halves of the last one.
    #[inline(always)]
    pub fn next_half(&mut self) -> [u32; LANES] {
        match self.pending.take() {
            Some(low) => low,
            None => {
                let w = self.next_u64s();
                self.pending = Some(w.map(
                    #[inline(always)]
                    |x| x as u32,
                ));
                w.map(
                    #[inline(always)]
                    |x| (x >> 32) as u32,
                )
            }
        }
    }
}

impl RngLanes for ScalarLanes {
    #[inline(always)]
    fn from_states(states: &[[u64; 4]; LANES]) -> Self {
        ScalarLanes {
            states: *states,
            pending: None,
        }
    }

    #[inline(always)]
    fn next_u64s(&mut self) -> [u64; LANES] {
        let mut out = [0u64; LANES];
        for (o, s) in out.iter_mut().zip(self.states.iter_mut()) {
            *o = xoshiro_step(s);
        }
        out
    }

    fn skip(&mut self, steps: u64) {
        self.pending = None;
        for _ in 0..steps {
            self.next_u64s();
        }
    }

    fn skip_half(&mut self) {
        self.pending = None;
        self.next_half();
    }
}

/// Eight `f32` lanes.
#[derive(Clone, Copy, Debug)]
pub struct ScalarF32(pub [f32; LANES]);

/// Eight `f64` lanes.
#[derive(Clone, Copy, Debug)]
pub struct ScalarF64(pub [f64; LANES]);

macro_rules! scalar_uniform_floor_impl {
    (f32, $rng:ident, $name:ident) => {{ $name($rng.next_half().map(uniform_floor_f32_from_bits)) }};
    (f64, $rng:ident, $name:ident) => {{ $name($rng.next_u64s().map(uniform_f64_from_bits)) }};
}

macro_rules! scalar_uniform_impl {
    (f32, $rng:ident, $name:ident) => {{ $name($rng.next_half().map(uniform_f32_from_bits)) }};
    (f64, $rng:ident, $name:ident) => {{ $name($rng.next_u64s().map(uniform_f64_from_bits)) }};
}

macro_rules! scalar_vector {
    ($name:ident, $t:ident, $bits:ty, $mant:expr, $bias:expr, $magic:expr) => {
        impl $name {
            #[inline(always)]
            fn map(self, f: impl Fn($t) -> $t) -> Self {
                $name(self.0.map(f))
            }
            #[inline(always)]
            fn zip(self, b: Self, f: impl Fn($t, $t) -> $t) -> Self {
                let mut out = self.0;
                for i in 0..LANES {
                    out[i] = f(self.0[i], b.0[i]);
                }
                $name(out)
            }
            #[inline(always)]
            fn test(self, b: Self, f: impl Fn($t, $t) -> bool) -> [bool; LANES] {
                let mut out = [false; LANES];
                for i in 0..LANES {
                    out[i] = f(self.0[i], b.0[i]);
                }
                out
            }
        }

        impl Vector for $name {
            type Elem = $t;
            type Mask = [bool; LANES];
            type Rng = ScalarLanes;

            #[inline(always)]
            fn splat(x: $t) -> Self {
                $name([x; LANES])
            }
            #[inline(always)]
            fn load(src: &[$t]) -> Self {
                let mut out = [0.0; LANES];
                out.copy_from_slice(&src[..LANES]);
                $name(out)
            }
            #[inline(always)]
            fn load_partial(src: &[$t], fill: $t) -> Self {
                let mut out = [fill; LANES];
                out[..src.len()].copy_from_slice(src);
                $name(out)
            }
            #[inline(always)]
            fn store(self, dst: &mut [$t]) {
                dst[..LANES].copy_from_slice(&self.0);
            }
            #[inline(always)]
            fn store_partial(self, dst: &mut [$t]) {
                let n = dst.len();
                dst.copy_from_slice(&self.0[..n]);
            }
            #[inline(always)]
            fn to_array(self) -> [$t; LANES] {
                self.0
            }
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| x + y,
                )
            }
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| x - y,
                )
            }
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| x * y,
                )
            }
            #[inline(always)]
            fn div(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| x / y,
                )
            }
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                let mut out = self.0;
                for i in 0..LANES {
                    out[i] = self.0[i].mul_add(b.0[i], c.0[i]);
                }
                $name(out)
            }
            #[inline(always)]
            fn neg(self) -> Self {
                self.map(
                    #[inline(always)]
                    |x| -x,
                )
            }
            #[inline(always)]
            fn max(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| if x > y { x } else { y },
                )
            }
            #[inline(always)]
            fn min(self, b: Self) -> Self {
                self.zip(
                    b,
                    #[inline(always)]
                    |x, y| if x < y { x } else { y },
                )
            }
            #[inline(always)]
            fn lt(self, b: Self) -> [bool; LANES] {
                self.test(
                    b,
                    #[inline(always)]
                    |x, y| x < y,
                )
            }
            #[inline(always)]
            fn le(self, b: Self) -> [bool; LANES] {
                self.test(
                    b,
                    #[inline(always)]
                    |x, y| x <= y,
                )
            }
            #[inline(always)]
            fn eq(self, b: Self) -> [bool; LANES] {
                self.test(
                    b,
                    #[inline(always)]
                    |x, y| x == y,
                )
            }
            #[inline(always)]
            fn select(m: [bool; LANES], a: Self, b: Self) -> Self {
                let mut out = b.0;
                for i in 0..LANES {
                    if m[i] {
                        out[i] = a.0[i];
                    }
                }
                $name(out)
            }
            #[inline(always)]
            fn mask_and(a: [bool; LANES], b: [bool; LANES]) -> [bool; LANES] {
                let mut out = a;
                for i in 0..LANES {
                    out[i] = a[i] & b[i];
                }
                out
            }
            #[inline(always)]
            fn mask_or(a: [bool; LANES], b: [bool; LANES]) -> [bool; LANES] {
                let mut out = a;
                for i in 0..LANES {
                    out[i] = a[i] | b[i];
                }
                out
            }
            #[inline(always)]
            fn mask_any(m: [bool; LANES]) -> bool {
                m.iter().any(
                    #[inline(always)]
                    |&b| b,
                )
            }
            #[inline(always)]
            fn mask_all(m: [bool; LANES]) -> bool {
                m.iter().all(
                    #[inline(always)]
                    |&b| b,
                )
            }
            #[inline(always)]
            fn pow2i(n: Self) -> Self {
                // n + magic puts n, as a two's-complement integer, in the low
                // mantissa bits; no float-to-int conversion is needed.
                n.map(
                    #[inline(always)]
                    |x| {
                        let magic: $t = $magic;
                        let int = (x + magic).to_bits().wrapping_sub(magic.to_bits());
                        <$t>::from_bits(int.wrapping_add($bias) << $mant)
                    },
                )
            }
            #[inline(always)]
            fn split_exponent(x: Self) -> (Self, Self) {
                let one: $t = 1.0;
                let mant_mask: $bits = (1 << $mant) - 1;
                let two_mant: $t = (1u64 << $mant) as $t;
                let e = x.map(
                    #[inline(always)]
                    |v| {
                        let biased = v.to_bits() >> $mant;
                        <$t>::from_bits(biased | two_mant.to_bits()) - (two_mant + $bias as $t)
                    },
                );
                let m = x.map(
                    #[inline(always)]
                    |v| <$t>::from_bits((v.to_bits() & mant_mask) | one.to_bits()),
                );
                (e, m)
            }
            #[inline(always)]
            fn uniform(rng: &mut ScalarLanes) -> Self {
                scalar_uniform_impl!($t, rng, $name)
            }
            #[inline(always)]
            fn uniform_floor(rng: &mut ScalarLanes) -> Self {
                scalar_uniform_floor_impl!($t, rng, $name)
            }
        }
    };
}

scalar_vector!(ScalarF32, f32, u32, 23, 127, 12_582_912.0);
scalar_vector!(ScalarF64, f64, u64, 52, 1023, 6_755_399_441_055_744.0);
