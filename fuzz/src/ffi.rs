//! The C ABI as the fuzz targets call it: the library's own declarations
//! (`relaxcat::ffi`, the `extern "C"` functions a C program links, with
//! their typed handles and `relaxcat_status`) gathered per element type
//! into an [`Api`] table, so one generic driver exercises both `_f32` and
//! `_f64`. `F32` and `F64` are filled with the functions themselves: the
//! coercion of each to its field's pointer type checks its signature.

use crate::Real;
use relaxcat::ffi::*;

/// What the C ABI has per element type.
pub trait CAbi: Real {
    /// `relaxcat_dist_T`, the opaque distribution handle.
    type Dist;
    /// `relaxcat_params_T`, the parameters of a one-shot call.
    type Params: Copy;

    /// A `relaxcat_params_T` of its nine fields, in declaration order.
    #[allow(clippy::too_many_arguments)]
    fn params(
        batch_rows: usize,
        k: usize,
        temperature: *const Self,
        temperature_len: usize,
        probs: *const Self,
        probs_ld: usize,
        logits: *const Self,
        logits_ld: usize,
        flags: u32,
    ) -> Self::Params;
}

macro_rules! c_abi {
    ($T:ty, $dist:ty, $params:ident) => {
        impl CAbi for $T {
            type Dist = $dist;
            type Params = $params;

            fn params(
                batch_rows: usize,
                k: usize,
                temperature: *const $T,
                temperature_len: usize,
                probs: *const $T,
                probs_ld: usize,
                logits: *const $T,
                logits_ld: usize,
                flags: u32,
            ) -> $params {
                $params {
                    batch_rows,
                    k,
                    temperature,
                    temperature_len,
                    probs,
                    probs_ld,
                    logits,
                    logits_ld,
                    flags,
                }
            }
        }
    };
}

c_abi!(f32, relaxcat_dist_f32, relaxcat_params_f32);
c_abi!(f64, relaxcat_dist_f64, relaxcat_params_f64);

/// `const relaxcat_dist_T *`.
type D<T> = *const <T as CAbi>::Dist;
/// `relaxcat_generator *`.
type G = *mut relaxcat_generator;
/// `const relaxcat_context *`.
type Ctx = *const relaxcat_context;
/// `relaxcat_status`.
type S = relaxcat_status;

/// `relaxcat_dist_T_new`.
pub type NewFn<T> = unsafe extern "C" fn(
    Ctx,
    usize,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    u32,
    *mut *mut <T as CAbi>::Dist,
) -> S;
/// `relaxcat_dist_T_free`.
pub type FreeFn<T> = unsafe extern "C" fn(*mut <T as CAbi>::Dist) -> S;
/// `relaxcat_dist_T_with_context`.
pub type WithContext<T> = unsafe extern "C" fn(D<T>, Ctx, *mut *mut <T as CAbi>::Dist) -> S;
/// An attribute written to `*out` (`size_t`, `relaxcat_param`, `int`).
pub type Attr<T, V> = unsafe extern "C" fn(D<T>, *mut V) -> S;
/// `_temperature`, `_probs`, `_logits`: copy out with a length or ld.
pub type CopyOut<T> = unsafe extern "C" fn(D<T>, *mut T, usize) -> S;
/// `_rsample`, `_sample`, `_rsample_log`.
pub type GenSample<T> = unsafe extern "C" fn(D<T>, G, usize, *mut T, usize) -> S;
/// `_rsample_hard`, `_rsample_with_log`.
pub type GenSample2<T> = unsafe extern "C" fn(D<T>, G, usize, *mut T, usize, *mut T, usize) -> S;
/// `_rsample_hard_with_log`.
pub type GenSample3<T> =
    unsafe extern "C" fn(D<T>, G, usize, *mut T, usize, *mut T, usize, *mut T, usize) -> S;
/// `_rsample_rows`, `_rsample_log_rows`.
pub type RowsSample<T> = unsafe extern "C" fn(D<T>, u64, u64, usize, usize, *mut T, usize) -> S;
/// `_rsample_hard_rows`, `_rsample_with_log_rows`.
pub type RowsSample2<T> =
    unsafe extern "C" fn(D<T>, u64, u64, usize, usize, *mut T, usize, *mut T, usize) -> S;
/// `_rsample_hard_with_log_rows`.
pub type RowsSample3<T> = unsafe extern "C" fn(
    D<T>,
    u64,
    u64,
    usize,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
) -> S;
/// `_log_prob`, `_log_prob_x`.
pub type LogProb<T> = unsafe extern "C" fn(D<T>, usize, *const T, usize, *mut T) -> S;
/// `_rsample_backward`, `_rsample_hard_backward`, `_rsample_log_backward`.
pub type SampleBackward<T> = unsafe extern "C" fn(
    D<T>,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    *mut T,
    usize,
    *const T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
) -> S;
/// `_log_prob_backward`, `_log_prob_x_backward`.
pub type LogProbBackward<T> = unsafe extern "C" fn(
    D<T>,
    usize,
    *const T,
    usize,
    *const T,
    *mut T,
    usize,
    *const T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
) -> S;
/// `relaxcat_logsumexp_T`.
pub type Logsumexp<T> = unsafe extern "C" fn(Ctx, usize, usize, *const T, usize, *mut T) -> S;
/// `relaxcat_softmax_T`, `relaxcat_log_softmax_T`.
pub type RowMap<T> = unsafe extern "C" fn(Ctx, usize, usize, *const T, usize, *mut T, usize) -> S;
/// `relaxcat_gumbel_T`.
pub type Gumbel<T> = unsafe extern "C" fn(Ctx, u64, u64, usize, usize, *mut T, usize) -> S;
/// `relaxcat_rsample_rows_T` (one-shot).
pub type OneShotRows<T> = unsafe extern "C" fn(
    Ctx,
    *const <T as CAbi>::Params,
    u64,
    u64,
    usize,
    usize,
    *mut T,
    usize,
) -> S;
/// `relaxcat_rsample_hard_rows_T`, `relaxcat_rsample_with_log_rows_T`
/// (one-shot).
pub type OneShotRows2<T> = unsafe extern "C" fn(
    Ctx,
    *const <T as CAbi>::Params,
    u64,
    u64,
    usize,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
) -> S;
/// `relaxcat_rsample_backward_T`, `relaxcat_rsample_log_backward_T`
/// (one-shot): the handle's form without the given-probs argument.
pub type OneShotSampleBackward<T> = unsafe extern "C" fn(
    Ctx,
    *const <T as CAbi>::Params,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
) -> S;
/// `relaxcat_log_prob_backward_T`, `relaxcat_log_prob_x_backward_T`
/// (one-shot).
pub type OneShotLogProbBackward<T> = unsafe extern "C" fn(
    Ctx,
    *const <T as CAbi>::Params,
    usize,
    *const T,
    usize,
    *const T,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
) -> S;
/// `relaxcat_log_prob_T`, `relaxcat_log_prob_x_T` (one-shot).
pub type OneShotLogProb<T> =
    unsafe extern "C" fn(Ctx, *const <T as CAbi>::Params, usize, *const T, usize, *mut T) -> S;
/// `relaxcat_categorical_sample_T`.
pub type CategoricalSample<T> = unsafe extern "C" fn(
    Ctx,
    usize,
    usize,
    *const T,
    usize,
    *const T,
    usize,
    usize,
    u32,
    u64,
    u64,
    usize,
    usize,
    *mut i64,
    *mut T,
) -> S;
/// `_rsample_hard_index`.
pub type GenIndex<T> = unsafe extern "C" fn(D<T>, G, usize, *mut i64) -> S;
/// `_rsample_hard_index_rows`.
pub type RowsIndex<T> = unsafe extern "C" fn(D<T>, u64, u64, usize, usize, *mut i64) -> S;

/// Every entry point of one element type.
pub struct Api<T: CAbi> {
    pub new: NewFn<T>,
    pub free: FreeFn<T>,
    pub with_context: WithContext<T>,
    pub num_categories: Attr<T, usize>,
    pub batch_rows: Attr<T, usize>,
    pub temperature_len: Attr<T, usize>,
    pub temperature: CopyOut<T>,
    pub probs: CopyOut<T>,
    pub logits: CopyOut<T>,
    pub param: Attr<T, relaxcat_param>,
    pub validates: Attr<T, i32>,
    pub rsample: GenSample<T>,
    pub sample: GenSample<T>,
    pub rsample_log: GenSample<T>,
    pub rsample_hard: GenSample2<T>,
    pub rsample_with_log: GenSample2<T>,
    pub rsample_hard_with_log: GenSample3<T>,
    pub rsample_rows: RowsSample<T>,
    pub rsample_log_rows: RowsSample<T>,
    pub rsample_hard_rows: RowsSample2<T>,
    pub rsample_with_log_rows: RowsSample2<T>,
    pub rsample_hard_with_log_rows: RowsSample3<T>,
    pub log_prob: LogProb<T>,
    pub log_prob_x: LogProb<T>,
    pub rsample_backward: SampleBackward<T>,
    pub rsample_hard_backward: SampleBackward<T>,
    pub rsample_log_backward: SampleBackward<T>,
    pub log_prob_backward: LogProbBackward<T>,
    pub log_prob_x_backward: LogProbBackward<T>,
    pub logsumexp: Logsumexp<T>,
    pub softmax: RowMap<T>,
    pub log_softmax: RowMap<T>,
    pub gumbel: Gumbel<T>,
    pub oneshot_rsample_rows: OneShotRows<T>,
    pub oneshot_rsample_log_rows: OneShotRows<T>,
    pub oneshot_rsample_hard_rows: OneShotRows2<T>,
    pub oneshot_rsample_with_log_rows: OneShotRows2<T>,
    pub oneshot_rsample_backward: OneShotSampleBackward<T>,
    pub oneshot_rsample_log_backward: OneShotSampleBackward<T>,
    pub oneshot_log_prob_backward: OneShotLogProbBackward<T>,
    pub oneshot_log_prob_x_backward: OneShotLogProbBackward<T>,
    pub oneshot_log_prob: OneShotLogProb<T>,
    pub oneshot_log_prob_x: OneShotLogProb<T>,
    pub categorical_sample: CategoricalSample<T>,
    pub rsample_hard_index: GenIndex<T>,
    pub rsample_hard_index_rows: RowsIndex<T>,
}

/// The `f32` entry points.
pub static F32: Api<f32> = Api {
    new: relaxcat_dist_f32_new,
    free: relaxcat_dist_f32_free,
    with_context: relaxcat_dist_f32_with_context,
    num_categories: relaxcat_dist_f32_num_categories,
    batch_rows: relaxcat_dist_f32_batch_rows,
    temperature_len: relaxcat_dist_f32_temperature_len,
    temperature: relaxcat_dist_f32_temperature,
    probs: relaxcat_dist_f32_probs,
    logits: relaxcat_dist_f32_logits,
    param: relaxcat_dist_f32_param,
    validates: relaxcat_dist_f32_validates,
    rsample: relaxcat_dist_f32_rsample,
    sample: relaxcat_dist_f32_sample,
    rsample_log: relaxcat_dist_f32_rsample_log,
    rsample_hard: relaxcat_dist_f32_rsample_hard,
    rsample_with_log: relaxcat_dist_f32_rsample_with_log,
    rsample_hard_with_log: relaxcat_dist_f32_rsample_hard_with_log,
    rsample_rows: relaxcat_dist_f32_rsample_rows,
    rsample_log_rows: relaxcat_dist_f32_rsample_log_rows,
    rsample_hard_rows: relaxcat_dist_f32_rsample_hard_rows,
    rsample_with_log_rows: relaxcat_dist_f32_rsample_with_log_rows,
    rsample_hard_with_log_rows: relaxcat_dist_f32_rsample_hard_with_log_rows,
    log_prob: relaxcat_dist_f32_log_prob,
    log_prob_x: relaxcat_dist_f32_log_prob_x,
    rsample_backward: relaxcat_dist_f32_rsample_backward,
    rsample_hard_backward: relaxcat_dist_f32_rsample_hard_backward,
    rsample_log_backward: relaxcat_dist_f32_rsample_log_backward,
    log_prob_backward: relaxcat_dist_f32_log_prob_backward,
    log_prob_x_backward: relaxcat_dist_f32_log_prob_x_backward,
    logsumexp: relaxcat_logsumexp_f32,
    softmax: relaxcat_softmax_f32,
    log_softmax: relaxcat_log_softmax_f32,
    gumbel: relaxcat_gumbel_f32,
    oneshot_rsample_rows: relaxcat_rsample_rows_f32,
    oneshot_rsample_log_rows: relaxcat_rsample_log_rows_f32,
    oneshot_rsample_hard_rows: relaxcat_rsample_hard_rows_f32,
    oneshot_rsample_with_log_rows: relaxcat_rsample_with_log_rows_f32,
    oneshot_rsample_backward: relaxcat_rsample_backward_f32,
    oneshot_rsample_log_backward: relaxcat_rsample_log_backward_f32,
    oneshot_log_prob_backward: relaxcat_log_prob_backward_f32,
    oneshot_log_prob_x_backward: relaxcat_log_prob_x_backward_f32,
    oneshot_log_prob: relaxcat_log_prob_f32,
    oneshot_log_prob_x: relaxcat_log_prob_x_f32,
    categorical_sample: relaxcat_categorical_sample_f32,
    rsample_hard_index: relaxcat_dist_f32_rsample_hard_index,
    rsample_hard_index_rows: relaxcat_dist_f32_rsample_hard_index_rows,
};

/// The `f64` entry points.
pub static F64: Api<f64> = Api {
    new: relaxcat_dist_f64_new,
    free: relaxcat_dist_f64_free,
    with_context: relaxcat_dist_f64_with_context,
    num_categories: relaxcat_dist_f64_num_categories,
    batch_rows: relaxcat_dist_f64_batch_rows,
    temperature_len: relaxcat_dist_f64_temperature_len,
    temperature: relaxcat_dist_f64_temperature,
    probs: relaxcat_dist_f64_probs,
    logits: relaxcat_dist_f64_logits,
    param: relaxcat_dist_f64_param,
    validates: relaxcat_dist_f64_validates,
    rsample: relaxcat_dist_f64_rsample,
    sample: relaxcat_dist_f64_sample,
    rsample_log: relaxcat_dist_f64_rsample_log,
    rsample_hard: relaxcat_dist_f64_rsample_hard,
    rsample_with_log: relaxcat_dist_f64_rsample_with_log,
    rsample_hard_with_log: relaxcat_dist_f64_rsample_hard_with_log,
    rsample_rows: relaxcat_dist_f64_rsample_rows,
    rsample_log_rows: relaxcat_dist_f64_rsample_log_rows,
    rsample_hard_rows: relaxcat_dist_f64_rsample_hard_rows,
    rsample_with_log_rows: relaxcat_dist_f64_rsample_with_log_rows,
    rsample_hard_with_log_rows: relaxcat_dist_f64_rsample_hard_with_log_rows,
    log_prob: relaxcat_dist_f64_log_prob,
    log_prob_x: relaxcat_dist_f64_log_prob_x,
    rsample_backward: relaxcat_dist_f64_rsample_backward,
    rsample_hard_backward: relaxcat_dist_f64_rsample_hard_backward,
    rsample_log_backward: relaxcat_dist_f64_rsample_log_backward,
    log_prob_backward: relaxcat_dist_f64_log_prob_backward,
    log_prob_x_backward: relaxcat_dist_f64_log_prob_x_backward,
    logsumexp: relaxcat_logsumexp_f64,
    softmax: relaxcat_softmax_f64,
    log_softmax: relaxcat_log_softmax_f64,
    gumbel: relaxcat_gumbel_f64,
    oneshot_rsample_rows: relaxcat_rsample_rows_f64,
    oneshot_rsample_log_rows: relaxcat_rsample_log_rows_f64,
    oneshot_rsample_hard_rows: relaxcat_rsample_hard_rows_f64,
    oneshot_rsample_with_log_rows: relaxcat_rsample_with_log_rows_f64,
    oneshot_rsample_backward: relaxcat_rsample_backward_f64,
    oneshot_rsample_log_backward: relaxcat_rsample_log_backward_f64,
    oneshot_log_prob_backward: relaxcat_log_prob_backward_f64,
    oneshot_log_prob_x_backward: relaxcat_log_prob_x_backward_f64,
    oneshot_log_prob: relaxcat_log_prob_f64,
    oneshot_log_prob_x: relaxcat_log_prob_x_f64,
    categorical_sample: relaxcat_categorical_sample_f64,
    rsample_hard_index: relaxcat_dist_f64_rsample_hard_index,
    rsample_hard_index_rows: relaxcat_dist_f64_rsample_hard_index_rows,
};
