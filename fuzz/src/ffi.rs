//! The C ABI as the fuzz targets call it: `extern "C"` declarations of the
//! `relaxcat_*` symbols (resolved against the relaxcat rlib, exactly the
//! functions a C program links) gathered per element type into an [`Api`]
//! table, so one generic driver exercises both `_f32` and `_f64`.

use std::ffi::{c_char, c_void};

/// An opaque handle (`relaxcat_dist_T`, `relaxcat_generator`, `relaxcat_context`).
pub type Handle = c_void;

/// `relaxcat_status` codes (include/relaxcat.h).
pub const OK: i32 = 0;
/// RELAXCAT_ERROR_NULL_POINTER.
pub const NULL_POINTER: i32 = 1;
/// RELAXCAT_ERROR_INVALID_SHAPE.
pub const INVALID_SHAPE: i32 = 2;
/// RELAXCAT_ERROR_SIZE_OVERFLOW.
pub const SIZE_OVERFLOW: i32 = 3;
/// RELAXCAT_ERROR_ALIASING.
pub const ALIASING: i32 = 9;
/// RELAXCAT_ERROR_INTERNAL: a caught panic, always a bug.
pub const INTERNAL: i32 = 11;

unsafe extern "C" {
    pub fn relaxcat_context_new(
        threads: usize,
        backend: *const c_char,
        out: *mut *mut Handle,
    ) -> i32;
    pub fn relaxcat_context_free(ctx: *mut Handle) -> i32;
    pub fn relaxcat_context_threads(ctx: *const Handle, out: *mut usize) -> i32;
    pub fn relaxcat_context_backend(ctx: *const Handle, out: *mut *const c_char) -> i32;
    pub fn relaxcat_generator_new(seed: u64, out: *mut *mut Handle) -> i32;
    pub fn relaxcat_generator_free(g: *mut Handle) -> i32;
    pub fn relaxcat_generator_seed(g: *const Handle, out: *mut u64) -> i32;
    pub fn relaxcat_generator_position(g: *const Handle, out: *mut u64) -> i32;
    pub fn relaxcat_generator_set_position(g: *mut Handle, position: u64) -> i32;
    pub fn relaxcat_generator_take(g: *mut Handle, rows: u64, offset: *mut u64) -> i32;
    pub fn relaxcat_status_str(status: i32) -> *const c_char;
    pub fn relaxcat_last_error_message() -> *const c_char;
    pub fn relaxcat_version_string() -> *const c_char;
    pub fn relaxcat_version(major: *mut u32, minor: *mut u32, patch: *mut u32) -> i32;
    pub fn relaxcat_abi_version() -> u32;
}

type D = *const Handle;
type G = *mut Handle;
type Ctx = *const Handle;

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
    *mut *mut Handle,
) -> i32;
/// A size_t attribute.
pub type SizeAttr = unsafe extern "C" fn(D, *mut usize) -> i32;
/// `_temperature`, `_probs`, `_logits`: copy out with a length or ld.
pub type CopyOut<T> = unsafe extern "C" fn(D, *mut T, usize) -> i32;
/// `_param`, `_validates`.
pub type I32Attr = unsafe extern "C" fn(D, *mut i32) -> i32;
/// `_rsample`, `_sample`, `_rsample_log`.
pub type GenSample<T> = unsafe extern "C" fn(D, G, usize, *mut T, usize) -> i32;
/// `_rsample_hard`, `_rsample_with_log`.
pub type GenSample2<T> = unsafe extern "C" fn(D, G, usize, *mut T, usize, *mut T, usize) -> i32;
/// `_rsample_hard_with_log`.
pub type GenSample3<T> =
    unsafe extern "C" fn(D, G, usize, *mut T, usize, *mut T, usize, *mut T, usize) -> i32;
/// `_rsample_rows`, `_rsample_log_rows`.
pub type RowsSample<T> = unsafe extern "C" fn(D, u64, u64, usize, usize, *mut T, usize) -> i32;
/// `_rsample_hard_rows`, `_rsample_with_log_rows`.
pub type RowsSample2<T> =
    unsafe extern "C" fn(D, u64, u64, usize, usize, *mut T, usize, *mut T, usize) -> i32;
/// `_rsample_hard_with_log_rows`.
pub type RowsSample3<T> = unsafe extern "C" fn(
    D,
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
) -> i32;
/// `_log_prob`, `_log_prob_x`.
pub type LogProb<T> = unsafe extern "C" fn(D, usize, *const T, usize, *mut T) -> i32;
/// `_rsample_backward`, `_rsample_hard_backward`, `_rsample_log_backward`.
pub type SampleBackward<T> = unsafe extern "C" fn(
    D,
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
) -> i32;
/// `_log_prob_backward`, `_log_prob_x_backward`.
pub type LogProbBackward<T> = unsafe extern "C" fn(
    D,
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
) -> i32;
/// `relaxcat_logsumexp_T`.
pub type Logsumexp<T> = unsafe extern "C" fn(Ctx, usize, usize, *const T, usize, *mut T) -> i32;
/// `relaxcat_softmax_T`, `relaxcat_log_softmax_T`.
pub type RowMap<T> = unsafe extern "C" fn(Ctx, usize, usize, *const T, usize, *mut T, usize) -> i32;
/// `relaxcat_gumbel_T`.
pub type Gumbel<T> = unsafe extern "C" fn(Ctx, u64, u64, usize, usize, *mut T, usize) -> i32;

/// `relaxcat_params_T`: the parameters of a one-shot call, read in place.
#[repr(C)]
pub struct Params<T> {
    pub batch_rows: usize,
    pub k: usize,
    pub temperature: *const T,
    pub temperature_len: usize,
    pub probs: *const T,
    pub probs_ld: usize,
    pub logits: *const T,
    pub logits_ld: usize,
    pub flags: u32,
}
/// `relaxcat_rsample_rows_T` (one-shot).
pub type OneShotRows<T> =
    unsafe extern "C" fn(Ctx, *const Params<T>, u64, u64, usize, usize, *mut T, usize) -> i32;
/// `relaxcat_log_prob_T`, `relaxcat_log_prob_x_T` (one-shot).
pub type OneShotLogProb<T> =
    unsafe extern "C" fn(Ctx, *const Params<T>, usize, *const T, usize, *mut T) -> i32;

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
) -> i32;
/// `_rsample_hard_index`.
pub type GenIndex = unsafe extern "C" fn(D, G, usize, *mut i64) -> i32;
/// `_rsample_hard_index_rows`.
pub type RowsIndex = unsafe extern "C" fn(D, u64, u64, usize, usize, *mut i64) -> i32;

/// `RELAXCAT_TOP_K_ALL`.
pub const TOP_K_ALL: usize = usize::MAX;

/// Every entry point of one element type.
pub struct Api<T> {
    pub new: NewFn<T>,
    pub free: unsafe extern "C" fn(*mut Handle) -> i32,
    pub with_context: unsafe extern "C" fn(D, Ctx, *mut *mut Handle) -> i32,
    pub num_categories: SizeAttr,
    pub batch_rows: SizeAttr,
    pub temperature_len: SizeAttr,
    pub temperature: CopyOut<T>,
    pub probs: CopyOut<T>,
    pub logits: CopyOut<T>,
    pub param: I32Attr,
    pub validates: I32Attr,
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
    pub oneshot_log_prob: OneShotLogProb<T>,
    pub oneshot_log_prob_x: OneShotLogProb<T>,
    pub categorical_sample: CategoricalSample<T>,
    pub rsample_hard_index: GenIndex,
    pub rsample_hard_index_rows: RowsIndex,
}

macro_rules! api {
    ($vis:vis $table:ident: $T:ty, [$($field:ident = $sym:ident: $ty:ty),* $(,)?]) => {
        $vis static $table: std::sync::LazyLock<Api<$T>> = std::sync::LazyLock::new(|| {
            // Declared without their arguments; each is called only through
            // the pointer type of its true C signature.
            unsafe extern "C" {
                $(fn $sym();)*
            }
            // SAFETY: each symbol is the relaxcat function of that name,
            // whose C signature is `$ty` (include/relaxcat.h).
            unsafe {
                Api {
                    $($field: std::mem::transmute::<unsafe extern "C" fn(), $ty>($sym as unsafe extern "C" fn()),)*
                }
            }
        });
    };
}

api!(pub F32: f32, [
    new = relaxcat_dist_f32_new: NewFn<f32>,
    free = relaxcat_dist_f32_free: unsafe extern "C" fn(*mut Handle) -> i32,
    with_context = relaxcat_dist_f32_with_context: unsafe extern "C" fn(D, Ctx, *mut *mut Handle) -> i32,
    num_categories = relaxcat_dist_f32_num_categories: SizeAttr,
    batch_rows = relaxcat_dist_f32_batch_rows: SizeAttr,
    temperature_len = relaxcat_dist_f32_temperature_len: SizeAttr,
    temperature = relaxcat_dist_f32_temperature: CopyOut<f32>,
    probs = relaxcat_dist_f32_probs: CopyOut<f32>,
    logits = relaxcat_dist_f32_logits: CopyOut<f32>,
    param = relaxcat_dist_f32_param: I32Attr,
    validates = relaxcat_dist_f32_validates: I32Attr,
    rsample = relaxcat_dist_f32_rsample: GenSample<f32>,
    sample = relaxcat_dist_f32_sample: GenSample<f32>,
    rsample_log = relaxcat_dist_f32_rsample_log: GenSample<f32>,
    rsample_hard = relaxcat_dist_f32_rsample_hard: GenSample2<f32>,
    rsample_with_log = relaxcat_dist_f32_rsample_with_log: GenSample2<f32>,
    rsample_hard_with_log = relaxcat_dist_f32_rsample_hard_with_log: GenSample3<f32>,
    rsample_rows = relaxcat_dist_f32_rsample_rows: RowsSample<f32>,
    rsample_log_rows = relaxcat_dist_f32_rsample_log_rows: RowsSample<f32>,
    rsample_hard_rows = relaxcat_dist_f32_rsample_hard_rows: RowsSample2<f32>,
    rsample_with_log_rows = relaxcat_dist_f32_rsample_with_log_rows: RowsSample2<f32>,
    rsample_hard_with_log_rows = relaxcat_dist_f32_rsample_hard_with_log_rows: RowsSample3<f32>,
    log_prob = relaxcat_dist_f32_log_prob: LogProb<f32>,
    log_prob_x = relaxcat_dist_f32_log_prob_x: LogProb<f32>,
    rsample_backward = relaxcat_dist_f32_rsample_backward: SampleBackward<f32>,
    rsample_hard_backward = relaxcat_dist_f32_rsample_hard_backward: SampleBackward<f32>,
    rsample_log_backward = relaxcat_dist_f32_rsample_log_backward: SampleBackward<f32>,
    log_prob_backward = relaxcat_dist_f32_log_prob_backward: LogProbBackward<f32>,
    log_prob_x_backward = relaxcat_dist_f32_log_prob_x_backward: LogProbBackward<f32>,
    logsumexp = relaxcat_logsumexp_f32: Logsumexp<f32>,
    softmax = relaxcat_softmax_f32: RowMap<f32>,
    log_softmax = relaxcat_log_softmax_f32: RowMap<f32>,
    gumbel = relaxcat_gumbel_f32: Gumbel<f32>,
    oneshot_rsample_rows = relaxcat_rsample_rows_f32: OneShotRows<f32>,
    oneshot_log_prob = relaxcat_log_prob_f32: OneShotLogProb<f32>,
    oneshot_log_prob_x = relaxcat_log_prob_x_f32: OneShotLogProb<f32>,
    categorical_sample = relaxcat_categorical_sample_f32: CategoricalSample<f32>,
    rsample_hard_index = relaxcat_dist_f32_rsample_hard_index: GenIndex,
    rsample_hard_index_rows = relaxcat_dist_f32_rsample_hard_index_rows: RowsIndex,
]);

api!(pub F64: f64, [
    new = relaxcat_dist_f64_new: NewFn<f64>,
    free = relaxcat_dist_f64_free: unsafe extern "C" fn(*mut Handle) -> i32,
    with_context = relaxcat_dist_f64_with_context: unsafe extern "C" fn(D, Ctx, *mut *mut Handle) -> i32,
    num_categories = relaxcat_dist_f64_num_categories: SizeAttr,
    batch_rows = relaxcat_dist_f64_batch_rows: SizeAttr,
    temperature_len = relaxcat_dist_f64_temperature_len: SizeAttr,
    temperature = relaxcat_dist_f64_temperature: CopyOut<f64>,
    probs = relaxcat_dist_f64_probs: CopyOut<f64>,
    logits = relaxcat_dist_f64_logits: CopyOut<f64>,
    param = relaxcat_dist_f64_param: I32Attr,
    validates = relaxcat_dist_f64_validates: I32Attr,
    rsample = relaxcat_dist_f64_rsample: GenSample<f64>,
    sample = relaxcat_dist_f64_sample: GenSample<f64>,
    rsample_log = relaxcat_dist_f64_rsample_log: GenSample<f64>,
    rsample_hard = relaxcat_dist_f64_rsample_hard: GenSample2<f64>,
    rsample_with_log = relaxcat_dist_f64_rsample_with_log: GenSample2<f64>,
    rsample_hard_with_log = relaxcat_dist_f64_rsample_hard_with_log: GenSample3<f64>,
    rsample_rows = relaxcat_dist_f64_rsample_rows: RowsSample<f64>,
    rsample_log_rows = relaxcat_dist_f64_rsample_log_rows: RowsSample<f64>,
    rsample_hard_rows = relaxcat_dist_f64_rsample_hard_rows: RowsSample2<f64>,
    rsample_with_log_rows = relaxcat_dist_f64_rsample_with_log_rows: RowsSample2<f64>,
    rsample_hard_with_log_rows = relaxcat_dist_f64_rsample_hard_with_log_rows: RowsSample3<f64>,
    log_prob = relaxcat_dist_f64_log_prob: LogProb<f64>,
    log_prob_x = relaxcat_dist_f64_log_prob_x: LogProb<f64>,
    rsample_backward = relaxcat_dist_f64_rsample_backward: SampleBackward<f64>,
    rsample_hard_backward = relaxcat_dist_f64_rsample_hard_backward: SampleBackward<f64>,
    rsample_log_backward = relaxcat_dist_f64_rsample_log_backward: SampleBackward<f64>,
    log_prob_backward = relaxcat_dist_f64_log_prob_backward: LogProbBackward<f64>,
    log_prob_x_backward = relaxcat_dist_f64_log_prob_x_backward: LogProbBackward<f64>,
    logsumexp = relaxcat_logsumexp_f64: Logsumexp<f64>,
    softmax = relaxcat_softmax_f64: RowMap<f64>,
    log_softmax = relaxcat_log_softmax_f64: RowMap<f64>,
    gumbel = relaxcat_gumbel_f64: Gumbel<f64>,
    oneshot_rsample_rows = relaxcat_rsample_rows_f64: OneShotRows<f64>,
    oneshot_log_prob = relaxcat_log_prob_f64: OneShotLogProb<f64>,
    oneshot_log_prob_x = relaxcat_log_prob_x_f64: OneShotLogProb<f64>,
    categorical_sample = relaxcat_categorical_sample_f64: CategoricalSample<f64>,
    rsample_hard_index = relaxcat_dist_f64_rsample_hard_index: GenIndex,
    rsample_hard_index_rows = relaxcat_dist_f64_rsample_hard_index_rows: RowsIndex,
]);
