//! The AVX2 + FMA backend, written with `core::arch` intrinsics.
//!
//! `f32`: one `__m256` holds the eight lanes. `f64`: a pair of `__m256d`
//! (lanes 0-3, 4-7), so the logical width stays eight and reductions keep the
//! tree every backend shares. The generator keeps each xoshiro state word as
//! two `__m256i` (lanes 0-3, 4-7).
//!
//! These types are only ever built inside [`super::dispatch`]'s
//! `#[target_feature(enable = "avx2,fma")]` entry point, after run-time
//! detection found both features; that is the invariant every `unsafe` block
//! below relies on.

use super::{LANES, RngLanes, Vector, xoshiro_step};
use core::arch::x86_64::*;

/// Eight xoshiro256++ generators: word `w` of lanes 0-3 in `s[w][0]`, of
/// lanes 4-7 in `s[w][1]`.
#[derive(Clone, Copy, Debug)]
pub struct Avx2Lanes {
    s: [[__m256i; 2]; 4],
    /// The low 32-bit halves of the last step (lane order), while the f32
    /// stream has not used them.
    pending: Option<__m256i>,
}

/// Eight `f32` lanes in one AVX register.
#[derive(Clone, Copy, Debug)]
pub struct Avx2F32(__m256);

/// Eight `f64` lanes in two AVX registers.
#[derive(Clone, Copy, Debug)]
pub struct Avx2F64([__m256d; 2]);

/// Rotate each 64-bit lane left by `L` (`R = 64 - L`; AVX2 has no rotate).
#[inline(always)]
fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled wherever this backend runs (module invariant).
    unsafe { _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x)) }
}

impl Avx2Lanes {
    /// One xoshiro256++ step of all eight lanes: (lanes 0-3, lanes 4-7).
    #[inline(always)]
    fn step(&mut self) -> [__m256i; 2] {
        let mut out = [self.s[0][0]; 2];
        for (h, out) in out.iter_mut().enumerate() {
            // SAFETY: AVX2 is enabled wherever this backend runs.
            unsafe {
                let (s0, s1, s2, s3) = (self.s[0][h], self.s[1][h], self.s[2][h], self.s[3][h]);
                *out = _mm256_add_epi64(rotl::<23, 41>(_mm256_add_epi64(s0, s3)), s0);
                let t = _mm256_slli_epi64(s1, 17);
                let s2 = _mm256_xor_si256(s2, s0);
                let s3 = _mm256_xor_si256(s3, s1);
                let s1 = _mm256_xor_si256(s1, s2);
                let s0 = _mm256_xor_si256(s0, s3);
                let s2 = _mm256_xor_si256(s2, t);
                let s3 = rotl::<45, 19>(s3);
                self.s[0][h] = s0;
                self.s[1][h] = s1;
                self.s[2][h] = s2;
                self.s[3][h] = s3;
            }
        }
        out
    }
}

impl Avx2Lanes {
    /// The next eight 32-bit words of the f32 stream, in lane order: the
    /// high halves of a fresh step, or the pending low halves of the last.
    #[inline(always)]
    fn next_half(&mut self) -> __m256i {
        if let Some(low) = self.pending.take() {
            return low;
        }
        let [a, b] = self.step();
        // SAFETY: AVX2 is enabled wherever this backend runs. shuffle_ps
        // takes the odd (high) or even (low) 32-bit halves of lanes
        // (0,1,4,5 | 2,3,6,7); the 64-bit permute restores lane order 0..8.
        unsafe {
            let (fa, fb) = (_mm256_castsi256_ps(a), _mm256_castsi256_ps(b));
            let hi = _mm256_castps_si256(_mm256_shuffle_ps::<0b11_01_11_01>(fa, fb));
            let lo = _mm256_castps_si256(_mm256_shuffle_ps::<0b10_00_10_00>(fa, fb));
            self.pending = Some(_mm256_permute4x64_epi64::<0b11_01_10_00>(lo));
            _mm256_permute4x64_epi64::<0b11_01_10_00>(hi)
        }
    }
}

impl RngLanes for Avx2Lanes {
    #[inline(always)]
    fn from_states(states: &[[u64; 4]; LANES]) -> Self {
        let word = |w: usize, h: usize| -> __m256i {
            let l = |i: usize| states[4 * h + i][w] as i64;
            // SAFETY: AVX is enabled wherever this backend runs.
            unsafe { _mm256_setr_epi64x(l(0), l(1), l(2), l(3)) }
        };
        Avx2Lanes {
            s: [
                [word(0, 0), word(0, 1)],
                [word(1, 0), word(1, 1)],
                [word(2, 0), word(2, 1)],
                [word(3, 0), word(3, 1)],
            ],
            pending: None,
        }
    }

    #[inline(always)]
    fn next_u64s(&mut self) -> [u64; LANES] {
        let [a, b] = self.step();
        let mut out = [0u64; LANES];
        // SAFETY: `out` holds 8 u64 = two unaligned 256-bit stores.
        unsafe {
            _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, a);
            _mm256_storeu_si256(out.as_mut_ptr().add(4) as *mut __m256i, b);
        }
        out
    }

    #[inline(always)]
    fn skip(&mut self, steps: u64) {
        self.pending = None;
        for _ in 0..steps {
            self.step();
        }
    }

    #[inline(always)]
    fn skip_half(&mut self) {
        self.pending = None;
        self.next_half();
    }
}

// Keeps `xoshiro_step` the documented reference for this file's `step`.
const _: fn(&mut [u64; 4]) -> u64 = xoshiro_step;

impl Vector for Avx2F32 {
    type Elem = f32;
    type Mask = __m256;
    type Rng = Avx2Lanes;

    #[inline(always)]
    fn splat(x: f32) -> Self {
        // SAFETY (this impl): AVX2 + FMA are enabled wherever this backend
        // runs; loads and stores stay inside the slices they are given.
        unsafe { Avx2F32(_mm256_set1_ps(x)) }
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        assert!(src.len() >= LANES);
        // SAFETY: 8 elements are readable (checked above).
        unsafe { Avx2F32(_mm256_loadu_ps(src.as_ptr())) }
    }
    #[inline(always)]
    fn load_partial(src: &[f32], fill: f32) -> Self {
        let mut a = [fill; LANES];
        a[..src.len()].copy_from_slice(src);
        // SAFETY: `a` holds 8 elements.
        unsafe { Avx2F32(_mm256_loadu_ps(a.as_ptr())) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        assert!(dst.len() >= LANES);
        // SAFETY: 8 elements are writable (checked above).
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32]) {
        let a = self.to_array();
        let n = dst.len();
        dst.copy_from_slice(&a[..n]);
    }
    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut a = [0.0f32; LANES];
        // SAFETY: `a` holds 8 elements.
        unsafe { _mm256_storeu_ps(a.as_mut_ptr(), self.0) };
        a
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_add_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_sub_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_mul_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_div_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_xor_ps(self.0, _mm256_set1_ps(-0.0))) }
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        // SAFETY: see `splat`. vmaxps returns its second operand unless the
        // first is greater: exactly the trait's rule.
        unsafe { Avx2F32(_mm256_max_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_min_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn lt(self, b: Self) -> __m256 {
        // SAFETY: see `splat`.
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn le(self, b: Self) -> __m256 {
        // SAFETY: see `splat`.
        unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn eq(self, b: Self) -> __m256 {
        // SAFETY: see `splat`.
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn select(m: __m256, a: Self, b: Self) -> Self {
        // SAFETY: see `splat`.
        unsafe { Avx2F32(_mm256_blendv_ps(b.0, a.0, m)) }
    }
    #[inline(always)]
    fn mask_and(a: __m256, b: __m256) -> __m256 {
        // SAFETY: see `splat`.
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn mask_or(a: __m256, b: __m256) -> __m256 {
        // SAFETY: see `splat`.
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn mask_any(m: __m256) -> bool {
        // SAFETY: see `splat`.
        unsafe { _mm256_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    fn mask_all(m: __m256) -> bool {
        // SAFETY: see `splat`.
        unsafe { _mm256_movemask_ps(m) == 0xFF }
    }
    #[inline(always)]
    fn transpose8(v: [Self; LANES]) -> [Self; LANES] {
        // SAFETY: see `splat`. The usual unpack / shuffle / 128-bit permute
        // transpose.
        unsafe {
            let r = super::map8(
                v,
                #[inline(always)]
                |x| x.0,
            );
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            [
                Avx2F32(_mm256_permute2f128_ps::<0x20>(u0, u4)),
                Avx2F32(_mm256_permute2f128_ps::<0x20>(u1, u5)),
                Avx2F32(_mm256_permute2f128_ps::<0x20>(u2, u6)),
                Avx2F32(_mm256_permute2f128_ps::<0x20>(u3, u7)),
                Avx2F32(_mm256_permute2f128_ps::<0x31>(u0, u4)),
                Avx2F32(_mm256_permute2f128_ps::<0x31>(u1, u5)),
                Avx2F32(_mm256_permute2f128_ps::<0x31>(u2, u6)),
                Avx2F32(_mm256_permute2f128_ps::<0x31>(u3, u7)),
            ]
        }
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // SAFETY: see `splat`. The tree is the trait's:
        // ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
        unsafe {
            let s = _mm_add_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            );
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<1>(s, s)))
        }
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        // SAFETY: see `splat`. n is integral, so the conversion is exact.
        unsafe {
            let e = _mm256_add_epi32(_mm256_cvtps_epi32(n.0), _mm256_set1_epi32(127));
            Avx2F32(_mm256_castsi256_ps(_mm256_slli_epi32::<23>(e)))
        }
    }
    #[inline(always)]
    fn split_exponent(x: Self) -> (Self, Self) {
        // SAFETY: see `splat`.
        unsafe {
            let bits = _mm256_castps_si256(x.0);
            let biased = _mm256_cvtepi32_ps(_mm256_srli_epi32::<23>(bits));
            let e = _mm256_sub_ps(biased, _mm256_set1_ps(127.0));
            let m = _mm256_or_si256(
                _mm256_and_si256(bits, _mm256_set1_epi32(0x007F_FFFF)),
                _mm256_set1_epi32(0x3F80_0000),
            );
            (Avx2F32(e), Avx2F32(_mm256_castsi256_ps(m)))
        }
    }
    #[inline(always)]
    fn uniform(rng: &mut Avx2Lanes) -> Self {
        Avx2F32(uniform_f32x8(rng.next_half()))
    }
    #[inline(always)]
    fn uniform_floor(rng: &mut Avx2Lanes) -> Self {
        let w = rng.next_half();
        // SAFETY: see `splat`. The top 24 bits convert exactly.
        unsafe {
            let k = _mm256_cvtepi32_ps(_mm256_srli_epi32::<8>(w));
            Avx2F32(_mm256_mul_ps(k, _mm256_set1_ps(1.0 / 16_777_216.0)))
        }
    }
}

/// Uniforms `(k + 1/2) 2^-23` from the top 23 bits of each 32-bit lane.
#[inline(always)]
fn uniform_f32x8(w: __m256i) -> __m256 {
    // SAFETY: AVX2 is enabled wherever this backend runs.
    unsafe {
        let one = _mm256_set1_epi32(0x3F80_0000);
        let offset = _mm256_set1_ps(1.0 - 1.0 / 16_777_216.0);
        _mm256_sub_ps(
            _mm256_castsi256_ps(_mm256_or_si256(_mm256_srli_epi32::<9>(w), one)),
            offset,
        )
    }
}

/// Uniforms `(k + 1/2) 2^-52` from the top 52 bits of each 64-bit lane.
#[inline(always)]
fn uniform_f64x4(w: __m256i) -> __m256d {
    // SAFETY: AVX2 is enabled wherever this backend runs.
    unsafe {
        let one = _mm256_set1_epi64x(0x3FF0_0000_0000_0000);
        let offset = _mm256_set1_pd(1.0 - 1.0 / 9_007_199_254_740_992.0);
        _mm256_sub_pd(
            _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64::<12>(w), one)),
            offset,
        )
    }
}

/// `2^n` for integral `n`: adding 1.5 * 2^52 puts n in the low mantissa
/// bits (AVX2 has no f64 -> i64 conversion).
#[inline(always)]
fn pow2i_f64x4(n: __m256d) -> __m256d {
    // SAFETY: AVX2 is enabled wherever this backend runs.
    unsafe {
        let magic = _mm256_set1_pd(6_755_399_441_055_744.0);
        let int = _mm256_sub_epi64(
            _mm256_castpd_si256(_mm256_add_pd(n, magic)),
            _mm256_castpd_si256(magic),
        );
        _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(
            int,
            _mm256_set1_epi64x(1023),
        )))
    }
}

/// `(e, m)` with `v = m 2^e`, `m` in `[1, 2)`, for positive normal lanes.
#[inline(always)]
fn split_exponent_f64x4(v: __m256d) -> (__m256d, __m256d) {
    // SAFETY: AVX2 is enabled wherever this backend runs.
    unsafe {
        let two52 = _mm256_set1_pd(4_503_599_627_370_496.0);
        let bits = _mm256_castpd_si256(v);
        let biased = _mm256_or_si256(_mm256_srli_epi64::<52>(bits), _mm256_castpd_si256(two52));
        let e = _mm256_sub_pd(
            _mm256_castsi256_pd(biased),
            _mm256_set1_pd(4_503_599_627_370_496.0 + 1023.0),
        );
        let m = _mm256_or_si256(
            _mm256_and_si256(bits, _mm256_set1_epi64x(0x000F_FFFF_FFFF_FFFF)),
            _mm256_set1_epi64x(0x3FF0_0000_0000_0000),
        );
        (e, _mm256_castsi256_pd(m))
    }
}

/// 4 x 4 transpose of doubles: output `j` is column `j` of `r`.
#[inline(always)]
fn transpose4_pd(r: [__m256d; 4]) -> [__m256d; 4] {
    // SAFETY: AVX is enabled wherever this backend runs.
    unsafe {
        let t0 = _mm256_unpacklo_pd(r[0], r[1]);
        let t1 = _mm256_unpackhi_pd(r[0], r[1]);
        let t2 = _mm256_unpacklo_pd(r[2], r[3]);
        let t3 = _mm256_unpackhi_pd(r[2], r[3]);
        [
            _mm256_permute2f128_pd::<0x20>(t0, t2),
            _mm256_permute2f128_pd::<0x20>(t1, t3),
            _mm256_permute2f128_pd::<0x31>(t0, t2),
            _mm256_permute2f128_pd::<0x31>(t1, t3),
        ]
    }
}

impl Avx2F64 {
    #[inline(always)]
    fn both(self, b: Self, f: impl Fn(__m256d, __m256d) -> __m256d) -> Self {
        Avx2F64([f(self.0[0], b.0[0]), f(self.0[1], b.0[1])])
    }
    #[inline(always)]
    fn mask(self, b: Self, f: impl Fn(__m256d, __m256d) -> __m256d) -> [__m256d; 2] {
        [f(self.0[0], b.0[0]), f(self.0[1], b.0[1])]
    }
}

impl Vector for Avx2F64 {
    type Elem = f64;
    type Mask = [__m256d; 2];
    type Rng = Avx2Lanes;

    // SAFETY (every block of this impl): AVX2 + FMA are enabled wherever this
    // backend runs; loads and stores stay inside the slices they are given.
    #[inline(always)]
    fn splat(x: f64) -> Self {
        // SAFETY: see above.
        unsafe { Avx2F64([_mm256_set1_pd(x); 2]) }
    }
    #[inline(always)]
    fn load(src: &[f64]) -> Self {
        assert!(src.len() >= LANES);
        // SAFETY: 8 elements are readable (checked above).
        unsafe {
            Avx2F64([
                _mm256_loadu_pd(src.as_ptr()),
                _mm256_loadu_pd(src.as_ptr().add(4)),
            ])
        }
    }
    #[inline(always)]
    fn load_partial(src: &[f64], fill: f64) -> Self {
        let mut a = [fill; LANES];
        a[..src.len()].copy_from_slice(src);
        Self::load(&a)
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64]) {
        assert!(dst.len() >= LANES);
        // SAFETY: 8 elements are writable (checked above).
        unsafe {
            _mm256_storeu_pd(dst.as_mut_ptr(), self.0[0]);
            _mm256_storeu_pd(dst.as_mut_ptr().add(4), self.0[1]);
        }
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f64]) {
        let a = self.to_array();
        let n = dst.len();
        dst.copy_from_slice(&a[..n]);
    }
    #[inline(always)]
    fn to_array(self) -> [f64; LANES] {
        let mut a = [0.0f64; LANES];
        self.store(&mut a);
        a
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_add_pd(x, y) },
        )
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_sub_pd(x, y) },
        )
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_mul_pd(x, y) },
        )
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_div_pd(x, y) },
        )
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see above.
        unsafe {
            Avx2F64([
                _mm256_fmadd_pd(self.0[0], b.0[0], c.0[0]),
                _mm256_fmadd_pd(self.0[1], b.0[1], c.0[1]),
            ])
        }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: see above.
        self.both(
            self,
            #[inline(always)]
            |x, _| unsafe { _mm256_xor_pd(x, _mm256_set1_pd(-0.0)) },
        )
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_max_pd(x, y) },
        )
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        // SAFETY: see above.
        self.both(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_min_pd(x, y) },
        )
    }
    #[inline(always)]
    fn lt(self, b: Self) -> [__m256d; 2] {
        // SAFETY: see above.
        self.mask(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(x, y) },
        )
    }
    #[inline(always)]
    fn le(self, b: Self) -> [__m256d; 2] {
        // SAFETY: see above.
        self.mask(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_cmp_pd::<_CMP_LE_OQ>(x, y) },
        )
    }
    #[inline(always)]
    fn eq(self, b: Self) -> [__m256d; 2] {
        // SAFETY: see above.
        self.mask(
            b,
            #[inline(always)]
            |x, y| unsafe { _mm256_cmp_pd::<_CMP_EQ_OQ>(x, y) },
        )
    }
    #[inline(always)]
    fn select(m: [__m256d; 2], a: Self, b: Self) -> Self {
        // SAFETY: see above.
        unsafe {
            Avx2F64([
                _mm256_blendv_pd(b.0[0], a.0[0], m[0]),
                _mm256_blendv_pd(b.0[1], a.0[1], m[1]),
            ])
        }
    }
    #[inline(always)]
    fn mask_and(a: [__m256d; 2], b: [__m256d; 2]) -> [__m256d; 2] {
        // SAFETY: see above.
        unsafe { [_mm256_and_pd(a[0], b[0]), _mm256_and_pd(a[1], b[1])] }
    }
    #[inline(always)]
    fn mask_or(a: [__m256d; 2], b: [__m256d; 2]) -> [__m256d; 2] {
        // SAFETY: see above.
        unsafe { [_mm256_or_pd(a[0], b[0]), _mm256_or_pd(a[1], b[1])] }
    }
    #[inline(always)]
    fn mask_any(m: [__m256d; 2]) -> bool {
        // SAFETY: see above.
        unsafe { _mm256_movemask_pd(_mm256_or_pd(m[0], m[1])) != 0 }
    }
    #[inline(always)]
    fn mask_all(m: [__m256d; 2]) -> bool {
        // SAFETY: see above.
        unsafe { _mm256_movemask_pd(_mm256_and_pd(m[0], m[1])) == 0xF }
    }
    #[inline(always)]
    fn transpose8(v: [Self; LANES]) -> [Self; LANES] {
        // Four 4 x 4 blocks: rows 0-3 / 4-7 by columns 0-3 / 4-7.
        let a = transpose4_pd([v[0].0[0], v[1].0[0], v[2].0[0], v[3].0[0]]);
        let b = transpose4_pd([v[0].0[1], v[1].0[1], v[2].0[1], v[3].0[1]]);
        let c = transpose4_pd([v[4].0[0], v[5].0[0], v[6].0[0], v[7].0[0]]);
        let d = transpose4_pd([v[4].0[1], v[5].0[1], v[6].0[1], v[7].0[1]]);
        [
            Avx2F64([a[0], c[0]]),
            Avx2F64([a[1], c[1]]),
            Avx2F64([a[2], c[2]]),
            Avx2F64([a[3], c[3]]),
            Avx2F64([b[0], d[0]]),
            Avx2F64([b[1], d[1]]),
            Avx2F64([b[2], d[2]]),
            Avx2F64([b[3], d[3]]),
        ]
    }
    #[inline(always)]
    fn reduce_add(self) -> f64 {
        // SAFETY: see above. Same tree as the trait: lanes (i, i+4) first.
        unsafe {
            let s = _mm256_add_pd(self.0[0], self.0[1]);
            let s = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd::<1>(s));
            _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
        }
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        Avx2F64([pow2i_f64x4(n.0[0]), pow2i_f64x4(n.0[1])])
    }
    #[inline(always)]
    fn split_exponent(x: Self) -> (Self, Self) {
        let (e0, m0) = split_exponent_f64x4(x.0[0]);
        let (e1, m1) = split_exponent_f64x4(x.0[1]);
        (Avx2F64([e0, e1]), Avx2F64([m0, m1]))
    }
    #[inline(always)]
    fn uniform(rng: &mut Avx2Lanes) -> Self {
        let [a, b] = rng.step();
        Avx2F64([uniform_f64x4(a), uniform_f64x4(b)])
    }
    #[inline(always)]
    fn uniform_floor(rng: &mut Avx2Lanes) -> Self {
        Self::uniform(rng)
    }
}
