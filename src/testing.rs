//! Internals the test suite and benches reach for: the vector math on a
//! chosen backend, and the generator lanes. Hidden from the docs; not part
//! of the API and not covered by semver.

use crate::Float;
pub use crate::alloc::set_thread_allocation_limit;
use crate::simd::dispatch::dispatch;
use crate::simd::{Backend, Kernel, LANES, Real, RngLanes, Vector};

/// Which elementwise function [`math`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathFn {
    /// `exp`.
    Exp,
    /// `ln`, every input.
    Ln,
    /// `ln` for positive normal inputs only.
    LnNormal,
    /// Gumbel transform `-ln(-ln u)` of uniforms.
    Gumbel,
}

#[doc(hidden)]
pub struct MathKernel<'a, T> {
    f: MathFn,
    input: &'a [T],
    out: &'a mut [T],
}

impl<T: Real> Kernel<T> for MathKernel<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        let f = self.f;
        crate::kernels::rowops::map_into::<V>(
            self.input,
            self.out,
            #[inline(always)]
            |x: V| match f {
                MathFn::Exp => T::exp_v(x),
                MathFn::Ln => T::ln_v(x),
                MathFn::LnNormal => T::ln_normal_v(x),
                MathFn::Gumbel => T::ln_normal_v(T::ln_normal_v(x).neg()).neg(),
            },
        );
    }
}

/// `out[i] = f(input[i])` with `backend`'s vector code.
pub fn math<T: Float>(backend: Backend, f: MathFn, input: &[T], out: &mut [T]) {
    assert_eq!(input.len(), out.len());
    T::math(backend, MathKernel { f, input, out });
}

struct LanesKernel<'a> {
    states: &'a [[u64; 4]; LANES],
    out: &'a mut [[u64; LANES]],
}

impl Kernel<f64> for LanesKernel<'_> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = f64>>(self) {
        let mut lanes = V::Rng::from_states(self.states);
        for o in self.out.iter_mut() {
            *o = lanes.next_u64s();
        }
    }
}

/// The first `out.len()` outputs of the eight-lane generator of `backend`
/// started from `states`.
pub fn rng_lanes(backend: Backend, states: &[[u64; 4]; LANES], out: &mut [[u64; LANES]]) {
    dispatch::<f64, _>(backend, LanesKernel { states, out });
}

#[doc(hidden)]
pub struct BlockUniforms<'a, T> {
    seed: u64,
    block: u64,
    out: &'a mut [T],
}

impl<T: Real> Kernel<T> for BlockUniforms<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<V: Vector<Elem = T>>(self) {
        let mut lanes = V::Rng::from_states(&crate::rng::block_states(self.seed, self.block));
        for chunk in self.out.chunks_mut(LANES) {
            let mut v = [T::ZERO; LANES];
            V::uniform(&mut lanes).store(&mut v);
            let n = chunk.len();
            chunk.copy_from_slice(&v[..n]);
        }
    }
}

/// Uniforms of one block, in the kernels' element order, from `backend`.
pub fn block_uniforms<T: Float>(backend: Backend, seed: u64, block: u64, out: &mut [T]) {
    T::block_uniforms(backend, BlockUniforms { seed, block, out });
}

pub use crate::kernels::density::ln_gamma_count;
pub use crate::rng::{BLOCK_ELEMENTS, lane_seed, rows_per_block, vectors_per_row};
pub use crate::validate::value_tolerance;
