//! Choosing a backend once and entering it.
//!
//! The best backend the CPU has is detected on first use and cached in an
//! atomic; `RELAXCAT_FORCE_BACKEND=scalar|portable|avx2|avx512vl` (read once) or an
//! explicit [`Backend`] in the execution options overrides it. A kernel is a
//! value implementing [`Kernel`]; [`dispatch`] calls its generic `run` with
//! the chosen backend's vector type, for AVX2 from inside a
//! `#[target_feature(enable = "avx2,fma")]` function so that every
//! `#[inline(always)]` method below it compiles to AVX2 code.
//!
//! On a CPU with AVX-512VL the same AVX2 kernels are entered through a
//! function that also enables `avx512f,avx512vl`: the operations stay
//! 256-bit and bit-identical, but the compiler may use EVEX encodings and
//! 32 vector registers instead of 16, which removes the spills of the
//! register-hungry kernels (exp, ln and the row state of eight xoshiro
//! lanes live at once). Measured on an AMD EPYC of CPU family 26 (Zen 5): up to 10% faster, the speed
//! of a `-C target-cpu=native` build.
//!
//! Under Miri (`cfg(miri)`, scripts/miri.sh) the AVX2 and AVX-512VL
//! backends report unavailable: never chosen, refused by `Exec`, and
//! [`dispatch`] falls back as on a CPU without them. The default there is
//! [`Backend::Scalar`], the plain-Rust reference, as BLAKE3 and memchr
//! fall back to their portable code under Miri: its every operation is
//! ordinary Rust that Miri checks fully, whereas the portable backend goes
//! through `wide`'s SSE2 intrinsics, which Miri emulates with shims of its
//! own. The portable backend stays available (it runs under Miri), so the
//! tests that loop over [`Backend::available`] check both.

use super::{Real, Vector};
use std::sync::atomic::{AtomicU8, Ordering};

/// A SIMD backend. Every backend gives bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Plain Rust over 8-element arrays; the reference, on every target.
    Scalar,
    /// `wide` vectors (NEON on aarch64, SSE2 on a default x86_64 build).
    Portable,
    /// Hand-written AVX2 + FMA, x86_64 only, selected at run time.
    Avx2,
    /// The AVX2 kernels compiled with AVX-512F and AVX-512VL enabled (EVEX
    /// encodings, 32 registers; the same 256-bit operations and bits).
    Avx512vl,
}

const UNSET: u8 = 0;
static DEFAULT: AtomicU8 = AtomicU8::new(UNSET);

impl Backend {
    /// Every backend, best last.
    pub const ALL: [Backend; 4] = [
        Backend::Scalar,
        Backend::Portable,
        Backend::Avx2,
        Backend::Avx512vl,
    ];

    /// The lower-case name used by `RELAXCAT_FORCE_BACKEND` and messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Portable => "portable",
            Backend::Avx2 => "avx2",
            Backend::Avx512vl => "avx512vl",
        }
    }

    /// Parses a name as printed by [`Backend::name`].
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar | Backend::Portable => true,
            Backend::Avx2 => avx2_detected(),
            Backend::Avx512vl => avx512vl_detected(),
        }
    }

    /// The backends this CPU can run.
    pub fn available() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }

    /// The backend used when none is asked for: `RELAXCAT_FORCE_BACKEND` if
    /// set to an available backend, else the best one the CPU has (under
    /// Miri, scalar: see the module docs). Decided once per process.
    pub fn default_choice() -> Backend {
        match DEFAULT.load(Ordering::Relaxed) {
            UNSET => {
                let forced = std::env::var("RELAXCAT_FORCE_BACKEND")
                    .ok()
                    .and_then(|s| Backend::from_name(&s))
                    .filter(|b| b.is_available());
                let best = if avx512vl_detected() {
                    Backend::Avx512vl
                } else if avx2_detected() {
                    Backend::Avx2
                } else if cfg!(miri) {
                    // See the module docs.
                    Backend::Scalar
                } else {
                    Backend::Portable
                };
                let chosen = forced.unwrap_or(best);
                DEFAULT.store(chosen.code(), Ordering::Relaxed);
                chosen
            }
            code => Backend::from_code(code),
        }
    }

    fn code(self) -> u8 {
        match self {
            Backend::Scalar => 1,
            Backend::Portable => 2,
            Backend::Avx2 => 3,
            Backend::Avx512vl => 4,
        }
    }

    fn from_code(code: u8) -> Backend {
        match code {
            1 => Backend::Scalar,
            3 => Backend::Avx2,
            4 => Backend::Avx512vl,
            _ => Backend::Portable,
        }
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn avx2_detected() -> bool {
    // std caches the CPUID result, so this is a load and a test.
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Never under Miri (see the module docs), nor off x86_64.
#[cfg(any(not(target_arch = "x86_64"), miri))]
fn avx2_detected() -> bool {
    false
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn avx512vl_detected() -> bool {
    avx2_detected()
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512vl")
}

/// Never under Miri (see the module docs), nor off x86_64.
#[cfg(any(not(target_arch = "x86_64"), miri))]
fn avx512vl_detected() -> bool {
    false
}

/// A kernel written once over [`Vector`], run on a backend by [`dispatch`].
pub trait Kernel<T: Real> {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel with vector type `V`. Implementations are
    /// `#[inline(always)]` so they compile with the caller's target features.
    fn run<V: Vector<Elem = T>>(self) -> Self::Output;
}

/// Runs `kernel` on `backend`; a backend the CPU lacks falls back to the
/// portable one (it is never entered).
#[inline]
pub fn dispatch<T: Real, K: Kernel<T>>(backend: Backend, kernel: K) -> K::Output {
    match backend {
        Backend::Scalar => kernel.run::<T::Scalar>(),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 if avx2_detected() => {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { run_avx2::<T, K>(kernel) }
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512vl if avx512vl_detected() => {
            // SAFETY: the CPU has AVX2, FMA, AVX-512F and AVX-512VL.
            unsafe { run_avx512vl::<T, K>(kernel) }
        }
        _ => kernel.run::<T::Portable>(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<T: Real, K: Kernel<T>>(kernel: K) -> K::Output {
    kernel.run::<T::Avx2>()
}

/// The AVX2 kernels with AVX-512F/VL also enabled (see the module docs).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
fn run_avx512vl<T: Real, K: Kernel<T>>(kernel: K) -> K::Output {
    kernel.run::<T::Avx2>()
}
