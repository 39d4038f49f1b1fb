#ifndef SOAK_TYPED
/* The soak of relaxcat's C ABI under concurrent C threads (issue 15, item
 * 4): N pthreads (16 by default) hammer the library at once, each with its
 * own context (1 thread, or a pool of 2, rebuilt every round, on one of
 * the SIMD backends the CPU has), its own generator and its own stream
 * (seed, offset), over distributions that main builds once and all threads
 * share: f32 and f64; logits and probs forms; a scalar and per-row
 * temperatures; one with masked (-inf) categories; one on a shared 2-thread
 * pool, one with no context, one on a serial context, plus each thread's
 * own copy (relaxcat_dist_*_with_context) on its context.
 *
 * What a thread runs: a round is every case of a fixed table, in an order
 * of the thread's own (a permutation seeded by its index), then the next
 * round repeats it. A case is one call (or a few) of: the generator
 * samplers and their stateless *_rows stream forms (soft, log, hard,
 * with_log, hard_with_log, hard indices), log_prob and log_prob_x, the
 * backward passes, the row kernels (logsumexp, softmax in and out of place,
 * log_softmax, gumbel), the one-shot functions, categorical sampling, the
 * accessors, a with_context copy made and freed; small calls that stay on
 * the caller's thread and large ones (>= 32768 elements,
 * PARALLEL_MIN_ELEMENTS) that use the pools; strided outputs whose padding
 * must stay untouched. Some cases are errors on purpose (a NULL output, a
 * leading dimension below K, a bad temperature, ...; 41 kinds): every
 * thread causes each kind once a round, at slots that depend on its index,
 * so threads side by side break different things, and most messages carry
 * a value of the thread's own (its index in a temperature, a row, a
 * length, or its buffer's address).
 *
 * What is checked, every iteration: the status; an empty
 * relaxcat_last_error_message after a success; the outputs (all of each
 * buffer a call may touch, padding included, sentinel-filled first) and
 * the generator position, memcmp-equal to the serial recomputation that
 * main makes before starting the threads: the same case sequence, on the
 * same stream rows (the thread's seed and offsets, a generator of the
 * thread's seed reset to the same position at each round start), on a
 * serial context and serial copies of the distributions. Results depend
 * only on the seed and stream rows (never on threads, backend or
 * context), so each iteration's expected value is known. For an error: the
 * status, the thread's message equal (strcmp) to the one main recorded for
 * that thread and error (which must contain the function, the parameter
 * and the thread's value), the outputs still sentinel, an out-handle
 * unwritten and the generator unmoved.
 *
 * RSS: VmRSS from /proc/self/status after a warm-up (a time, and at least
 * one round by every thread, so that every path has allocated once) and at
 * the end, both read at a quiescent point: main pauses every thread
 * between two iterations (no call in flight; each thread holding the same
 * objects: its generator, and a context and copies it has just rebuilt, so
 * that its pool threads are fresh at every reading; the pools freed before
 * have stopped, so the same threads are alive), has glibc return its free
 * pages (malloc_trim(0); --trim 0 skips it), reads, and lets the threads
 * go on (or stop). The growth must be at most 1% of the warm-up value
 * (--rss-limit), with no absolute slack. Why all this: a reading taken
 * while the threads run counts the library's in-flight temporaries of 16
 * threads (measured: 1-2 MiB of noise, more than 1% of the ~75 MiB here),
 * pool threads that have run more kernels have touched more of their
 * stacks, and glibc keeps freed pages inside its arenas resident until it
 * trims them; none of these is memory the library holds. `make soak-long` also
 * runs with GLIBC_TUNABLES=glibc.malloc.tcache_count=0:
 * glibc.malloc.mmap_threshold=65536. The first turns glibc's per-thread
 * caches off (up to 7 freed chunks per size class per thread, with some
 * 35 threads here: the workers, their pools, the shared pool): they count
 * as allocated, cannot be trimmed and fill over minutes (measured with
 * them on: +1.1 MiB malloc'd "in use" and +2.1% RSS in 120 s, with no
 * leak). The second fixes the mmap threshold, which glibc otherwise raises
 * after the first free of a large block: then the library's large
 * temporaries (128-256 KiB, freed at the end of each call) go to the
 * arenas, where they leave a varying number of partly used pages resident
 * (measured: quiescent readings 1.3 MiB apart, about +-0.8%, against
 * 0.2-0.35 MiB with the threshold fixed). A leak, or a cache of the
 * library that grows, shows whatever the tunables. The bytes malloc'd and
 * in use (glibc's mallinfo2, the library's included) are printed beside
 * RSS: a leak raises both, the allocator's own growth only RSS.
 *
 * Under AddressSanitizer the limit is not applied, only printed: ASan
 * keeps freed blocks in a quarantine (256 MiB by default) and in per-thread
 * caches, so RSS climbs in a short run for reasons that are not leaks
 * (measured: +200% in 1 s); there LeakSanitizer (detect_leaks=1, `make
 * soak`) is the leak check, at exit, after every handle has been freed.
 * Note that the warm-up RSS includes the expected results and the threads'
 * buffers, allocated and filled before the threads start (most of the ~75
 * MiB with 16 threads; about 23 MiB with 1).
 *
 * Usage: soak [--threads N] [--seconds S] [--warmup S] [--min-rounds N]
 *             [--rss-limit PCT] [--trim 0|1] [--backend mixed|default|NAME]
 *             [--recycle N] [--trace S] [--only OP] [--verbose]
 * SOAK_THREADS and SOAK_SECONDS set the first two too. --rss-limit below 0
 * only reports; --recycle N rebuilds a thread's context every N rounds (0:
 * never); --trace S prints a quiescent reading every S seconds; --only OP
 * keeps the cases whose operation name contains OP (to chase a finding).
 * Defaults: 16 threads, 3 s, warm-up 10% of the time (at most 60 s), at
 * least 1 round by every thread, 1% (none under ASan), trim, mixed
 * backends, a new context every round.
 *
 * The per-precision part is written once: this file includes itself twice
 * with SOAK_TYPED defined, for float and for double (as test_relaxcat.c
 * does with typed_tests.inc).
 *
 * Built with -std=c99 -Wall -Wextra -Werror -pedantic; `make soak` runs the
 * short form under AddressSanitizer, UBSan and LeakSanitizer. Prints a
 * summary line and "soak: N passed, N failed", and exits non-zero on any
 * failure. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "relaxcat.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SOAK_MALLINFO 1
#endif

/* check.h's counters, for main's set-up checks (one thread). The worker
 * threads count in their own soak_env instead. */
int check_failures = 0;
int check_passes = 0;

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_ASAN 1
#endif
#endif
#ifndef SOAK_ASAN
#define SOAK_ASAN 0
#endif

enum {
    NDIST = 3,          /* distributions per precision */
    NOUT = 6,           /* output buffers a case may write */
    PAD = 3,            /* extra row length of strided buffers */
    MAX_THREADS = 256,
    MSG_MAX = 512,
    MAX_REPORTS = 8     /* failures printed per thread */
};
#define SLOT_BYTES ((size_t)1 << 20)
#define ERR_BYTES ((size_t)32 << 10)
#define PAR_MIN_ELEMENTS 32768 /* src/par.rs, PARALLEL_MIN_ELEMENTS */

/* The operations a case runs. */
enum op {
    OP_RS_ROWS,
    OP_RS_LOG_ROWS,
    OP_RS_HARD_ROWS,
    OP_RS_WITH_LOG_ROWS,
    OP_RS_HARD_WITH_LOG_ROWS,
    OP_HARD_INDEX_ROWS,
    OP_G_RSAMPLE,
    OP_G_SAMPLE,
    OP_G_RSAMPLE_LOG,
    OP_G_RSAMPLE_HARD,
    OP_G_WITH_LOG,
    OP_G_HARD_WITH_LOG,
    OP_G_HARD_INDEX,
    OP_G_TAKE_GUMBEL,
    OP_LOG_PROB,
    OP_LOG_PROB_X,
    OP_RS_BACKWARD,
    OP_RS_HARD_BACKWARD,
    OP_RS_LOG_BACKWARD,
    OP_LP_BACKWARD,
    OP_LPX_BACKWARD,
    OP_LOGSUMEXP,
    OP_SOFTMAX,
    OP_SOFTMAX_INPLACE,
    OP_LOG_SOFTMAX,
    OP_GUMBEL,
    OP_OS_RS_ROWS,
    OP_OS_RS_LOG_ROWS,
    OP_OS_RS_HARD_ROWS,
    OP_OS_WITH_LOG_ROWS,
    OP_OS_LOG_PROB,
    OP_OS_LOG_PROB_X,
    OP_OS_RS_BACKWARD,
    OP_OS_RS_LOG_BACKWARD,
    OP_OS_LP_BACKWARD,
    OP_OS_LPX_BACKWARD,
    OP_CATEGORICAL,
    OP_WITH_CONTEXT,
    OP_ACCESSORS,
    OP_ERROR,
    OP_COUNT
};

/* kind: R a stateless stream form (depends on the seed and offset), G a
 * generator form, V reads value rows (a multiple of B), D deterministic. */
static const struct {
    const char *name;
    char kind;
} ops[OP_COUNT] = {
    {"rsample_rows", 'R'},          {"rsample_log_rows", 'R'},     {"rsample_hard_rows", 'R'},
    {"rsample_with_log_rows", 'R'}, {"rsample_hard_with_log_rows", 'R'}, {"rsample_hard_index_rows", 'R'},
    {"rsample", 'G'},               {"sample", 'G'},               {"rsample_log", 'G'},
    {"rsample_hard", 'G'},          {"rsample_with_log", 'G'},     {"rsample_hard_with_log", 'G'},
    {"rsample_hard_index", 'G'},    {"take+gumbel", 'G'},          {"log_prob", 'V'},
    {"log_prob_x", 'V'},            {"rsample_backward", 'V'},     {"rsample_hard_backward", 'V'},
    {"rsample_log_backward", 'V'},  {"log_prob_backward", 'V'},    {"log_prob_x_backward", 'V'},
    {"logsumexp", 'V'},             {"softmax", 'V'},              {"softmax in place", 'V'},
    {"log_softmax", 'V'},           {"gumbel", 'R'},               {"one-shot rsample_rows", 'R'},
    {"one-shot rsample_log_rows", 'R'}, {"one-shot rsample_hard_rows", 'R'}, {"one-shot rsample_with_log_rows", 'R'},
    {"one-shot log_prob", 'V'},     {"one-shot log_prob_x", 'V'},  {"one-shot rsample_backward", 'V'},
    {"one-shot rsample_log_backward", 'V'}, {"one-shot log_prob_backward", 'V'}, {"one-shot log_prob_x_backward", 'V'},
    {"categorical_sample", 'R'},    {"with_context", 'R'},         {"accessors", 'D'},
    {"error", 'E'},
};

typedef struct {
    int prec;          /* 0: f32, 1: f64 */
    int op;
    int dist;          /* index into the precision's distributions */
    int own;           /* the thread's with_context copy instead of the shared handle */
    int large;         /* >= PAR_MIN_ELEMENTS elements: the pools split it */
    size_t rows;       /* sample rows, value rows, or samples (generator forms) */
    size_t begin;      /* first stream row, or first value row */
    uint64_t offset;   /* added to the thread's stream base */
    unsigned variant;  /* strides, which inputs and outputs */
    int slot;          /* OP_ERROR: the error slot */
} soak_case;

/* A thread's state; main's serial recomputation for thread t uses one too
 * (the reference), sharing the thread's buffers. */
typedef struct {
    int index;
    int reference;                 /* main's serial recomputation */
    const char *backend;           /* NULL: the default */
    relaxcat_context *ctx;
    size_t ctx_threads;
    relaxcat_generator *gen;
    uint64_t seed, base, gen_base; /* the thread's stream */
    relaxcat_dist_f32 *h_f32[2][NDIST]; /* [own][dist] */
    relaxcat_dist_f64 *h_f64[2][NDIST];
    unsigned char *buf[NOUT];
    size_t *perm;                  /* the thread's case order */
    /* counters, read by main after the join */
    unsigned long long iterations, rounds, calls, errors, passes, failures;
    char why[MSG_MAX];             /* the failing call of run_case */
    char msg[MSG_MAX];             /* the message copied right after an error */
} soak_env;

/* Expected outputs of one case: the bytes of each buffer, end to end. */
typedef struct {
    unsigned char *data;
    size_t bytes[NOUT];
    int shared; /* data belongs to thread 0's entry */
} soak_result;

static soak_case *cases;
static size_t ncases;
static soak_result **expected;             /* [thread][case] */
static relaxcat_status *err_status;        /* [thread * NERR + kind] */
static char *err_message;                  /* [thread * NERR + kind][MSG_MAX] */

/* Under progress_lock: the stop and pause requests, the threads paused
 * or gone, and each thread's completed rounds. */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t resume_cond = PTHREAD_COND_INITIALIZER; /* paused threads wait on it */
static pthread_cond_t paused_cond = PTHREAD_COND_INITIALIZER; /* main waits on it */
static int stop_flag, pause_flag, paused_count, gone_count;
static unsigned long long *rounds_done;    /* [thread] */

static char sentinel_object;
static unsigned long long recycle = 1; /* rebuild a thread's context every this many rounds (0: never) */
static int verbose;
static const char *only;   /* --only: keep the cases whose operation name contains this */
static double trace_every;
static int trim_before_reading = 1; /* --trace: a quiesced reading every this many seconds (0: none) */
#define SENTINEL_PTR ((void *)&sentinel_object)

static void fail(soak_env *e, const soak_case *c, const char *fmt, ...) {
    char text[MSG_MAX * 2];
    va_list ap;
    e->failures++;
    if (e->failures > MAX_REPORTS) return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (c != NULL && c->op == OP_ERROR) {
        fprintf(stderr, "soak: thread %d, round %llu, error slot %d: %s\n", e->index, e->rounds, c->slot, text);
    } else if (c != NULL) {
        fprintf(stderr, "soak: %s %d, round %llu, %s %s dist %d%s%s: %s\n", e->reference ? "reference" : "thread",
                e->index, e->rounds, c->prec ? "f64" : "f32", ops[c->op].name, c->dist, c->own ? " (own copy)" : "",
                c->large ? " (large)" : "", text);
    } else {
        fprintf(stderr, "soak: %s %d, round %llu: %s\n", e->reference ? "reference" : "thread", e->index, e->rounds,
                text);
    }
}

/* A call's status and message: OK with an empty message, else why. */
static int call_ok(soak_env *e, relaxcat_status s, const char *what) {
    const char *m = relaxcat_last_error_message();
    if (s != RELAXCAT_OK) {
        snprintf(e->why, sizeof e->why, "%.100s returned %s: %s", what, relaxcat_status_str(s), m ? m : "(NULL)");
        return 0;
    }
    if (m == NULL || m[0] != '\0') {
        snprintf(e->why, sizeof e->why, "%.100s returned OK with the message \"%s\"", what, m ? m : "(NULL)");
        return 0;
    }
    return 1;
}

#define RUN(call)                                                                 \
    do {                                                                          \
        relaxcat_status s_;                                                       \
        e->calls++;                                                               \
        s_ = (call);                                                              \
        if (!call_ok(e, s_, #call)) return s_ == RELAXCAT_OK ? -1 : s_;           \
    } while (0)

/* Output slot `slot`, `n` bytes of it sentinel-filled and recorded. */
static void *slot_buf(soak_env *e, size_t bytes[NOUT], int slot, size_t n) {
    if (n > SLOT_BYTES) {
        fprintf(stderr, "soak: an output of %zu bytes exceeds SLOT_BYTES\n", n);
        abort();
    }
    fill_sentinel(e->buf[slot], n);
    bytes[slot] = n;
    return e->buf[slot];
}

static void put_u64(soak_env *e, size_t bytes[NOUT], int slot, uint64_t v) {
    memcpy(slot_buf(e, bytes, slot, sizeof v), &v, sizeof v);
}

/* The errors on purpose: per precision (TE_*), then a few of the context
 * and generator (UE_*). */
enum {
    TE_NULL_OUT,
    TE_BAD_LD,
    TE_NEW_TEMP,
    TE_REVERSED,
    TE_VALUE_NAN,
    TE_TOPK0,
    TE_GEN_LD,
    TE_OS_LOGITS_NAN,
    TE_ALIAS_SOFTMAX,
    TE_ALIAS_HWL,
    TE_GRAD_T_LEN,
    TE_GUMBEL_LD,
    TE_NEW_PROBS_NEG,
    TE_OVERFLOW,
    TE_LOGX_POS,
    TE_CAT_T_NEG,
    TE_LPB_ROWS,
    TE_NULL_DIST,
    TE_COUNT
};
enum { UE_CTX_BACKEND, UE_CTX_THREADS0, UE_TAKE_NULL, UE_GEN_NEW_NULL, UE_CTX_THREADS_NULL, UE_COUNT };
#define NERR (2 * TE_COUNT + UE_COUNT)
/* Error slots per round: one per kind, so that every thread causes every
 * kind each round; at slot s thread t causes kind (t + s) % NERR, so that
 * threads at the same point of their rounds break different things. */
#define NSLOTS NERR

/* The per-precision part. */
#define SOAK_TYPED 1

#define REAL float
#define DIST relaxcat_dist_f32
#define DIST_FN(v) relaxcat_dist_f32_##v
#define ROW_FN(v) relaxcat_##v##_f32
#define T_FN(v) v##_f32
#define PARAMS relaxcat_params_f32
#define HANDLES h_f32
#define PREC_NAME "f32"
#define SOAK_K0 37
#define SOAK_K1 8
#include "soak.c"
#undef REAL
#undef DIST
#undef DIST_FN
#undef ROW_FN
#undef T_FN
#undef PARAMS
#undef HANDLES
#undef PREC_NAME
#undef SOAK_K0
#undef SOAK_K1

#define REAL double
#define DIST relaxcat_dist_f64
#define DIST_FN(v) relaxcat_dist_f64_##v
#define ROW_FN(v) relaxcat_##v##_f64
#define T_FN(v) v##_f64
#define PARAMS relaxcat_params_f64
#define HANDLES h_f64
#define PREC_NAME "f64"
#define SOAK_K0 29
#define SOAK_K1 5
#include "soak.c"
#undef REAL
#undef DIST
#undef DIST_FN
#undef ROW_FN
#undef T_FN
#undef PARAMS
#undef HANDLES
#undef PREC_NAME
#undef SOAK_K0
#undef SOAK_K1

#undef SOAK_TYPED

static relaxcat_status run_case(soak_env *e, const soak_case *c, size_t bytes[NOUT]) {
    return c->prec ? run_case_f64(e, c, bytes) : run_case_f32(e, c, bytes);
}

/* An error of the context or generator, with the rules of run_error_*. */
static relaxcat_status run_untyped_error(soak_env *e, int kind, char *needle, size_t needle_len, int *untouched) {
    relaxcat_context *made = (relaxcat_context *)SENTINEL_PTR;
    uint64_t before = 0, after = 0;
    char name[32];
    relaxcat_status st = RELAXCAT_OK;
    const unsigned t = (unsigned)e->index;

    *untouched = 1;
    e->calls++;
    if (relaxcat_generator_position(e->gen, &before) != RELAXCAT_OK) *untouched = 0;
    e->calls++;
    switch (kind) {
    case UE_CTX_BACKEND:
        snprintf(name, sizeof name, "bogus%u", t);
        st = relaxcat_context_new(1 + t % 2, name, &made);
        snprintf(needle, needle_len, "\"bogus%u\"", t);
        break;
    case UE_CTX_THREADS0:
        st = relaxcat_context_new(0, t % 2 ? "scalar" : NULL, &made);
        snprintf(needle, needle_len, "threads: 0");
        break;
    case UE_TAKE_NULL:
        st = relaxcat_generator_take(e->gen, 5 + t, NULL);
        snprintf(needle, needle_len, "relaxcat_generator_take: offset");
        break;
    case UE_GEN_NEW_NULL:
        st = relaxcat_generator_new(e->seed, NULL);
        snprintf(needle, needle_len, "relaxcat_generator_new: out");
        break;
    case UE_CTX_THREADS_NULL:
    default:
        st = relaxcat_context_threads(e->ctx, NULL);
        snprintf(needle, needle_len, "relaxcat_context_threads: out");
        break;
    }
    snprintf(e->msg, sizeof e->msg, "%s", relaxcat_last_error_message() ? relaxcat_last_error_message() : "(NULL)");
    if (made != (relaxcat_context *)SENTINEL_PTR) {
        *untouched = 0;
        if (st == RELAXCAT_OK) relaxcat_context_free(made);
    }
    e->calls++;
    if (relaxcat_generator_position(e->gen, &after) != RELAXCAT_OK || after != before) *untouched = 0;
    return st;
}

static relaxcat_status run_error(soak_env *e, int kind, char *needle, size_t needle_len, int *untouched) {
    if (kind < TE_COUNT) return run_error_f32(e, kind, needle, needle_len, untouched);
    if (kind < 2 * TE_COUNT) return run_error_f64(e, kind - TE_COUNT, needle, needle_len, untouched);
    return run_untyped_error(e, kind - 2 * TE_COUNT, needle, needle_len, untouched);
}

static int error_kind(const soak_env *e, const soak_case *c) {
    return (int)(((size_t)e->index + (size_t)c->slot) % NERR);
}

/* The table of cases: every operation on every distribution of both
 * precisions (small), the large ones, and the error slots. */
static void add_case(const soak_case *c) {
    if (only != NULL && strstr(ops[c->op].name, only) == NULL) return;
    cases[ncases++] = *c;
}

static void build_cases(void) {
    size_t cap = 2 * NDIST * OP_COUNT * 2 + NSLOTS + 64, q = 0;
    int prec, d, op;
    cases = (soak_case *)calloc(cap, sizeof *cases);
    for (prec = 0; prec < 2; prec++) {
        for (d = 0; d < NDIST; d++) {
            const size_t B = prec ? dists_f64[d].B : dists_f32[d].B;
            const size_t vrows = prec ? dists_f64[d].vrows : dists_f32[d].vrows;
            for (op = 0; op < OP_ERROR; op++) {
                soak_case c;
                memset(&c, 0, sizeof c);
                c.prec = prec;
                c.op = op;
                c.dist = d;
                c.own = (int)((q / 3) % 2);
                c.variant = (unsigned)(q * 7 + (size_t)d);
                c.offset = (uint64_t)q * 1000 + (q % 3 == 0 ? (uint64_t)1 << 36 : 0);
                switch (ops[op].kind) {
                case 'G':
                    c.rows = 1 + q % 3;
                    break;
                case 'V':
                    c.begin = B * (q % 5);
                    c.rows = B * (1 + q % 4);
                    break;
                default:
                    c.begin = q % 5;
                    c.rows = q % 17 == 0 ? 0 : 1 + q % (2 * B + 3);
                    break;
                }
                add_case(&c);
                q++;
                /* The large form, for the operations that reduce or fan out
                 * over rows: deterministic ones on every distribution, the
                 * stream ones on the K = 64 one. */
                if ((ops[op].kind == 'V' && op != OP_SOFTMAX_INPLACE && op != OP_RS_HARD_BACKWARD &&
                     op != OP_OS_RS_LOG_BACKWARD && op != OP_OS_LOG_PROB_X) ||
                    (d == 2 && (op == OP_RS_WITH_LOG_ROWS || op == OP_G_RSAMPLE || op == OP_CATEGORICAL ||
                                op == OP_GUMBEL || op == OP_OS_RS_ROWS || op == OP_HARD_INDEX_ROWS))) {
                    c.large = 1;
                    c.begin = 0;
                    c.rows = ops[op].kind == 'G' ? vrows / B : vrows;
                    c.variant &= ~1u; /* contiguous: strided large outputs would exceed SLOT_BYTES */
                    if (op == OP_LOG_PROB) c.variant |= 2u; /* not the strided read (2K), which halves the rows */
                    c.own = !c.own;
                    c.offset += 77;
                    add_case(&c);
                }
            }
        }
    }
    for (op = 0; op < NSLOTS; op++) {
        soak_case c;
        memset(&c, 0, sizeof c);
        c.op = OP_ERROR;
        c.slot = op;
        add_case(&c);
    }
}

/* The thread's case order: a permutation of its own. */
static void make_perm(soak_env *e) {
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(e->index + 1);
    size_t i;
    e->perm = (size_t *)malloc(ncases * sizeof *e->perm);
    for (i = 0; i < ncases; i++) e->perm[i] = i;
    for (i = ncases - 1; i > 0; i--) {
        size_t j, tmp;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        j = (size_t)((s >> 33) % (i + 1));
        tmp = e->perm[i];
        e->perm[i] = e->perm[j];
        e->perm[j] = tmp;
    }
}

/* Bytes handed out by malloc (the library's allocations too): with RSS, it
 * tells a leak or a growing cache (in use grows) from the allocator's or
 * the thread-stack cache's own growth (RSS grows, in use does not). */
static long heap_kib(void) {
#if defined(SOAK_MALLINFO) && !SOAK_ASAN
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
#else
    return -1;
#endif
}

/* The process's threads (/proc/self/task), -1 if unknown. */
static long task_count(void) {
    DIR *dir = opendir("/proc/self/task");
    struct dirent *ent;
    long n = 0;
    if (dir == NULL) return -1;
    while ((ent = readdir(dir)) != NULL)
        if (ent->d_name[0] != '.') n++;
    closedir(dir);
    return n;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static void sleep_seconds(double s);

/* RSS and heap in use with every thread paused between two iterations:
 * no call in flight, so no temporary of the library (nor a large output of
 * an mmap'd size in the allocator) is counted, and every thread holds the
 * same objects (its context, copies, generator) at each reading. Then
 * the threads resume, or stop. */
static void quiesced_reading(const soak_env *envs, int nthreads, long *rss, long *heap, long *tasks,
                             int then_stop) {
    long want = 1 + 2; /* main and the shared pool */
    int t, tries;
    pthread_mutex_lock(&progress_lock);
    pause_flag = 1;
    while (paused_count + gone_count < nthreads) pthread_cond_wait(&paused_cond, &progress_lock);
    /* The pools of freed contexts stop asynchronously: wait (up to 2 s)
     * until only the live ones are left, so that both readings see the
     * same threads (and thread stacks). */
    for (t = 0; t < nthreads; t++)
        if (envs[t].ctx != NULL) want += 1 + (envs[t].ctx_threads > 1 ? (long)envs[t].ctx_threads : 0);
    for (tries = 0; tries < 2000 && task_count() > want; tries++) sleep_seconds(0.001);
    *tasks = task_count();
#if defined(SOAK_MALLINFO) && !SOAK_ASAN
    if (trim_before_reading) malloc_trim(0);
#endif
    *rss = rss_kib();
    *heap = heap_kib();
    pause_flag = 0;
    if (then_stop) stop_flag = 1;
    pthread_cond_broadcast(&resume_cond);
    pthread_mutex_unlock(&progress_lock);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_seconds(double s) {
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The thread's context and its own copies of the distributions: 1 thread
 * for even thread indices, a pool of 2 for odd ones. The count stays the
 * same from round to round (the context is rebuilt, not resized), so that
 * the same threads are alive at every RSS reading. */
static int make_thread_context(soak_env *e) {
    int d;
    size_t n = 0;
    e->ctx_threads = 1 + (size_t)(e->index % 2);
    e->calls++;
    if (!call_ok(e, relaxcat_context_new(e->ctx_threads, e->backend, &e->ctx), "relaxcat_context_new")) return 0;
    e->calls++;
    if (!call_ok(e, relaxcat_context_threads(e->ctx, &n), "relaxcat_context_threads")) return 0;
    if (n != e->ctx_threads) {
        snprintf(e->why, sizeof e->why, "relaxcat_context_threads gave %zu, not %zu", n, e->ctx_threads);
        return 0;
    }
    for (d = 0; d < NDIST; d++) {
        e->calls += 2;
        if (!call_ok(e, relaxcat_dist_f32_with_context(e->h_f32[0][d], e->ctx, &e->h_f32[1][d]),
                     "relaxcat_dist_f32_with_context") ||
            !call_ok(e, relaxcat_dist_f64_with_context(e->h_f64[0][d], e->ctx, &e->h_f64[1][d]),
                     "relaxcat_dist_f64_with_context"))
            return 0;
    }
    return 1;
}

static void free_thread_context(soak_env *e) {
    int d;
    for (d = 0; d < NDIST; d++) {
        e->calls += 2;
        relaxcat_dist_f32_free(e->h_f32[1][d]);
        relaxcat_dist_f64_free(e->h_f64[1][d]);
        e->h_f32[1][d] = NULL;
        e->h_f64[1][d] = NULL;
    }
    e->calls++;
    relaxcat_context_free(e->ctx);
    e->ctx = NULL;
}

/* One iteration: case `ci`, compared with the expected. */
static void iterate(soak_env *e, size_t ci) {
    const soak_case *c = &cases[ci];
    if (c->op == OP_ERROR) {
        const int kind = error_kind(e, c);
        const size_t at = (size_t)e->index * NERR + (size_t)kind;
        char needle[MSG_MAX];
        int untouched = 0;
        relaxcat_status st = run_error(e, kind, needle, sizeof needle, &untouched);
        e->errors++;
        if (st != err_status[at] || st == RELAXCAT_OK) {
            fail(e, c, "error kind %d: status %d (%s), want %d", kind, (int)st, relaxcat_status_str(st),
                 (int)err_status[at]);
        } else {
            e->passes++;
        }
        if (strcmp(e->msg, err_message + at * MSG_MAX) != 0) {
            fail(e, c, "error kind %d: message \"%s\", want this thread's \"%s\"", kind, e->msg,
                 err_message + at * MSG_MAX);
        } else {
            e->passes++;
        }
        if (!untouched) {
            fail(e, c, "error kind %d: an output, out-handle or the generator was written", kind);
        } else {
            e->passes++;
        }
        return;
    } else {
        const soak_result *want = &expected[e->index][ci];
        size_t bytes[NOUT], off = 0;
        int s;
        relaxcat_status st = run_case(e, c, bytes);
        if (st != RELAXCAT_OK) {
            fail(e, c, "%s", e->why);
            return;
        }
        e->passes++;
        for (s = 0; s < NOUT; s++) {
            if (bytes[s] != want->bytes[s]) {
                fail(e, c, "output %d has %zu bytes, want %zu", s, bytes[s], want->bytes[s]);
                return;
            }
            if (bytes[s] != 0) {
                if (memcmp(e->buf[s], want->data + off, bytes[s]) != 0) {
                    size_t i = 0;
                    while (e->buf[s][i] == want->data[off + i]) i++;
                    fail(e, c, "output %d differs from the serial result at byte %zu of %zu (0x%02x, want 0x%02x)",
                         s, i, bytes[s], e->buf[s][i], want->data[off + i]);
                } else {
                    e->passes++;
                }
            }
            off += bytes[s];
        }
    }
}

static int round_start(soak_env *e, unsigned long long round) {
    if (!e->reference && round > 0 && recycle != 0 && round % recycle == 0) {
        free_thread_context(e);
        if (!make_thread_context(e)) {
            fail(e, NULL, "%s", e->why);
            return 0;
        }
    }
    e->calls++;
    if (!call_ok(e, relaxcat_generator_set_position(e->gen, e->gen_base), "relaxcat_generator_set_position")) {
        fail(e, NULL, "%s", e->why);
        return 0;
    }
    return 1;
}

static void *worker(void *arg) {
    soak_env *e = (soak_env *)arg;
    unsigned long long round = 0;
    size_t i = 0;
    int stop = 0;

    e->calls++;
    if (!call_ok(e, relaxcat_generator_new(e->seed, &e->gen), "relaxcat_generator_new") ||
        !make_thread_context(e)) {
        fail(e, NULL, "%s", e->why);
        pthread_mutex_lock(&progress_lock);
        rounds_done[e->index] = ~0ull; /* do not wait for this one */
        gone_count++;
        pthread_cond_signal(&paused_cond);
        pthread_mutex_unlock(&progress_lock);
        return NULL;
    }
    for (;;) {
        int pause;
        pthread_mutex_lock(&progress_lock);
        pause = pause_flag;
        stop = stop_flag;
        pthread_mutex_unlock(&progress_lock);
        if (pause) {
            /* A fresh context (and pool) for the reading, so that every
             * pool thread is in the same state at every reading: started,
             * nothing run, none of its stack touched by a kernel yet. */
            if (recycle != 0) {
                free_thread_context(e);
                if (!make_thread_context(e)) {
                    fail(e, NULL, "%s", e->why);
                    break;
                }
            }
            pthread_mutex_lock(&progress_lock);
            paused_count++;
            pthread_cond_signal(&paused_cond);
            while (pause_flag) pthread_cond_wait(&resume_cond, &progress_lock);
            paused_count--;
            stop = stop_flag;
            pthread_mutex_unlock(&progress_lock);
        }
        if (stop) break;
        if (i == 0 && !round_start(e, round)) break;
        iterate(e, e->perm[i]);
        e->iterations++;
        if (++i == ncases) {
            i = 0;
            round++;
            e->rounds = round;
            pthread_mutex_lock(&progress_lock);
            rounds_done[e->index] = round;
            pthread_mutex_unlock(&progress_lock);
        }
    }
    if (e->ctx != NULL) free_thread_context(e);
    e->calls++;
    relaxcat_generator_free(e->gen);
    e->gen = NULL;
    /* A thread that gave up early (a failed round start) is not waited for. */
    pthread_mutex_lock(&progress_lock);
    if (!stop) rounds_done[e->index] = ~0ull;
    gone_count++;
    pthread_cond_signal(&paused_cond);
    pthread_mutex_unlock(&progress_lock);
    return NULL;
}

/* Main's serial recomputation for thread t: the thread's case order over
 * one round (the generator reset at its start, as the threads do), on the
 * serial context and the serial copies, into the thread's buffers; then
 * every error kind, whose status and message are kept. */
static int precompute(soak_env *th, relaxcat_context *serial) {
    soak_env ref;
    size_t k, i;
    int d, s, ok = 1;
    memset(&ref, 0, sizeof ref);
    ref.index = th->index;
    ref.reference = 1;
    ref.ctx = serial;
    ref.seed = th->seed;
    ref.base = th->base;
    ref.gen_base = th->gen_base;
    for (s = 0; s < NOUT; s++) ref.buf[s] = th->buf[s];
    for (d = 0; d < NDIST; d++) {
        ref.h_f32[0][d] = ref.h_f32[1][d] = dists_f32[d].serial;
        ref.h_f64[0][d] = ref.h_f64[1][d] = dists_f64[d].serial;
        th->h_f32[0][d] = dists_f32[d].shared;
        th->h_f64[0][d] = dists_f64[d].shared;
    }
    if (relaxcat_generator_new(ref.seed, &ref.gen) != RELAXCAT_OK) return 0;
    if (!round_start(&ref, 0)) ok = 0;
    for (k = 0; ok && k < ncases; k++) {
        const size_t ci = th->perm[k];
        const soak_case *c = &cases[ci];
        soak_result *r = &expected[th->index][ci];
        size_t bytes[NOUT], total = 0, off = 0;
        relaxcat_status st;
        if (c->op == OP_ERROR) continue;
        /* Deterministic cases: thread 0's result serves every thread. */
        if (th->index > 0 && ops[c->op].kind != 'R' && ops[c->op].kind != 'G') {
            *r = expected[0][ci];
            r->shared = 1;
            continue;
        }
        st = run_case(&ref, c, bytes);
        if (st != RELAXCAT_OK) {
            fail(&ref, c, "%s", ref.why);
            ok = 0;
            break;
        }
        for (s = 0; s < NOUT; s++) total += bytes[s];
        r->data = (unsigned char *)malloc(total ? total : 1);
        for (s = 0; s < NOUT; s++) {
            r->bytes[s] = bytes[s];
            memcpy(r->data + off, ref.buf[s], bytes[s]);
            off += bytes[s];
        }
    }
    for (i = 0; i < NERR && (ok || getenv("SOAK_PRINT_ERRORS") != NULL); i++) {
        char needle[MSG_MAX];
        int untouched = 0;
        const size_t at = (size_t)th->index * NERR + i;
        relaxcat_status st = run_error(&ref, (int)i, needle, sizeof needle, &untouched);
        err_status[at] = st;
        snprintf(err_message + at * MSG_MAX, MSG_MAX, "%s", ref.msg);
        if (st == RELAXCAT_OK || ref.msg[0] == '\0' || strstr(ref.msg, needle) == NULL || !untouched) {
            fprintf(stderr,
                    "soak: reference %d, error kind %zu: status %d (%s), untouched %d\n  message: %s\n  expected "
                    "in message: %s\n",
                    th->index, i, (int)st, relaxcat_status_str(st), untouched, ref.msg, needle);
            ok = 0;
        }
        if (getenv("SOAK_PRINT_ERRORS") != NULL && th->index < 2) printf("error %2zu: %s\n", i, ref.msg);
    }
    relaxcat_generator_free(ref.gen);
    return ok && ref.failures == 0;
}


static int parse_args(int argc, char **argv, int *threads, double *seconds, double *warmup, unsigned long long *min_rounds,
                      double *rss_limit, const char **backend) {
    int i;
    const char *env;
    if ((env = getenv("SOAK_THREADS")) != NULL) *threads = atoi(env);
    if ((env = getenv("SOAK_SECONDS")) != NULL) *seconds = atof(env);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "soak: %s needs a value\n", a);
            return 0;
        }
        if (strcmp(a, "--threads") == 0) {
            *threads = atoi(v);
        } else if (strcmp(a, "--seconds") == 0) {
            *seconds = atof(v);
        } else if (strcmp(a, "--warmup") == 0) {
            *warmup = atof(v);
        } else if (strcmp(a, "--min-rounds") == 0) {
            *min_rounds = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--rss-limit") == 0) {
            *rss_limit = atof(v);
        } else if (strcmp(a, "--trim") == 0) {
            trim_before_reading = atoi(v);
        } else if (strcmp(a, "--only") == 0) {
            only = v;
        } else if (strcmp(a, "--trace") == 0) {
            trace_every = atof(v);
        } else if (strcmp(a, "--recycle") == 0) {
            recycle = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--backend") == 0) {
            *backend = v;
        } else {
            fprintf(stderr,
                    "usage: soak [--threads N] [--seconds S] [--warmup S] [--min-rounds N] [--rss-limit PCT] "
                    "[--backend mixed|default|NAME] [--recycle N] [--trace S] [--only OP] [--verbose]\n");
            return 0;
        }
        i++;
    }
    if (*threads < 1 || *threads > MAX_THREADS || !(*seconds >= 0)) {
        fprintf(stderr, "soak: threads must be 1..%d and seconds >= 0\n", MAX_THREADS);
        return 0;
    }
    if (*warmup < 0) {
        *warmup = *seconds / 10;
        if (*warmup > 60) *warmup = 60;
    }
    return 1;
}

int main(int argc, char **argv) {
    int nthreads = 16, t, s, ok = 1;
    double seconds = 3, warmup = -1, rss_limit = SOAK_ASAN ? -1.0 : 1.0, t0, t_warm = 0, t_end;
    unsigned long long min_rounds = 1;
    const char *backend_opt = "mixed";
    const char *backends[5];
    int nbackends = 0;
    relaxcat_context *pool = NULL, *serial = NULL;
    soak_env *envs;
    pthread_t *tids;
    long rss_warm = -1, rss_end = -1, rss_peak = -1, heap_warm = -1, heap_end = -1, tasks_warm = -1, tasks_end = -1;
    unsigned long long it_min = ~0ull, it_max = 0, it_total = 0, calls = 0, errors = 0, passes = 0, failures = 0;
    unsigned long long r_min = ~0ull;
    int rss_ok = 1;
    double growth_pct = 0;
    char limit_text[64];
    double next_trace = 0;
    int tunables_set = 0;

    if (!parse_args(argc, argv, &nthreads, &seconds, &warmup, &min_rounds, &rss_limit, &backend_opt)) return 2;

    /* The backends the threads' contexts use. */
    if (strcmp(backend_opt, "mixed") == 0) {
        static const char *const all[] = {"avx512vl", "avx2", "portable", "scalar"};
        size_t i;
        backends[nbackends++] = NULL;
        for (i = 0; i < sizeof all / sizeof all[0]; i++) {
            relaxcat_context *probe = NULL;
            if (relaxcat_context_new(1, all[i], &probe) == RELAXCAT_OK) {
                backends[nbackends++] = all[i];
                relaxcat_context_free(probe);
            }
        }
    } else {
        backends[nbackends++] = strcmp(backend_opt, "default") == 0 ? NULL : backend_opt;
    }

    OK(relaxcat_context_new(2, NULL, &pool));
    OK(relaxcat_context_new(1, NULL, &serial));
    if (check_failures != 0 || !setup_f32(pool, serial) || !setup_f64(pool, serial)) {
        fprintf(stderr, "soak: set-up failed\n");
        return 1;
    }
    /* The shared pool stays alive through the distributions built on it. */
    OK(relaxcat_context_free(pool));
    build_cases();
    if (ncases == 0) {
        fprintf(stderr, "soak: no operation matches --only %s\n", only);
        return 2;
    }

    envs = (soak_env *)calloc((size_t)nthreads, sizeof *envs);
    tids = (pthread_t *)calloc((size_t)nthreads, sizeof *tids);
    expected = (soak_result **)calloc((size_t)nthreads, sizeof *expected);
    err_status = (relaxcat_status *)calloc((size_t)nthreads * NERR, sizeof *err_status);
    err_message = (char *)calloc((size_t)nthreads * NERR, MSG_MAX);
    rounds_done = (unsigned long long *)calloc((size_t)nthreads, sizeof *rounds_done);
    for (t = 0; t < nthreads; t++) {
        soak_env *e = &envs[t];
        e->index = t;
        e->backend = backends[t % nbackends];
        e->seed = 0x5EED0000ull + (uint64_t)t * 7919u;
        e->base = (uint64_t)t << 40;
        e->gen_base = e->base + ((uint64_t)1 << 38);
        for (s = 0; s < NOUT; s++) e->buf[s] = (unsigned char *)malloc(SLOT_BYTES);
        make_perm(e);
        expected[t] = (soak_result *)calloc(ncases, sizeof **expected);
    }
    for (t = 0; t < nthreads && ok; t++) ok = precompute(&envs[t], serial);
    if (!ok) {
        fprintf(stderr, "soak: the serial recomputation failed\n");
        failures++;
        goto teardown;
    }

    {
        const char *tunables = getenv("GLIBC_TUNABLES");
        tunables_set = tunables != NULL && strstr(tunables, "glibc.malloc.tcache_count=0") != NULL &&
                       strstr(tunables, "glibc.malloc.mmap_threshold=") != NULL;
    }
    printf("soak: %d threads, %.0f s (warm-up %.0f s, then at least %llu round(s) by every thread), %zu cases a round (%d error slots of %d "
           "kinds), %s build%s, backends:",
           nthreads, seconds, warmup, min_rounds, ncases, NSLOTS, NERR, SOAK_ASAN ? "AddressSanitizer" : "plain",
           SOAK_ASAN      ? ""
           : tunables_set ? ", glibc tcache off and mmap threshold fixed"
                          : ", glibc tunables not set (RSS may grow by the allocator's caches: see soak.c)");
    for (s = 0; s < nbackends; s++) printf(" %s", backends[s] ? backends[s] : "default");
    printf("\n");
    fflush(stdout);

    t0 = now_seconds();
    for (t = 0; t < nthreads; t++) {
        if (pthread_create(&tids[t], NULL, worker, &envs[t]) != 0) {
            fprintf(stderr, "soak: pthread_create failed\n");
            return 1;
        }
    }
    /* Warm-up, then the run; RSS read while the threads run. */
    for (;;) {
        double el;
        unsigned long long least = ~0ull;
        sleep_seconds(0.05);
        el = now_seconds() - t0;
        pthread_mutex_lock(&progress_lock);
        for (t = 0; t < nthreads; t++)
            if (rounds_done[t] < least) least = rounds_done[t];
        pthread_mutex_unlock(&progress_lock);
        if (rss_warm < 0) {
            if (el >= warmup && least >= 1) {
                quiesced_reading(envs, nthreads, &rss_warm, &heap_warm, &tasks_warm, 0);
                t_warm = el;
                next_trace = el + trace_every;
            }
        } else {
            long r = rss_kib();
            if (r > rss_peak) rss_peak = r; /* while running: in-flight temporaries included */
            if (trace_every > 0 && el >= next_trace) {
                long tr = -1, th = -1, tt = -1;
                unsigned long long its = 0;
                quiesced_reading(envs, nthreads, &tr, &th, &tt, 0);
                for (t = 0; t < nthreads; t++) its += envs[t].iterations;
                printf("soak: trace %.1f s: RSS %ld KiB, malloc'd in use %ld KiB, %ld threads, %llu iterations\n", el,
                       tr, th, tt, its);
                fflush(stdout);
                next_trace += trace_every;
            }
            if (el >= seconds && least >= min_rounds) {
                quiesced_reading(envs, nthreads, &rss_end, &heap_end, &tasks_end, 1);
                break;
            }
        }
    }
    for (t = 0; t < nthreads; t++) pthread_join(tids[t], NULL);
    t_end = now_seconds() - t0;

    for (t = 0; t < nthreads; t++) {
        const soak_env *e = &envs[t];
        if (e->iterations < it_min) it_min = e->iterations;
        if (e->iterations > it_max) it_max = e->iterations;
        if (e->rounds < r_min) r_min = e->rounds;
        it_total += e->iterations;
        if (verbose)
            printf("soak: thread %2d (%s): %llu iterations, %llu rounds, %llu calls, %llu errors, %llu failed\n", t,
                   e->backend ? e->backend : "default", e->iterations, e->rounds, e->calls, e->errors, e->failures);
        calls += e->calls;
        errors += e->errors;
        passes += e->passes;
        failures += e->failures;
    }
    if (rss_warm > 0) growth_pct = 100.0 * (double)(rss_end - rss_warm) / (double)rss_warm;
    if (rss_limit >= 0 && (rss_warm <= 0 || growth_pct > rss_limit)) rss_ok = 0;
    if (rss_ok) {
        passes++;
    } else {
        failures++;
    }

    if (rss_limit >= 0) {
        snprintf(limit_text, sizeof limit_text, "%.2f%% %s", rss_limit, rss_ok ? "met" : "EXCEEDED");
    } else {
        snprintf(limit_text, sizeof limit_text, "not applied%s", SOAK_ASAN ? " (AddressSanitizer)" : "");
    }
    if (heap_warm >= 0)
        printf("soak: malloc'd bytes in use at warm-up %ld KiB, at end %ld KiB (%+ld KiB)%s; threads %ld and %ld\n",
               heap_warm, heap_end, heap_end - heap_warm, trim_before_reading ? "; RSS read after malloc_trim(0)" : "",
               tasks_warm, tasks_end);
    printf("soak: threads %d, iterations per thread %llu..%llu (%llu in all, at least %llu rounds each), calls %llu, "
           "errors checked %llu, %.1f s, RSS at warm-up (%.1f s) %ld KiB, at end %ld KiB (%+.2f%%, peak %ld KiB), "
           "RSS limit %s, result %s\n",
           nthreads, it_min, it_max, it_total, r_min, calls, errors, t_end, t_warm, rss_warm, rss_end, growth_pct,
           rss_peak, limit_text, failures == 0 ? "PASS" : "FAIL");

teardown:
    /* Everything freed, so that LeakSanitizer sees no block left. */
    for (t = 0; t < nthreads; t++) {
        size_t i;
        for (i = 0; i < ncases; i++)
            if (!expected[t][i].shared) free(expected[t][i].data);
        free(expected[t]);
        for (s = 0; s < NOUT; s++) free(envs[t].buf[s]);
        free(envs[t].perm);
    }
    teardown_f32();
    teardown_f64();
    OK(relaxcat_context_free(serial));
    free(expected);
    free(err_status);
    free(err_message);
    free(rounds_done);
    free(cases);
    free(envs);
    free(tids);
    failures += (unsigned long long)check_failures;
    passes += (unsigned long long)check_passes;
    printf("soak: %llu passed, %llu failed\n", passes, failures);
    return failures == 0 ? 0 : 1;
}

#else /* SOAK_TYPED: the per-precision part, included twice by the part above */

typedef struct {
    size_t B, K, tlen;
    size_t vrows;      /* value rows of the inputs: a multiple of B, vrows * K >= PAR_MIN_ELEMENTS */
    int probs_form;
    REAL *param;       /* B x K probs or logits, as passed to _new */
    REAL *temperature; /* tlen */
    REAL *cat_logits;  /* B x K logits for categorical sampling */
    REAL *cat_tz;      /* B temperatures, row 0 at 0 (the argmax) */
    REAL *soft, *logv; /* vrows x K: one draw and its log form */
    REAL *grad;        /* vrows x K: an upstream gradient */
    REAL *grad_lp;     /* vrows: an upstream gradient of the log-densities */
    REAL *rowin;       /* vrows x K at leading dimension K + PAD, NaN in the padding */
    DIST *shared;      /* shared by every thread */
    DIST *serial;      /* main's serial copy (the reference) */
} T_FN(dinfo);

static T_FN(dinfo) T_FN(dists)[NDIST];

static PARAMS T_FN(params)(const T_FN(dinfo) *d) {
    PARAMS p;
    memset(&p, 0, sizeof p);
    p.batch_rows = d->B;
    p.k = d->K;
    p.temperature = d->temperature;
    p.temperature_len = d->tlen;
    if (d->probs_form) {
        p.probs = d->param;
        p.probs_ld = d->K;
    } else {
        p.logits = d->param;
        p.logits_ld = d->K;
    }
    p.flags = 0;
    return p;
}

/* Builds the three distributions: 0 from logits with a scalar temperature
 * on the shared 2-thread pool; 1 from probs with per-row temperatures and
 * no context; 2 from logits with masked categories and per-row
 * temperatures on a serial context. */
static int T_FN(setup)(relaxcat_context *pool, relaxcat_context *serial) {
    static const size_t Bs[NDIST] = {4, 3, 2};
    const size_t Ks[NDIST] = {SOAK_K0, SOAK_K1, 64};
    static const double temps[NDIST][4] = {{0.7}, {0.3, 1.0, 2.5}, {0.5, 1.5}};
    int d;
    for (d = 0; d < NDIST; d++) {
        T_FN(dinfo) *x = &T_FN(dists)[d];
        const size_t B = Bs[d], K = Ks[d];
        size_t i, j;
        x->B = B;
        x->K = K;
        x->tlen = d == 0 ? 1 : B;
        x->probs_form = d == 1;
        x->vrows = (PAR_MIN_ELEMENTS + K - 1) / K;
        x->vrows = (x->vrows + B - 1) / B * B;
        x->param = (REAL *)malloc(B * K * sizeof(REAL));
        x->temperature = (REAL *)malloc(x->tlen * sizeof(REAL));
        x->cat_logits = (REAL *)malloc(B * K * sizeof(REAL));
        x->cat_tz = (REAL *)malloc(B * sizeof(REAL));
        x->soft = (REAL *)malloc(x->vrows * K * sizeof(REAL));
        x->logv = (REAL *)malloc(x->vrows * K * sizeof(REAL));
        x->grad = (REAL *)malloc(x->vrows * K * sizeof(REAL));
        x->grad_lp = (REAL *)malloc(x->vrows * sizeof(REAL));
        x->rowin = (REAL *)malloc(x->vrows * (K + PAD) * sizeof(REAL));
        for (i = 0; i < x->tlen; i++) x->temperature[i] = (REAL)temps[d][i];
        for (i = 0; i < B; i++) {
            for (j = 0; j < K; j++) {
                const size_t n = i * K + j;
                if (d == 1) {
                    x->param[n] = (REAL)(0.05 + fabs(cos(0.91 * (double)n)));
                    x->cat_logits[n] = (REAL)log((double)x->param[n]);
                } else {
                    double l = d == 0 ? 2.0 * sin(0.37 * (double)n) : 1.5 * sin(0.23 * (double)n + 1.0);
                    if (d == 2 && ((i == 0 && j % 7 == 3) || (i == 1 && j >= 60))) l = -INFINITY;
                    x->param[n] = (REAL)l;
                    x->cat_logits[n] = (REAL)l;
                }
            }
            x->cat_tz[i] = i == 0 ? (REAL)0 : x->temperature[x->tlen == 1 ? 0 : i];
        }
        if (DIST_FN(new)(d == 0 ? pool : d == 1 ? NULL : serial, B, K, x->temperature, x->tlen,
                         x->probs_form ? x->param : NULL, K, x->probs_form ? NULL : x->param, K, 0,
                         &x->shared) != RELAXCAT_OK ||
            DIST_FN(with_context)(x->shared, serial, &x->serial) != RELAXCAT_OK ||
            DIST_FN(rsample_with_log_rows)(x->serial, 0xC0FFEEu + (uint64_t)d, 0, 0, x->vrows, x->soft, K, x->logv,
                                           K) != RELAXCAT_OK) {
            fprintf(stderr, "soak: set-up of %s dist %d: %s\n", PREC_NAME, d, relaxcat_last_error_message());
            return 0;
        }
        for (i = 0; i < x->vrows; i++) {
            x->grad_lp[i] = (REAL)cos(0.29 * (double)i);
            for (j = 0; j < K; j++) {
                x->grad[i * K + j] = (REAL)sin(0.13 * (double)(i * K + j));
                x->rowin[i * (K + PAD) + j] = x->cat_logits[(i % B) * K + j] + (REAL)0.5 * x->grad[i * K + j];
            }
            for (j = K; j < K + PAD; j++) x->rowin[i * (K + PAD) + j] = (REAL)NAN;
        }
    }
    return 1;
}

static void T_FN(teardown)(void) {
    int d;
    for (d = 0; d < NDIST; d++) {
        T_FN(dinfo) *x = &T_FN(dists)[d];
        DIST_FN(free)(x->shared);
        DIST_FN(free)(x->serial);
        free(x->param);
        free(x->temperature);
        free(x->cat_logits);
        free(x->cat_tz);
        free(x->soft);
        free(x->logv);
        free(x->grad);
        free(x->grad_lp);
        free(x->rowin);
    }
}

static REAL *T_FN(obuf)(soak_env *e, size_t bytes[NOUT], int slot, size_t rows, size_t ld, size_t k) {
    return (REAL *)slot_buf(e, bytes, slot, rows == 0 ? 0 : ((rows - 1) * ld + k) * sizeof(REAL));
}

/* Runs case c into e's buffers (bytes[s]: what slot s holds); returns the
 * failing call's status, or -1 for an OK with a message (e->why). */
static relaxcat_status T_FN(run_case)(soak_env *e, const soak_case *c, size_t bytes[NOUT]) {
    const T_FN(dinfo) *d = &T_FN(dists)[c->dist];
    DIST *h = e->HANDLES[c->own][c->dist];
    const size_t B = d->B, K = d->K;
    const size_t ld = (c->variant & 1) ? K + PAD : K;
    const size_t ld2 = (c->variant & 1) ? K : K + PAD;
    const uint64_t seed = e->seed, off = e->base + c->offset;
    const size_t rb = c->begin, n = c->rows, re = rb + n;
    const int form = (int)((c->variant / 2) % 3); /* backward: 0 soft and log, 1 soft, 2 log */
    const PARAMS p = T_FN(params)(d);
    const REAL *given = d->probs_form ? d->param : NULL;
    const REAL *vsoft = d->soft + rb * K, *vlog = d->logv + rb * K;
    const REAL *bsoft = form == 2 ? NULL : vsoft, *blog = form == 1 ? NULL : vlog;
    uint64_t pos = 0;
    REAL *o0, *o1, *o2, *o3, *o4;
    const size_t N = n * B; /* generator forms: the rows of `n` samples */
#define OB(slot, rows, l) T_FN(obuf)(e, bytes, slot, rows, l, K)
#define GRADS()                                                                                  \
    do {                                                                                         \
        o0 = OB(0, B, ld);                                                                       \
        o1 = d->probs_form ? OB(1, B, ld2) : NULL;                                               \
        o2 = (REAL *)slot_buf(e, bytes, 2, d->tlen * sizeof(REAL));                              \
    } while (0)
#define POSITION()                                                   \
    do {                                                             \
        RUN(relaxcat_generator_position(e->gen, &pos));              \
        put_u64(e, bytes, 5, pos);                                   \
    } while (0)
    memset(bytes, 0, NOUT * sizeof bytes[0]);
    switch (c->op) {
    case OP_RS_ROWS:
        o0 = OB(0, n, ld);
        RUN(DIST_FN(rsample_rows)(h, seed, off, rb, re, o0, ld));
        break;
    case OP_RS_LOG_ROWS:
        o0 = OB(0, n, ld);
        RUN(DIST_FN(rsample_log_rows)(h, seed, off, rb, re, o0, ld));
        break;
    case OP_RS_HARD_ROWS:
        o0 = OB(0, n, ld);
        o1 = OB(1, n, ld2);
        RUN(DIST_FN(rsample_hard_rows)(h, seed, off, rb, re, o0, ld, o1, ld2));
        break;
    case OP_RS_WITH_LOG_ROWS:
        o0 = OB(0, n, ld);
        o1 = OB(1, n, ld2);
        RUN(DIST_FN(rsample_with_log_rows)(h, seed, off, rb, re, o0, ld, o1, ld2));
        break;
    case OP_RS_HARD_WITH_LOG_ROWS:
        o0 = OB(0, n, ld);
        o1 = OB(1, n, ld2);
        o2 = OB(2, n, ld);
        RUN(DIST_FN(rsample_hard_with_log_rows)(h, seed, off, rb, re, o0, ld, o1, ld2, o2, ld));
        break;
    case OP_HARD_INDEX_ROWS:
        RUN(DIST_FN(rsample_hard_index_rows)(h, seed, off, rb, re,
                                             (int64_t *)slot_buf(e, bytes, 0, n * sizeof(int64_t))));
        break;
    case OP_G_RSAMPLE:
        o0 = OB(0, N, ld);
        RUN(DIST_FN(rsample)(h, e->gen, n, o0, ld));
        POSITION();
        break;
    case OP_G_SAMPLE:
        o0 = OB(0, N, ld);
        RUN(DIST_FN(sample)(h, e->gen, n, o0, ld));
        POSITION();
        break;
    case OP_G_RSAMPLE_LOG:
        o0 = OB(0, N, ld);
        RUN(DIST_FN(rsample_log)(h, e->gen, n, o0, ld));
        POSITION();
        break;
    case OP_G_RSAMPLE_HARD:
        o0 = OB(0, N, ld);
        o1 = OB(1, N, ld2);
        RUN(DIST_FN(rsample_hard)(h, e->gen, n, o0, ld, o1, ld2));
        POSITION();
        break;
    case OP_G_WITH_LOG:
        o0 = OB(0, N, ld);
        o1 = OB(1, N, ld2);
        RUN(DIST_FN(rsample_with_log)(h, e->gen, n, o0, ld, o1, ld2));
        POSITION();
        break;
    case OP_G_HARD_WITH_LOG:
        o0 = OB(0, N, ld);
        o1 = OB(1, N, ld2);
        o2 = OB(2, N, ld);
        RUN(DIST_FN(rsample_hard_with_log)(h, e->gen, n, o0, ld, o1, ld2, o2, ld));
        POSITION();
        break;
    case OP_G_HARD_INDEX:
        RUN(DIST_FN(rsample_hard_index)(h, e->gen, n, (int64_t *)slot_buf(e, bytes, 0, N * sizeof(int64_t))));
        POSITION();
        break;
    case OP_G_TAKE_GUMBEL: {
        uint64_t taken = 0;
        RUN(relaxcat_generator_take(e->gen, N, &taken));
        put_u64(e, bytes, 4, taken);
        o0 = OB(0, N, ld);
        RUN(ROW_FN(gumbel)(e->ctx, seed, taken, N, K, o0, ld));
        POSITION();
        break;
    }
    case OP_LOG_PROB:
        /* variant bit 1 clear: every other value row (value_ld = 2K) */
        o0 = (REAL *)slot_buf(e, bytes, 0, n * sizeof(REAL));
        if ((c->variant & 2) == 0 && rb + 2 * n <= d->vrows)
            RUN(DIST_FN(log_prob)(h, n, vsoft, 2 * K, o0));
        else
            RUN(DIST_FN(log_prob)(h, n, vsoft, K, o0));
        break;
    case OP_LOG_PROB_X:
        o0 = (REAL *)slot_buf(e, bytes, 0, n * sizeof(REAL));
        RUN(DIST_FN(log_prob_x)(h, n, vlog, K, o0));
        break;
    case OP_RS_BACKWARD:
        GRADS();
        RUN(DIST_FN(rsample_backward)(h, n, bsoft, K, blog, K, d->grad + rb * K, K, o0, ld, given, K, o1, ld2, o2,
                                      d->tlen));
        break;
    case OP_RS_HARD_BACKWARD:
        GRADS();
        RUN(DIST_FN(rsample_hard_backward)(h, n, bsoft, K, blog, K, d->grad + rb * K, K, o0, ld, given, K, o1, ld2,
                                           o2, d->tlen));
        break;
    case OP_RS_LOG_BACKWARD:
        GRADS();
        RUN(DIST_FN(rsample_log_backward)(h, n, bsoft, K, blog, K, d->grad + rb * K, K, o0, ld, given, K, o1, ld2,
                                          o2, d->tlen));
        break;
    case OP_LP_BACKWARD:
    case OP_LPX_BACKWARD:
    case OP_OS_LP_BACKWARD:
    case OP_OS_LPX_BACKWARD: {
        /* form 0: every output; 1: the value gradient and log_prob; 2: the
         * parameter gradients */
        const int x = c->op == OP_LPX_BACKWARD || c->op == OP_OS_LPX_BACKWARD;
        const REAL *value = x ? vlog : vsoft;
        o0 = o1 = o2 = o3 = o4 = NULL;
        if (form != 1) GRADS();
        if (form != 2) {
            o3 = OB(3, n, ld);
            o4 = (REAL *)slot_buf(e, bytes, 4, n * sizeof(REAL));
        }
        if (c->op == OP_LP_BACKWARD)
            RUN(DIST_FN(log_prob_backward)(h, n, value, K, d->grad_lp + rb, o0, ld, o1 ? given : NULL, K, o1, ld2, o2,
                                           o2 ? d->tlen : 0, o3, ld, o4));
        else if (c->op == OP_LPX_BACKWARD)
            RUN(DIST_FN(log_prob_x_backward)(h, n, value, K, d->grad_lp + rb, o0, ld, o1 ? given : NULL, K, o1, ld2,
                                             o2, o2 ? d->tlen : 0, o3, ld, o4));
        else if (c->op == OP_OS_LP_BACKWARD)
            RUN(ROW_FN(log_prob_backward)(e->ctx, &p, n, value, K, d->grad_lp + rb, o0, ld, o1, ld2, o2,
                                          o2 ? d->tlen : 0, o3, ld, o4));
        else
            RUN(ROW_FN(log_prob_x_backward)(e->ctx, &p, n, value, K, d->grad_lp + rb, o0, ld, o1, ld2, o2,
                                            o2 ? d->tlen : 0, o3, ld, o4));
        break;
    }
    case OP_LOGSUMEXP:
        o0 = (REAL *)slot_buf(e, bytes, 0, n * sizeof(REAL));
        if (c->variant & 2)
            RUN(ROW_FN(logsumexp)(e->ctx, n, K, d->rowin + rb * (K + PAD), K + PAD, o0));
        else
            RUN(ROW_FN(logsumexp)(e->ctx, n, K, vlog, K, o0));
        break;
    case OP_SOFTMAX:
        o0 = OB(0, n, ld);
        RUN(ROW_FN(softmax)(e->ctx, n, K, d->rowin + rb * (K + PAD), K + PAD, o0, ld));
        break;
    case OP_SOFTMAX_INPLACE: {
        size_t i;
        o0 = OB(0, n, K);
        for (i = 0; i < n; i++) memcpy(o0 + i * K, d->rowin + (rb + i) * (K + PAD), K * sizeof(REAL));
        RUN(ROW_FN(softmax)(e->ctx, n, K, o0, K, o0, K));
        break;
    }
    case OP_LOG_SOFTMAX:
        o0 = OB(0, n, ld);
        RUN(ROW_FN(log_softmax)(e->ctx, n, K, d->rowin + rb * (K + PAD), K + PAD, o0, ld));
        break;
    case OP_GUMBEL:
        o0 = OB(0, n, ld);
        RUN(ROW_FN(gumbel)(e->ctx, seed, off + rb, n, K, o0, ld));
        break;
    case OP_OS_RS_ROWS:
        o0 = OB(0, n, ld);
        RUN(ROW_FN(rsample_rows)(e->ctx, &p, seed, off, rb, re, o0, ld));
        break;
    case OP_OS_RS_LOG_ROWS:
        o0 = OB(0, n, ld);
        RUN(ROW_FN(rsample_log_rows)(e->ctx, &p, seed, off, rb, re, o0, ld));
        break;
    case OP_OS_RS_HARD_ROWS:
        o0 = OB(0, n, ld);
        o1 = OB(1, n, ld2);
        RUN(ROW_FN(rsample_hard_rows)(e->ctx, &p, seed, off, rb, re, o0, ld, o1, ld2));
        break;
    case OP_OS_WITH_LOG_ROWS:
        o0 = OB(0, n, ld);
        o1 = OB(1, n, ld2);
        RUN(ROW_FN(rsample_with_log_rows)(e->ctx, &p, seed, off, rb, re, o0, ld, o1, ld2));
        break;
    case OP_OS_LOG_PROB:
        o0 = (REAL *)slot_buf(e, bytes, 0, n * sizeof(REAL));
        RUN(ROW_FN(log_prob)(e->ctx, &p, n, vsoft, K, o0));
        break;
    case OP_OS_LOG_PROB_X:
        o0 = (REAL *)slot_buf(e, bytes, 0, n * sizeof(REAL));
        RUN(ROW_FN(log_prob_x)(e->ctx, &p, n, vlog, K, o0));
        break;
    case OP_OS_RS_BACKWARD:
        GRADS();
        RUN(ROW_FN(rsample_backward)(e->ctx, &p, n, bsoft, K, blog, K, d->grad + rb * K, K, o0, ld, o1, ld2, o2,
                                     d->tlen));
        break;
    case OP_OS_RS_LOG_BACKWARD:
        GRADS();
        RUN(ROW_FN(rsample_log_backward)(e->ctx, &p, n, bsoft, K, blog, K, d->grad + rb * K, K, o0, ld, o1, ld2, o2,
                                         d->tlen));
        break;
    case OP_CATEGORICAL: {
        /* variant: bit 1 the temperatures with a 0, bit 2 top_k 3, bit 3 no log_prob */
        const int tz = (c->variant & 2) != 0;
        int64_t *idx = (int64_t *)slot_buf(e, bytes, 0, n * sizeof(int64_t));
        REAL *lp = (c->variant & 8) ? NULL : (REAL *)slot_buf(e, bytes, 1, n * sizeof(REAL));
        RUN(ROW_FN(categorical_sample)(e->ctx, B, K, d->cat_logits, K, tz ? d->cat_tz : d->temperature,
                                       tz ? B : d->tlen, (c->variant & 4) ? 3 : RELAXCAT_TOP_K_ALL, 0, seed, off, rb,
                                       re, idx, lp));
        break;
    }
    case OP_WITH_CONTEXT: {
        DIST *copy = NULL;
        relaxcat_status st;
        RUN(DIST_FN(with_context)(d->shared, e->ctx, &copy));
        o0 = OB(0, n, ld);
        e->calls++;
        st = DIST_FN(rsample_rows)(copy, seed, off, rb, re, o0, ld);
        if (!call_ok(e, st, "rsample_rows on a with_context copy")) {
            DIST_FN(free)(copy);
            return st == RELAXCAT_OK ? -1 : st;
        }
        RUN(DIST_FN(free)(copy));
        break;
    }
    case OP_ACCESSORS: {
        size_t v[6];
        relaxcat_param param = -1;
        int32_t validates = -1;
        o0 = OB(0, B, ld);
        o1 = OB(1, B, ld2);
        o2 = (REAL *)slot_buf(e, bytes, 2, d->tlen * sizeof(REAL));
        RUN(DIST_FN(probs)(h, o0, ld));
        RUN(DIST_FN(logits)(h, o1, ld2));
        RUN(DIST_FN(temperature)(h, o2, d->tlen));
        RUN(DIST_FN(num_categories)(h, &v[0]));
        RUN(DIST_FN(batch_rows)(h, &v[1]));
        RUN(DIST_FN(temperature_len)(h, &v[2]));
        RUN(DIST_FN(param)(h, &param));
        RUN(DIST_FN(validates)(h, &validates));
        v[3] = (size_t)param;
        v[4] = (size_t)validates;
        v[5] = v[0] == K && v[1] == B && v[2] == d->tlen &&
               param == (d->probs_form ? RELAXCAT_PARAM_PROBS : RELAXCAT_PARAM_LOGITS) && validates == 1;
        memcpy(slot_buf(e, bytes, 3, sizeof v), v, sizeof v);
        break;
    }
    default:
        snprintf(e->why, sizeof e->why, "unknown op %d", c->op);
        return -1;
    }
#undef OB
#undef GRADS
#undef POSITION
    (void)o3;
    (void)o4;
    return RELAXCAT_OK;
}

/* Error kind `kind` of this precision, caused on purpose with values of
 * the thread's own where the message shows them. The message is copied to
 * e->msg right after the failing call; `needle` gets what it must
 * contain; *untouched is 0 if an output (sentinel-filled), out-handle or
 * the generator position changed. */
static relaxcat_status T_FN(run_error)(soak_env *e, int kind, char *needle, size_t needle_len, int *untouched) {
    const T_FN(dinfo) *d0 = &T_FN(dists)[0], *d1 = &T_FN(dists)[1], *d2 = &T_FN(dists)[2];
    DIST *h0 = e->HANDLES[0][0], *h1 = e->HANDLES[0][1], *h2 = e->HANDLES[0][2];
    const size_t t = (size_t)e->index, tt = t % 16;
    REAL *o0 = (REAL *)e->buf[0], *o1 = (REAL *)e->buf[1];
    REAL *in = (REAL *)e->buf[2]; /* an input with one value broken */
    DIST *made = (DIST *)SENTINEL_PTR;
    const uint64_t seed = e->seed, off = e->base + 12345;
    uint64_t before = 0, after = 0;
    relaxcat_status st = RELAXCAT_OK;
    size_t r = 0, c = 0;
    PARAMS p;

    *untouched = 1;
    fill_sentinel(e->buf[0], ERR_BYTES);
    fill_sentinel(e->buf[1], ERR_BYTES);
    e->calls += 2;
    if (relaxcat_generator_position(e->gen, &before) != RELAXCAT_OK) *untouched = 0;
    switch (kind) {
    case TE_NULL_OUT:
        st = DIST_FN(rsample_rows)(h2, seed, off, 0, 1 + tt, NULL, d2->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_rows: out is NULL but must hold %zu elements",
                 PREC_NAME, (1 + tt) * d2->K);
        break;
    case TE_BAD_LD:
        st = DIST_FN(rsample_log_rows)(h0, seed, off, 0, 2, o0, t % d0->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_log_rows: out_ld: leading dimension %zu is below K = %zu",
                 PREC_NAME, t % d0->K, d0->K);
        break;
    case TE_NEW_TEMP: {
        REAL temps[3];
        memcpy(temps, d1->temperature, sizeof temps);
        r = t % 3;
        temps[r] = -(REAL)((double)t + 1.25);
        st = DIST_FN(new)(e->ctx, d1->B, d1->K, temps, 3, d1->param, d1->K, NULL, 0, 0, &made);
        snprintf(needle, needle_len, "relaxcat_dist_%s_new: temperature: row %zu is %g", PREC_NAME, r,
                 (double)temps[r]);
        break;
    }
    case TE_REVERSED:
        st = DIST_FN(rsample_hard_rows)(h1, seed, off, t + 2, t + 1, o0, d1->K, o1, d1->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_hard_rows: row range [%zu, %zu) is reversed",
                 PREC_NAME, t + 2, t + 1);
        break;
    case TE_VALUE_NAN:
        memcpy(in, d0->soft, 2 * d0->B * d0->K * sizeof(REAL));
        r = d0->B + t % d0->B;
        c = t % d0->K;
        in[r * d0->K + c] = (REAL)NAN;
        st = DIST_FN(log_prob)(h0, 2 * d0->B, in, d0->K, o0);
        snprintf(needle, needle_len, "relaxcat_dist_%s_log_prob: value: row %zu, category %zu is NaN", PREC_NAME, r,
                 c);
        break;
    case TE_TOPK0:
        st = ROW_FN(categorical_sample)(e->ctx, d2->B, d2->K, d2->cat_logits, d2->K, d2->temperature, d2->tlen, 0, 0,
                                        seed, off, 0, d2->B * (1 + tt), (int64_t *)(void *)o0, o1);
        snprintf(needle, needle_len, "relaxcat_categorical_sample_%s: top_k is 0", PREC_NAME);
        break;
    case TE_GEN_LD:
        st = DIST_FN(rsample)(h1, e->gen, 1 + tt % 4, o0, tt % d1->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample: out_ld: leading dimension %zu is below K = %zu",
                 PREC_NAME, tt % d1->K, d1->K);
        break;
    case TE_OS_LOGITS_NAN:
        memcpy(in, d0->param, d0->B * d0->K * sizeof(REAL));
        r = t % d0->B;
        c = (t * 7) % d0->K;
        in[r * d0->K + c] = (REAL)NAN;
        p = T_FN(params)(d0);
        p.logits = in;
        st = ROW_FN(rsample_rows)(e->ctx, &p, seed, off, 0, d0->B, o0, d0->K);
        snprintf(needle, needle_len, "relaxcat_rsample_rows_%s: logits: row %zu, category %zu is NaN", PREC_NAME, r,
                 c);
        break;
    case TE_ALIAS_SOFTMAX:
        memcpy(in, d0->cat_logits, 2 * d0->K * sizeof(REAL));
        memcpy(e->buf[3], in, 2 * d0->K * sizeof(REAL));
        st = ROW_FN(log_softmax)(e->ctx, 2, d0->K, in, d0->K, in + 1 + tt % 8, d0->K);
        snprintf(needle, needle_len, "relaxcat_log_softmax_%s: out (bytes %p", PREC_NAME, (void *)(in + 1 + tt % 8));
        if (memcmp(e->buf[3], in, 2 * d0->K * sizeof(REAL)) != 0) *untouched = 0;
        break;
    case TE_ALIAS_HWL:
        st = DIST_FN(rsample_hard_with_log_rows)(h2, seed, off, 0, 2, o0, d2->K, o1, d2->K, o1 + 1 + tt, d2->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_hard_with_log_rows: soft (bytes %p", PREC_NAME,
                 (void *)o1);
        break;
    case TE_GRAD_T_LEN:
        st = DIST_FN(rsample_backward)(h1, d1->B, d1->soft, d1->K, NULL, 0, d1->grad, d1->K, o0, d1->K, d1->param,
                                       d1->K, o1, d1->K, o0 + 1024, d1->tlen + 1 + tt);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_backward: grad_temperature_len is %zu",
                 PREC_NAME, d1->tlen + 1 + tt);
        break;
    case TE_GUMBEL_LD:
        st = ROW_FN(gumbel)(e->ctx, seed, off, 3, 16 + tt, o0, 16 + tt - 1 - tt % 8);
        snprintf(needle, needle_len, "relaxcat_gumbel_%s: out_ld: leading dimension %zu is below K = %zu", PREC_NAME,
                 16 + tt - 1 - tt % 8, 16 + tt);
        break;
    case TE_NEW_PROBS_NEG:
        memcpy(in, d1->param, d1->B * d1->K * sizeof(REAL));
        r = t % d1->B;
        c = (t / 3) % d1->K;
        in[r * d1->K + c] = -(REAL)((double)t + 0.5);
        st = DIST_FN(new)(e->ctx, d1->B, d1->K, d1->temperature, d1->tlen, in, d1->K, NULL, 0, 0, &made);
        snprintf(needle, needle_len, "relaxcat_dist_%s_new: probs: row %zu, category %zu is %g", PREC_NAME, r, c,
                 (double)in[r * d1->K + c]);
        break;
    case TE_OVERFLOW:
        st = DIST_FN(rsample_log)(h0, e->gen, SIZE_MAX / 2 + tt, o0, d0->K);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_log: samples x batch rows: %zu x %zu overflows size_t",
                 PREC_NAME, SIZE_MAX / 2 + tt, d0->B);
        break;
    case TE_LOGX_POS:
        memcpy(in, d0->logv, 2 * d0->B * d0->K * sizeof(REAL));
        r = t % (2 * d0->B);
        c = (t * 5) % d0->K;
        in[r * d0->K + c] = (REAL)(0.25 + (double)t);
        st = DIST_FN(log_prob_x)(h0, 2 * d0->B, in, d0->K, o0);
        snprintf(needle, needle_len, "relaxcat_dist_%s_log_prob_x: log-space value: row %zu, category %zu is %g",
                 PREC_NAME, r, c, (double)in[r * d0->K + c]);
        break;
    case TE_CAT_T_NEG: {
        REAL temps[3];
        memcpy(temps, d1->temperature, sizeof temps);
        r = t % 3;
        temps[r] = -(REAL)((double)t + 0.75);
        st = ROW_FN(categorical_sample)(e->ctx, d1->B, d1->K, d1->cat_logits, d1->K, temps, 3, RELAXCAT_TOP_K_ALL, 0,
                                        seed, off, 0, d1->B, (int64_t *)(void *)o0, o1);
        snprintf(needle, needle_len, "relaxcat_categorical_sample_%s: temperature: row %zu is %g", PREC_NAME, r,
                 (double)temps[r]);
        break;
    }
    case TE_LPB_ROWS:
        r = 2 * d0->B + 1 + tt % (d0->B - 1);
        st = DIST_FN(log_prob_backward)(h0, r, d0->soft, d0->K, d0->grad_lp, o0, d0->K, NULL, 0, NULL, 0, NULL, 0,
                                        NULL, 0, o1);
        snprintf(needle, needle_len,
                 "relaxcat_dist_%s_log_prob_backward: rows is %zu, not a multiple of batch_rows = %zu",
                 PREC_NAME, r, d0->B);
        break;
    case TE_NULL_DIST:
    default:
        st = DIST_FN(rsample_hard_index_rows)(NULL, seed, off, 0, 1 + tt, (int64_t *)(void *)o0);
        snprintf(needle, needle_len, "relaxcat_dist_%s_rsample_hard_index_rows: dist is NULL", PREC_NAME);
        break;
    }
    snprintf(e->msg, sizeof e->msg, "%s", relaxcat_last_error_message() ? relaxcat_last_error_message() : "(NULL)");
    if (!is_sentinel(e->buf[0], ERR_BYTES) || !is_sentinel(e->buf[1], ERR_BYTES)) *untouched = 0;
    if (made != (DIST *)SENTINEL_PTR) {
        *untouched = 0;
        if (st == RELAXCAT_OK) DIST_FN(free)(made);
    }
    e->calls++;
    if (relaxcat_generator_position(e->gen, &after) != RELAXCAT_OK || after != before) *untouched = 0;
    return st;
}

#endif /* SOAK_TYPED */
