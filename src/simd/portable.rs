//! The portable backend on `wide`: NEON on aarch64, SSE2 (or whatever the
//! build enables) on x86. `wide` fixes its instruction set when it is
//! compiled, which is why x86_64 also has a run-time-dispatched AVX2 backend.
//!
//! `wide`'s `mul_add` is only fused where the build has FMA (or on aarch64);
//! elsewhere this backend fuses lane by lane with `f32::mul_add`, slower but
//! bit-identical to the other backends.

use super::scalar::ScalarLanes;
use super::{
    LANES, Vector, uniform_f32_from_bits, uniform_f64_from_bits, uniform_floor_f32_from_bits,
};
use wide::{f32x8, f64x4};

/// The generator lanes: plain arrays, which the compiler vectorises as well
/// as `wide` would.
pub type PortableLanes = ScalarLanes;

use super::RngLanes;

/// `true` where `wide::mul_add` is a single fused operation.
const WIDE_FMA_IS_FUSED: bool = cfg!(any(target_feature = "fma", target_arch = "aarch64"));

/// Eight `f32` lanes in a `wide::f32x8`.
#[derive(Clone, Copy, Debug)]
pub struct PortableF32(f32x8);

/// Eight `f64` lanes in two `wide::f64x4`.
#[derive(Clone, Copy, Debug)]
pub struct PortableF64([f64x4; 2]);

impl Vector for PortableF32 {
    type Elem = f32;
    type Mask = f32x8;
    type Rng = PortableLanes;

    #[inline(always)]
    fn splat(x: f32) -> Self {
        PortableF32(f32x8::splat(x))
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        let a: [f32; LANES] = src[..LANES].try_into().unwrap();
        PortableF32(f32x8::from(a))
    }
    #[inline(always)]
    fn load_partial(src: &[f32], fill: f32) -> Self {
        let mut a = [fill; LANES];
        a[..src.len()].copy_from_slice(src);
        PortableF32(f32x8::from(a))
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        dst[..LANES].copy_from_slice(&self.0.to_array());
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32]) {
        let n = dst.len();
        dst.copy_from_slice(&self.0.to_array()[..n]);
    }
    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        self.0.to_array()
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        PortableF32(self.0 + b.0)
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        PortableF32(self.0 - b.0)
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        PortableF32(self.0 * b.0)
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        PortableF32(self.0 / b.0)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        if WIDE_FMA_IS_FUSED {
            PortableF32(self.0.mul_add(b.0, c.0))
        } else {
            let (x, y, z) = (self.0.to_array(), b.0.to_array(), c.0.to_array());
            PortableF32(f32x8::from(core::array::from_fn::<f32, LANES, _>(
                #[inline(always)]
                |i| x[i].mul_add(y[i], z[i]),
            )))
        }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        PortableF32(-self.0)
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        PortableF32(self.0.simd_gt(b.0).select(self.0, b.0))
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        PortableF32(self.0.simd_lt(b.0).select(self.0, b.0))
    }
    #[inline(always)]
    fn lt(self, b: Self) -> f32x8 {
        self.0.simd_lt(b.0)
    }
    #[inline(always)]
    fn le(self, b: Self) -> f32x8 {
        self.0.simd_le(b.0)
    }
    #[inline(always)]
    fn eq(self, b: Self) -> f32x8 {
        self.0.simd_eq(b.0)
    }
    #[inline(always)]
    fn select(m: f32x8, a: Self, b: Self) -> Self {
        PortableF32(m.select(a.0, b.0))
    }
    #[inline(always)]
    fn mask_and(a: f32x8, b: f32x8) -> f32x8 {
        a & b
    }
    #[inline(always)]
    fn mask_or(a: f32x8, b: f32x8) -> f32x8 {
        a | b
    }
    #[inline(always)]
    fn mask_any(m: f32x8) -> bool {
        m.any()
    }
    #[inline(always)]
    fn mask_all(m: f32x8) -> bool {
        m.all()
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        let magic = f32x8::splat(12_582_912.0);
        let int = (n.0 + magic).to_bits() - magic.to_bits();
        PortableF32(f32x8::from_bits((int + wide::u32x8::splat(127)) << 23))
    }
    #[inline(always)]
    fn split_exponent(x: Self) -> (Self, Self) {
        let bits = x.0.to_bits();
        let two23 = f32x8::splat(8_388_608.0);
        let e =
            f32x8::from_bits((bits >> 23) | two23.to_bits()) - f32x8::splat(8_388_608.0 + 127.0);
        let m = f32x8::from_bits(
            (bits & wide::u32x8::splat(0x007F_FFFF)) | wide::u32x8::splat(0x3F80_0000),
        );
        (PortableF32(e), PortableF32(m))
    }
    #[inline(always)]
    fn uniform(rng: &mut PortableLanes) -> Self {
        PortableF32(f32x8::from(rng.next_half().map(uniform_f32_from_bits)))
    }
    #[inline(always)]
    fn uniform_floor(rng: &mut PortableLanes) -> Self {
        PortableF32(f32x8::from(
            rng.next_half().map(uniform_floor_f32_from_bits),
        ))
    }
}

impl PortableF64 {
    #[inline(always)]
    fn both(self, b: Self, f: impl Fn(f64x4, f64x4) -> f64x4) -> Self {
        PortableF64([f(self.0[0], b.0[0]), f(self.0[1], b.0[1])])
    }
    #[inline(always)]
    fn from_array(a: [f64; LANES]) -> Self {
        PortableF64([
            f64x4::from([a[0], a[1], a[2], a[3]]),
            f64x4::from([a[4], a[5], a[6], a[7]]),
        ])
    }
}

impl Vector for PortableF64 {
    type Elem = f64;
    type Mask = [f64x4; 2];
    type Rng = PortableLanes;

    #[inline(always)]
    fn splat(x: f64) -> Self {
        PortableF64([f64x4::splat(x); 2])
    }
    #[inline(always)]
    fn load(src: &[f64]) -> Self {
        Self::from_array(src[..LANES].try_into().unwrap())
    }
    #[inline(always)]
    fn load_partial(src: &[f64], fill: f64) -> Self {
        let mut a = [fill; LANES];
        a[..src.len()].copy_from_slice(src);
        Self::from_array(a)
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64]) {
        dst[..LANES].copy_from_slice(&self.to_array());
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f64]) {
        let n = dst.len();
        dst.copy_from_slice(&self.to_array()[..n]);
    }
    #[inline(always)]
    fn to_array(self) -> [f64; LANES] {
        let (a, b) = (self.0[0].to_array(), self.0[1].to_array());
        [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x + y,
        )
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x - y,
        )
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x * y,
        )
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x / y,
        )
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        if WIDE_FMA_IS_FUSED {
            PortableF64([
                self.0[0].mul_add(b.0[0], c.0[0]),
                self.0[1].mul_add(b.0[1], c.0[1]),
            ])
        } else {
            let (x, y, z) = (self.to_array(), b.to_array(), c.to_array());
            Self::from_array(core::array::from_fn(
                #[inline(always)]
                |i| x[i].mul_add(y[i], z[i]),
            ))
        }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        PortableF64([-self.0[0], -self.0[1]])
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x.simd_gt(y).select(x, y),
        )
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        self.both(
            b,
            #[inline(always)]
            |x, y| x.simd_lt(y).select(x, y),
        )
    }
    #[inline(always)]
    fn lt(self, b: Self) -> [f64x4; 2] {
        [self.0[0].simd_lt(b.0[0]), self.0[1].simd_lt(b.0[1])]
    }
    #[inline(always)]
    fn le(self, b: Self) -> [f64x4; 2] {
        [self.0[0].simd_le(b.0[0]), self.0[1].simd_le(b.0[1])]
    }
    #[inline(always)]
    fn eq(self, b: Self) -> [f64x4; 2] {
        [self.0[0].simd_eq(b.0[0]), self.0[1].simd_eq(b.0[1])]
    }
    #[inline(always)]
    fn select(m: [f64x4; 2], a: Self, b: Self) -> Self {
        PortableF64([m[0].select(a.0[0], b.0[0]), m[1].select(a.0[1], b.0[1])])
    }
    #[inline(always)]
    fn mask_and(a: [f64x4; 2], b: [f64x4; 2]) -> [f64x4; 2] {
        [a[0] & b[0], a[1] & b[1]]
    }
    #[inline(always)]
    fn mask_or(a: [f64x4; 2], b: [f64x4; 2]) -> [f64x4; 2] {
        [a[0] | b[0], a[1] | b[1]]
    }
    #[inline(always)]
    fn mask_any(m: [f64x4; 2]) -> bool {
        m[0].any() || m[1].any()
    }
    #[inline(always)]
    fn mask_all(m: [f64x4; 2]) -> bool {
        m[0].all() && m[1].all()
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        let magic = f64x4::splat(6_755_399_441_055_744.0);
        let f = |x: f64x4| {
            let int = (x + magic).to_bits() - magic.to_bits();
            f64x4::from_bits((int + wide::u64x4::splat(1023)) << 52)
        };
        PortableF64([f(n.0[0]), f(n.0[1])])
    }
    #[inline(always)]
    fn split_exponent(x: Self) -> (Self, Self) {
        let two52 = f64x4::splat(4_503_599_627_370_496.0);
        let f = |v: f64x4| {
            let bits = v.to_bits();
            let e = f64x4::from_bits((bits >> 52) | two52.to_bits())
                - f64x4::splat(4_503_599_627_370_496.0 + 1023.0);
            let m = f64x4::from_bits(
                (bits & wide::u64x4::splat(0x000F_FFFF_FFFF_FFFF))
                    | wide::u64x4::splat(0x3FF0_0000_0000_0000),
            );
            (e, m)
        };
        let (e0, m0) = f(x.0[0]);
        let (e1, m1) = f(x.0[1]);
        (PortableF64([e0, e1]), PortableF64([m0, m1]))
    }
    #[inline(always)]
    fn uniform(rng: &mut PortableLanes) -> Self {
        Self::from_array(rng.next_u64s().map(uniform_f64_from_bits))
    }
    #[inline(always)]
    fn uniform_floor(rng: &mut PortableLanes) -> Self {
        Self::uniform(rng)
    }
}
