//! The vector layer: one small trait, [`Vector`], and its backends.
//!
//! Every kernel of the crate is written once, generic over [`Vector`]; a
//! backend is a type that implements it for `f32` or `f64`:
//!
//! ```text
//! scalar    [T; 8] arrays, plain Rust            (reference, any target)
//! portable  `wide` vectors                        (NEON, SSE2, other targets)
//! avx2      core::arch AVX2 + FMA intrinsics      (x86_64, chosen at run time)
//! ```
//!
//! Bit-identical results across backends follow from three rules that every
//! backend obeys:
//!
//! 1. The logical width is always [`LANES`] = 8, for `f32` and `f64` alike
//!    (the AVX2 `f64` vector is a pair of `__m256d`).
//! 2. Every arithmetic method is one correctly rounded IEEE operation;
//!    `mul_add` is always fused (`f32::mul_add` in the scalar backend).
//! 3. Horizontal reductions use one fixed tree (see [`Vector::reduce_add`]).
//!
//! `min`/`max` follow the x86 rule `max(a, b) = if a > b { a } else { b }`, so
//! a NaN in `b` propagates and a NaN in `a` does not; the math functions rely
//! on it to carry NaN through their clamps.

pub mod dispatch;
pub mod math;
pub mod portable;
mod real;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub mod avx2;

pub use dispatch::{Backend, Kernel};

use core::fmt::{Debug, Display};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// The logical vector width of every backend, for `f32` and `f64`.
pub const LANES: usize = 8;

/// Eight independent xoshiro256++ generators, held in a backend's registers.
///
/// Lane `i` is bit-for-bit the scalar generator
/// `rand_xoshiro::Xoshiro256PlusPlus` with state `states[i]`.
pub trait RngLanes: Copy + Send {
    /// Builds the lanes from their 4-word states.
    fn from_states(states: &[[u64; 4]; LANES]) -> Self;
    /// Advances every lane one step and returns the eight outputs.
    fn next_u64s(&mut self) -> [u64; LANES];
    /// Advances every lane `steps` steps, discarding the outputs (and any
    /// pending half, see [`RngLanes::skip_half`]).
    fn skip(&mut self, steps: u64);
    /// Takes one step and keeps only its low halves pending: the `f32`
    /// stream then continues with them. Skips half a step of `f32` uniforms.
    fn skip_half(&mut self);
}

/// An element type the kernels compute in: `f32` or `f64`.
///
/// It names, for each backend, the vector type that holds eight of it, and
/// the polynomial versions of `exp` and `ln` suited to its precision.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Debug
    + Display
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    /// `"f32"` or `"f64"`, for messages.
    const NAME: &'static str;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// A quiet NaN.
    const NAN: Self;
    /// Machine epsilon (distance from 1 to the next value).
    const EPSILON: Self;
    /// xoshiro256++ steps per 16 uniforms (f32: 1, f64: 2).
    const STEPS_PER_DRAW: u64;

    /// The scalar-array backend's vector.
    type Scalar: Vector<Elem = Self, Rng = scalar::ScalarLanes>;
    /// The `wide` backend's vector.
    type Portable: Vector<Elem = Self, Rng = portable::PortableLanes>;
    /// The AVX2 + FMA backend's vector.
    #[cfg(target_arch = "x86_64")]
    type Avx2: Vector<Elem = Self, Rng = avx2::Avx2Lanes>;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
    /// `true` unless NaN or infinite.
    fn is_finite(self) -> bool;
    /// `self`, with `+inf` replaced by the largest finite value.
    fn min_finite(self) -> Self;
    /// The largest finite value.
    const MAX: Self;

    /// `e^x` on a vector (see [`math`] for accuracy).
    fn exp_v<V: Vector<Elem = Self>>(x: V) -> V;
    /// `ln x` on a vector, for every input including 0, subnormals, inf, NaN.
    fn ln_v<V: Vector<Elem = Self>>(x: V) -> V;
    /// `ln x` on a vector whose lanes are all positive normal finite numbers.
    fn ln_normal_v<V: Vector<Elem = Self>>(x: V) -> V;
}

/// Eight lanes of `Elem` in one backend's registers.
///
/// Every method is `#[inline(always)]` in every backend, so that a kernel
/// written over this trait compiles, inside a `#[target_feature]` entry
/// point, to straight vector code.
pub trait Vector: Copy + Send + Sync {
    /// The element type.
    type Elem: Real;
    /// The result of a comparison, one flag per lane.
    type Mask: Copy;
    /// This backend's eight-lane generator.
    type Rng: RngLanes;

    /// All lanes `x`.
    fn splat(x: Self::Elem) -> Self;
    /// Lanes `src[0..8]`; `src` must hold at least 8 elements.
    fn load(src: &[Self::Elem]) -> Self;
    /// Lanes `src[0..n]` and `fill` above, with `n = src.len() < 8`; reads
    /// nothing past `src`.
    fn load_partial(src: &[Self::Elem], fill: Self::Elem) -> Self;
    /// [`Vector::load`] if `src` holds 8 elements or more, else
    /// [`Vector::load_partial`] with `fill`.
    #[inline(always)]
    fn load_partial_or_full(src: &[Self::Elem], fill: Self::Elem) -> Self {
        if src.len() >= LANES {
            Self::load(src)
        } else {
            Self::load_partial(src, fill)
        }
    }
    /// Writes all lanes to `dst[0..8]`.
    fn store(self, dst: &mut [Self::Elem]);
    /// [`Vector::store`] to the first 8 elements if `dst` holds 8 or more,
    /// else [`Vector::store_partial`].
    #[inline(always)]
    fn store_partial_or_full(self, dst: &mut [Self::Elem]) {
        if dst.len() >= LANES {
            self.store(dst)
        } else {
            self.store_partial(dst)
        }
    }
    /// Writes lanes `0..dst.len()` (fewer than 8); writes nothing past `dst`.
    fn store_partial(self, dst: &mut [Self::Elem]);
    /// The lanes as an array.
    fn to_array(self) -> [Self::Elem; LANES];

    /// `self + b`.
    fn add(self, b: Self) -> Self;
    /// `self - b`.
    fn sub(self, b: Self) -> Self;
    /// `self * b`.
    fn mul(self, b: Self) -> Self;
    /// `self / b`.
    fn div(self, b: Self) -> Self;
    /// `self * b + c` with one rounding.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// `-self` (flips the sign bit).
    fn neg(self) -> Self;
    /// `if self > b { self } else { b }`.
    fn max(self, b: Self) -> Self;
    /// `if self < b { self } else { b }`.
    fn min(self, b: Self) -> Self;

    /// `self < b` per lane (false for NaN).
    fn lt(self, b: Self) -> Self::Mask;
    /// `self <= b` per lane (false for NaN).
    fn le(self, b: Self) -> Self::Mask;
    /// `self == b` per lane (false for NaN).
    fn eq(self, b: Self) -> Self::Mask;
    /// Lanes of `a` where `m` is set, of `b` elsewhere.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// Lanewise `a & b`.
    fn mask_and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// Lanewise `a | b`.
    fn mask_or(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// `true` if any lane of `m` is set.
    fn mask_any(m: Self::Mask) -> bool;
    /// `true` if every lane of `m` is set.
    fn mask_all(m: Self::Mask) -> bool;

    /// The 8 x 8 transpose: lane `j` of output `i` is lane `i` of input `j`.
    #[inline(always)]
    fn transpose8(v: [Self; LANES]) -> [Self; LANES] {
        let rows = v.map(Self::to_array);
        core::array::from_fn(|i| {
            let column: [Self::Elem; LANES] = core::array::from_fn(|j| rows[j][i]);
            Self::load(&column)
        })
    }

    /// Sum of the lanes in the fixed tree
    /// `((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))`.
    fn reduce_add(self) -> Self::Elem {
        let l = self.to_array();
        ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
    }

    /// `2^n` for lanes holding integers in the normal exponent range
    /// (`-126..=127` for f32, `-1022..=1023` for f64). Exact.
    fn pow2i(n: Self) -> Self;
    /// For positive normal finite lanes `x`: `(e, m)` with `x = m * 2^e`,
    /// `m` in `[1, 2)`, `e` an integer held as a float. Exact.
    fn split_exponent(x: Self) -> (Self, Self);
    /// The next eight uniforms of the stream, strictly inside (0, 1). Lane
    /// `j` comes from generator lane `j`: f32 takes the high 32 bits of a
    /// fresh step and leaves the low 32 bits pending for the next call;
    /// f64 takes one step.
    fn uniform(rng: &mut Self::Rng) -> Self;
    /// The next eight lower bounds of the categorical sampler's uniforms
    /// (`kernels::categorical`), from the stream [`Vector::uniform`]
    /// draws from (the same words, the same steps). f32: `k 2^-24`, `k` the
    /// top 24 bits of the 32-bit word, exact (the uniform itself is
    /// `(k + h) 2^-24` with `h` in `[0, 1)` drawn only where needed);
    /// f64: the uniform `(k + 1/2) 2^-52` itself.
    fn uniform_floor(rng: &mut Self::Rng) -> Self;
}

/// Lane `r` of the result is `v[r].reduce_add()`, bit for bit: eight
/// horizontal sums at the cost of one transpose.
#[inline(always)]
pub fn reduce_add8<V: Vector>(v: [V; LANES]) -> V {
    tree_add8(V::transpose8(v))
}

/// `[f(a[0]), ..., f(a[7])]`, always inlined. Kernels use this instead of
/// `<[T; N]>::map` (and `core::array::from_fn`): those are ordinary generic
/// functions the compiler may leave out of line, and a closure inlined into
/// an out-of-line `map` is compiled without the caller's target features,
/// so every intrinsic in it becomes a call (seen: 10x slower under the
/// `avx512vl` entry). `tests/all/symbols.rs` checks no intrinsic is left out of
/// line. Pass `f` as an `#[inline(always)]` closure.
#[inline(always)]
pub fn map8<A: Copy, B>(a: [A; LANES], f: impl Fn(A) -> B) -> [B; LANES] {
    const _: () = assert!(LANES == 8);
    [
        f(a[0]),
        f(a[1]),
        f(a[2]),
        f(a[3]),
        f(a[4]),
        f(a[5]),
        f(a[6]),
        f(a[7]),
    ]
}

/// `((t0+t4)+(t2+t6)) + ((t1+t5)+(t3+t7))` lanewise: the reduction tree of
/// [`Vector::reduce_add`] applied across eight vectors.
#[inline(always)]
pub fn tree_add8<V: Vector>(t: [V; LANES]) -> V {
    t[0].add(t[4])
        .add(t[2].add(t[6]))
        .add(t[1].add(t[5]).add(t[3].add(t[7])))
}

/// Lane `r` of the result is `reduce_max(v[r])`, bit for bit.
#[inline(always)]
pub fn reduce_max8<V: Vector>(v: [V; LANES]) -> V {
    tree_max8(V::transpose8(v))
}

/// The maximum tree of [`reduce_max`] applied lanewise across eight vectors.
#[inline(always)]
pub fn tree_max8<V: Vector>(t: [V; LANES]) -> V {
    #[inline(always)]
    fn m<V: Vector>(a: V, b: V) -> V {
        V::select(b.lt(a), a, b)
    }
    m(
        m(m(t[0], t[4]), m(t[2], t[6])),
        m(m(t[1], t[5]), m(t[3], t[7])),
    )
}

/// Horizontal maximum with the NaN-propagating rule of [`Vector::max`],
/// in the same tree as [`Vector::reduce_add`].
#[inline(always)]
pub fn reduce_max<V: Vector>(v: V) -> V::Elem {
    let l = v.to_array();
    let m = |a: V::Elem, b: V::Elem| if a > b { a } else { b };
    m(
        m(m(l[0], l[4]), m(l[2], l[6])),
        m(m(l[1], l[5]), m(l[3], l[7])),
    )
}

/// xoshiro256++ step on one lane (Blackman and Vigna, 2019); the reference the
/// vector generators are written from and tested against.
#[inline(always)]
pub(crate) fn xoshiro_step(s: &mut [u64; 4]) -> u64 {
    let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
    let t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3].rotate_left(45);
    result
}

/// Uniform in (0,1) from the top 23 bits of `bits`: `(k + 1/2) * 2^-23`.
/// Exact in f32, symmetric, never 0 or 1, and formed without `1 - v`.
#[inline(always)]
pub(crate) fn uniform_f32_from_bits(bits: u32) -> f32 {
    f32::from_bits(0x3F80_0000 | (bits >> 9)) - (1.0 - 1.0 / 16_777_216.0)
}

/// `k 2^-24` for `k` the top 24 bits of `bits`: exact, in `[0, 1 - 2^-24]`.
#[inline(always)]
pub(crate) fn uniform_floor_f32_from_bits(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Uniform in (0,1) from the top 52 bits of `bits`: `(k + 1/2) * 2^-52`.
#[inline(always)]
pub(crate) fn uniform_f64_from_bits(bits: u64) -> f64 {
    f64::from_bits(0x3FF0_0000_0000_0000 | (bits >> 12)) - (1.0 - 1.0 / 9_007_199_254_740_992.0)
}
