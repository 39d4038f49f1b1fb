//! [`Real`] for `f32` and `f64`: constants, backend vector types and the
//! precision-specific math.

use super::{Real, Vector, math, portable, scalar};

#[cfg(target_arch = "x86_64")]
use super::avx2;

macro_rules! impl_real {
    ($t:ident, $scalar:ty, $portable:ty, $avx2:ty, $steps:expr, $exp:ident, $ln:ident, $ln_normal:ident) => {
        impl Real for $t {
            const NAME: &'static str = stringify!($t);
            const ZERO: $t = 0.0;
            const ONE: $t = 1.0;
            const INFINITY: $t = $t::INFINITY;
            const NEG_INFINITY: $t = $t::NEG_INFINITY;
            const NAN: $t = $t::NAN;
            const EPSILON: $t = $t::EPSILON;
            const STEPS_PER_DRAW: u64 = $steps;

            type Scalar = $scalar;
            type Portable = $portable;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = $avx2;

            #[inline(always)]
            fn from_f64(x: f64) -> $t {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn min_finite(self) -> $t {
                self.min($t::MAX)
            }
            const MAX: $t = $t::MAX;
            #[inline(always)]
            fn exp_v<V: Vector<Elem = $t>>(x: V) -> V {
                math::$exp(x)
            }
            #[inline(always)]
            fn ln_v<V: Vector<Elem = $t>>(x: V) -> V {
                math::$ln(x)
            }
            #[inline(always)]
            fn ln_normal_v<V: Vector<Elem = $t>>(x: V) -> V {
                math::$ln_normal(x)
            }
        }
    };
}

impl_real!(
    f32,
    scalar::ScalarF32,
    portable::PortableF32,
    avx2::Avx2F32,
    1,
    exp_f32,
    ln_f32,
    ln_normal_f32
);
impl_real!(
    f64,
    scalar::ScalarF64,
    portable::PortableF64,
    avx2::Avx2F64,
    2,
    exp_f64,
    ln_f64,
    ln_normal_f64
);
