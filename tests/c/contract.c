#ifndef CONTRACT_TYPED
/* The C ABI contract, as a table: one row per (function, condition,
 * status, message fragment), each with the call that meets the condition.
 * For every row the program checks that
 *   - the call returns the row's status;
 *   - on error the thread's message starts with the function's name and
 *     contains the fragment (the C parameter's identifier, mostly), and on
 *     success the message is empty;
 *   - on error nothing was written: every output buffer and out-parameter
 *     still holds its sentinel bytes, every input is byte-identical (also
 *     where an aliasing output pointed into it) and the generator has not
 *     moved.
 * Then it reads include/relaxcat.h and checks, for every function that
 * returns a relaxcat_status:
 *   - its doc comment has an "Errors" paragraph;
 *   - every status of its rows is named in its doc, or in the doc of a
 *     function its Errors paragraph refers to ("as `relaxcat_...`",
 *     "those of `relaxcat_...`");
 *   - it has at least one row, so a function added later without rows
 *     fails here.
 *
 * The typed rows are written once, below CONTRACT_TYPED, and this file
 * includes itself for float and for double (as soak.c does). Built with
 * -std=c99 -Wall -Wextra -Werror -pedantic under ASan + UBSan by
 * `make contract` (tests/c/Makefile), part of `make check`. Prints the
 * table's size and "N passed, N failed", exits non-zero on any failure. */
#define _DEFAULT_SOURCE 1

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "check.h"
#include "relaxcat.h"

#ifndef RELAXCAT_HEADER
#error "build with -DRELAXCAT_HEADER=\"path/to/relaxcat.h\" (tests/c/Makefile does)"
#endif

int check_failures = 0;
int check_passes = 0;

/* The out-of-memory rows request more memory than any machine has, which
 * ASan's allocator refuses by aborting unless told to return NULL (as the
 * library's allocator handles it). Harmless without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

enum { B = 2, K = 3, BUF = 64 };

/* What a row's call returns when it cannot run here (the out-of-memory
 * rows without a large address-space reservation). */
#define SKIPPED ((relaxcat_status)-1000)

#define STR_(x) #x
#define STR(x) STR_(x)

/* A buffer misaligned for its element type: one byte past `p`. */
#define MIS(type, p) ((type *)(void *)((char *)(p) + 1))
#define CMIS(type, p) ((const type *)(const void *)((const char *)(p) + 1))

/* A row of the table, as the runner sees it. */
typedef struct {
    const char *function;
    const char *condition;
    relaxcat_status want;
    const char *fragment;
} row_info;

/* Shared state: the generator every sampler row uses, untyped outputs,
 * and a large read-only reservation of address space (no memory behind
 * it) that the out-of-memory rows pass as a matrix of 2^40 rows. */
static relaxcat_generator *gen;
static relaxcat_context *ctx2;
static const void *huge;
#define HUGE_ROWS ((size_t)1 << 40)
#define HUGE_BYTES ((size_t)1 << 43)

static int64_t out_index[BUF];
/* The out-parameters, misaligned ones included: 64 bytes, aligned for
 * any of them. */
static union {
    unsigned char bytes[64];
    uint64_t u64;
    void *p;
} out_store;
#define out_bytes (out_store.bytes)
static size_t *const out_size = (size_t *)(void *)out_bytes;
static uint64_t *const out_u64 = (uint64_t *)(void *)out_bytes;
static relaxcat_param *const out_param = (relaxcat_param *)(void *)out_bytes;
static int32_t *const out_i32 = (int32_t *)(void *)out_bytes;
static const char **const out_str = (const char **)(void *)out_bytes;
static relaxcat_context **const out_ctx = (relaxcat_context **)(void *)out_bytes;

static void reserve_huge(void) {
#if defined(__linux__) && defined(MAP_NORESERVE)
    void *p = mmap(NULL, HUGE_BYTES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    huge = p == MAP_FAILED ? NULL : p;
#endif
    if (huge == NULL) {
        printf("contract: no %zu-byte address-space reservation; the out-of-memory rows are skipped\n",
               (size_t)HUGE_BYTES);
    }
}

/* ------------------------------------------------------------------ */
/* Untyped rows: contexts, generators, the version.                    */

#define UNTYPED_ROWS(X)                                                                                  \
    X(relaxcat_context_new, "threads = 0", RELAXCAT_ERROR_INVALID_OPTION, "threads",                     \
      relaxcat_context_new(0, NULL, out_ctx))                                                            \
    X(relaxcat_context_new, "unknown backend name", RELAXCAT_ERROR_INVALID_OPTION, "backend",            \
      relaxcat_context_new(1, "no-such-backend", out_ctx))                                               \
    X(relaxcat_context_new, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                              \
      relaxcat_context_new(1, NULL, NULL))                                                               \
    X(relaxcat_context_free, "NULL ctx", RELAXCAT_OK, "", relaxcat_context_free(NULL))                   \
    X(relaxcat_context_threads, "NULL ctx", RELAXCAT_ERROR_NULL_POINTER, "ctx",                          \
      relaxcat_context_threads(NULL, out_size))                                                          \
    X(relaxcat_context_threads, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                          \
      relaxcat_context_threads(ctx2, NULL))                                                              \
    X(relaxcat_context_threads, "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                   \
      relaxcat_context_threads(ctx2, MIS(size_t, out_bytes)))                                            \
    X(relaxcat_context_backend, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                          \
      relaxcat_context_backend(ctx2, NULL))                                                              \
    X(relaxcat_context_backend, "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                   \
      relaxcat_context_backend(ctx2, MIS(const char *, out_bytes)))                                      \
    X(relaxcat_context_backend, "NULL ctx (the default backend)", RELAXCAT_OK, "",                       \
      relaxcat_context_backend(NULL, out_str))                                                           \
    X(relaxcat_generator_new, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                            \
      relaxcat_generator_new(1, NULL))                                                                   \
    X(relaxcat_generator_free, "NULL generator", RELAXCAT_OK, "", relaxcat_generator_free(NULL))         \
    X(relaxcat_generator_seed, "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",               \
      relaxcat_generator_seed(NULL, out_u64))                                                            \
    X(relaxcat_generator_seed, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                           \
      relaxcat_generator_seed(gen, NULL))                                                                \
    X(relaxcat_generator_seed, "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                    \
      relaxcat_generator_seed(gen, MIS(uint64_t, out_bytes)))                                            \
    X(relaxcat_generator_position, "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",           \
      relaxcat_generator_position(NULL, out_u64))                                                        \
    X(relaxcat_generator_position, "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                       \
      relaxcat_generator_position(gen, NULL))                                                            \
    X(relaxcat_generator_position, "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                \
      relaxcat_generator_position(gen, MIS(uint64_t, out_bytes)))                                        \
    X(relaxcat_generator_set_position, "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",       \
      relaxcat_generator_set_position(NULL, 3))                                                          \
    X(relaxcat_generator_set_position, "position 2^64 - 1 (valid)", RELAXCAT_OK, "",                     \
      relaxcat_generator_set_position(gen, UINT64_MAX))                                                  \
    X(relaxcat_generator_take, "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",               \
      relaxcat_generator_take(NULL, 2, out_u64))                                                         \
    X(relaxcat_generator_take, "NULL offset", RELAXCAT_ERROR_NULL_POINTER, "offset",                     \
      relaxcat_generator_take(gen, 2, NULL))                                                             \
    X(relaxcat_generator_take, "misaligned offset", RELAXCAT_ERROR_INVALID_SHAPE, "offset",              \
      relaxcat_generator_take(gen, 2, MIS(uint64_t, out_bytes)))                                         \
    X(relaxcat_generator_take, "rows past 2^64 (wraps)", RELAXCAT_OK, "",                                \
      relaxcat_generator_take(gen, UINT64_MAX, out_u64))                                                 \
    X(relaxcat_version, "all three NULL (skipped)", RELAXCAT_OK, "", relaxcat_version(NULL, NULL, NULL))

#define ROW_INFO(fn, cond, want, frag, call) {STR(fn), cond, want, frag},
static const row_info untyped_info[] = {UNTYPED_ROWS(ROW_INFO)};
enum { UNTYPED_COUNT = sizeof untyped_info / sizeof untyped_info[0] };

static relaxcat_status untyped_call(int i) {
    int n = 0;
#define ROW_CALL(fn, cond, want, frag, call) \
    if (i == n++) return (call);
    UNTYPED_ROWS(ROW_CALL)
    return SKIPPED;
}

/* ------------------------------------------------------------------ */
/* The runner: sentinels, snapshots, and the checks of one row.        */

/* Every buffer a row may write, with its sentinel copy. */
typedef struct {
    void *p;
    size_t bytes;
} span;

enum { MAX_SPANS = 32 };
static span outputs[MAX_SPANS], inputs[MAX_SPANS];
static unsigned char *input_copies[MAX_SPANS];
static int n_outputs, n_inputs;

static void add_output(void *p, size_t bytes) {
    outputs[n_outputs].p = p;
    outputs[n_outputs].bytes = bytes;
    n_outputs++;
}

static void add_input(void *p, size_t bytes) {
    inputs[n_inputs].p = p;
    inputs[n_inputs].bytes = bytes;
    input_copies[n_inputs] = malloc(bytes);
    n_inputs++;
}

static int rows_run, rows_skipped;

static void run_row(const row_info *r, relaxcat_status (*call)(int), int i) {
    uint64_t position_before = 0, position_after = 0;
    int k;
    for (k = 0; k < n_outputs; k++) fill_sentinel(outputs[k].p, outputs[k].bytes);
    for (k = 0; k < n_inputs; k++) memcpy(input_copies[k], inputs[k].p, inputs[k].bytes);
    relaxcat_generator_position(gen, &position_before);
    relaxcat_status got = call(i);
    if (got == SKIPPED) {
        rows_skipped++;
        return;
    }
    rows_run++;
    /* Copied: the next relaxcat call replaces the message. */
    char message[1024];
    snprintf(message, sizeof message, "%s", relaxcat_last_error_message());
    int good = got == r->want;
    if (good && r->want == RELAXCAT_OK) {
        good = message[0] == '\0';
    } else if (good) {
        good = strncmp(message, r->function, strlen(r->function)) == 0 && strstr(message, r->fragment) != NULL;
    }
    if (r->want != RELAXCAT_OK) {
        for (k = 0; k < n_outputs; k++) {
            const unsigned char *b = outputs[k].p;
            size_t j;
            for (j = 0; j < outputs[k].bytes; j++) {
                if (b[j] != SENTINEL_BYTE) {
                    fprintf(stderr, "  output %d written at byte %zu\n", k, j);
                    good = 0;
                    break;
                }
            }
        }
        for (k = 0; k < n_inputs; k++) {
            if (memcmp(input_copies[k], inputs[k].p, inputs[k].bytes) != 0) {
                fprintf(stderr, "  input %d changed\n", k);
                good = 0;
            }
        }
        relaxcat_generator_position(gen, &position_after);
        if (position_after != position_before) {
            fprintf(stderr, "  the generator moved\n");
            good = 0;
        }
    }
    relaxcat_generator_set_position(gen, 0);
    if (good) {
        check_passes++;
    } else {
        check_failures++;
        fprintf(stderr, "%s, %s: want %s, got %s\n  message: %s\n  fragment: %s\n", r->function, r->condition,
                relaxcat_status_str(r->want), relaxcat_status_str(got), message, r->fragment);
    }
}

/* The typed parts declare their tables here (defined below). */
static const row_info *typed_info[2];
static int typed_count[2];
static relaxcat_status (*typed_call[2])(int);
static void setup_f32(void);
static void setup_f64(void);
static void teardown_f32(void);
static void teardown_f64(void);

/* ------------------------------------------------------------------ */
/* The header: each status-returning function's doc comment.           */

typedef struct {
    char name[96];
    char *doc;
    int rows;
} header_fn;

enum { MAX_FNS = 256 };
static header_fn fns[MAX_FNS];
static int n_fns;

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

/* Every `/ ** ... * /` comment directly followed by `relaxcat_status
 * relaxcat_NAME(`: NAME and the comment's text. */
static void parse_header(char *text) {
    const char *decl = "relaxcat_status relaxcat_";
    char *p = text;
    while ((p = strstr(p, "/**")) != NULL) {
        char *end = strstr(p, "*/");
        if (!end) break;
        char *q = end + 2;
        while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q++;
        if (strncmp(q, decl, strlen(decl)) == 0 && n_fns < MAX_FNS) {
            const char *name = q + strlen("relaxcat_status ");
            size_t len = strcspn(name, "(");
            header_fn *f = &fns[n_fns++];
            if (len >= sizeof f->name) len = sizeof f->name - 1;
            memcpy(f->name, name, len);
            f->name[len] = '\0';
            f->doc = malloc((size_t)(end - p) + 1);
            memcpy(f->doc, p, (size_t)(end - p));
            f->doc[end - p] = '\0';
            f->rows = 0;
        }
        p = end + 2;
    }
}

static header_fn *find_fn(const char *name) {
    int i;
    for (i = 0; i < n_fns; i++)
        if (strcmp(fns[i].name, name) == 0) return &fns[i];
    return NULL;
}

/* The status names as the docs spell them (RELAXCAT_ERROR_ dropped). */
static const char *status_word(relaxcat_status s) {
    switch (s) {
    case RELAXCAT_ERROR_NULL_POINTER: return "NULL_POINTER";
    case RELAXCAT_ERROR_INVALID_SHAPE: return "INVALID_SHAPE";
    case RELAXCAT_ERROR_SIZE_OVERFLOW: return "SIZE_OVERFLOW";
    case RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE: return "INVALID_PARAMETER_CHOICE";
    case RELAXCAT_ERROR_INVALID_TEMPERATURE: return "INVALID_TEMPERATURE";
    case RELAXCAT_ERROR_INVALID_PROBS: return "INVALID_PROBS";
    case RELAXCAT_ERROR_INVALID_LOGITS: return "INVALID_LOGITS";
    case RELAXCAT_ERROR_INVALID_VALUE: return "INVALID_VALUE";
    case RELAXCAT_ERROR_ALIASING: return "ALIASING";
    case RELAXCAT_ERROR_INVALID_OPTION: return "INVALID_OPTION";
    case RELAXCAT_ERROR_INTERNAL: return "INTERNAL";
    case RELAXCAT_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    default: return NULL;
    }
}

/* Whether `word` appears in the doc of `f` or, through the functions
 * named in backquotes after its "Errors", in theirs (depth-limited). */
static int doc_names(const header_fn *f, const char *word, int depth) {
    if (strstr(f->doc, word) != NULL) return 1;
    if (depth == 0) return 0;
    const char *p = strstr(f->doc, "Errors");
    while (p && (p = strstr(p, "`relaxcat_")) != NULL) {
        char name[96];
        size_t len = strcspn(p + 1, "`");
        if (len < sizeof name) {
            memcpy(name, p + 1, len);
            name[len] = '\0';
            const header_fn *g = find_fn(name);
            if (g && g != f && doc_names(g, word, depth - 1)) return 1;
        }
        p += 1 + len;
    }
    return 0;
}

static void check_docs(const row_info *info, int count) {
    int i;
    for (i = 0; i < count; i++) {
        header_fn *f = find_fn(info[i].function);
        if (!f) {
            check_failures++;
            fprintf(stderr, "%s: a row names a function the header does not declare\n", info[i].function);
            continue;
        }
        f->rows++;
        const char *word = status_word(info[i].want);
        if (word == NULL) continue; /* RELAXCAT_OK rows */
        if (doc_names(f, word, 3)) {
            check_passes++;
        } else {
            check_failures++;
            fprintf(stderr, "%s: returns %s (%s) but its doc does not name it\n", f->name, word,
                    info[i].condition);
        }
    }
}

int main(void) {
    int i, t;
    char *header = read_file(RELAXCAT_HEADER);
    if (!header) {
        fprintf(stderr, "contract: cannot read %s\n", RELAXCAT_HEADER);
        return 1;
    }
    parse_header(header);
    reserve_huge();
    OK(relaxcat_generator_new(7, &gen));
    OK(relaxcat_context_new(2, NULL, &ctx2));
    add_output(out_index, sizeof out_index);
    add_output(out_bytes, sizeof out_bytes);
    setup_f32();
    setup_f64();

    for (i = 0; i < UNTYPED_COUNT; i++) run_row(&untyped_info[i], untyped_call, i);
    for (t = 0; t < 2; t++)
        for (i = 0; i < typed_count[t]; i++) run_row(&typed_info[t][i], typed_call[t], i);

    check_docs(untyped_info, UNTYPED_COUNT);
    for (t = 0; t < 2; t++) check_docs(typed_info[t], typed_count[t]);
    int functions_with_rows = 0;
    for (i = 0; i < n_fns; i++) {
        if (strstr(fns[i].doc, "Errors") == NULL) {
            check_failures++;
            fprintf(stderr, "%s: its doc has no Errors paragraph\n", fns[i].name);
        }
        if (fns[i].rows == 0) {
            check_failures++;
            fprintf(stderr, "%s: no row of the contract table\n", fns[i].name);
        } else {
            functions_with_rows++;
        }
    }

    teardown_f32();
    teardown_f64();
    relaxcat_context_free(ctx2);
    relaxcat_generator_free(gen);
    for (i = 0; i < n_inputs; i++) free(input_copies[i]);
    for (i = 0; i < n_fns; i++) free(fns[i].doc);
    free(header);
#if defined(__linux__) && defined(MAP_NORESERVE)
    if (huge) munmap((void *)huge, HUGE_BYTES);
#endif
    printf("contract: %d rows (%d untyped, %d f32, %d f64) over %d of %d status-returning functions; %d run, "
           "%d skipped\n",
           UNTYPED_COUNT + typed_count[0] + typed_count[1], UNTYPED_COUNT, typed_count[0], typed_count[1],
           functions_with_rows, n_fns, rows_run, rows_skipped);
    printf("%d passed, %d failed\n", check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The per-precision part, included twice.                             */

#define CONTRACT_TYPED 1

#define REAL float
#define DIST relaxcat_dist_f32
#define DIST_FN(v) relaxcat_dist_f32_##v
#define ROW_FN(v) relaxcat_##v##_f32
#define T_FN(v) v##_f32
#define PARAMS relaxcat_params_f32
#define SLOT 0
#include "contract.c"
#undef REAL
#undef DIST
#undef DIST_FN
#undef ROW_FN
#undef T_FN
#undef PARAMS
#undef SLOT

#define REAL double
#define DIST relaxcat_dist_f64
#define DIST_FN(v) relaxcat_dist_f64_##v
#define ROW_FN(v) relaxcat_##v##_f64
#define T_FN(v) v##_f64
#define PARAMS relaxcat_params_f64
#define SLOT 1
#include "contract.c"

#else /* CONTRACT_TYPED: the per-precision part, included twice above */

/* Inputs (B = 2 rows of K = 3): logits, the same with a masked category
 * per row, probs, a scalar temperature, simplex values and their logs, a
 * value off the simplex, upstream gradients, and an all-zero row of probs
 * with a -0.0. */
static REAL T_FN(logits)[B * K] = {0.1, -0.4, 1.2, 0.0, 0.5, -2.0};
static REAL T_FN(masked_logits)[B * K] = {0.1, -INFINITY, 1.2, -INFINITY, 0.5, -2.0};
static REAL T_FN(probs)[B * K] = {0.2, 0.3, 0.5, 0.2, 0.3, 0.5};
static REAL T_FN(neg_zero_probs)[B * K] = {0.2, -0.0, 0.8, 0.2, 0.3, 0.5};
static REAL T_FN(neg_probs)[B * K] = {0.2, 0.3, 0.5, 0.2, -0.5, 0.3};
static REAL T_FN(temp)[B] = {0.5, 0.5};
static REAL T_FN(zero_temp)[1] = {0.0};
static REAL T_FN(value)[B * K] = {0.2, 0.3, 0.5, 0.2, 0.3, 0.5};
static REAL T_FN(xvalue)[B * K];
static REAL T_FN(far_xvalue)[B * K];
static REAL T_FN(bad_value)[B * K] = {0.2, 0.3, 0.5, 1.5, -0.5, 0.0};
static REAL T_FN(nan_logits)[B * K] = {0.1, -0.4, 1.2, 0.0, NAN, -2.0};
static REAL T_FN(grad)[B * K] = {0.3, -0.1, 0.2, 0.5, 0.0, -0.4};

/* Outputs. */
static REAL T_FN(out_a)[BUF], T_FN(out_b)[BUF], T_FN(out_c)[BUF];
static DIST *T_FN(made);

/* Distributions: logits (scalar temperature), probs, masked logits, and
 * one of a single row (B = 1). */
static DIST *T_FN(dl), *T_FN(dp), *T_FN(dm), *T_FN(d1);

/* One-shot parameters: logits, probs, K = 0, temperature 0, 2^40 rows. */
static PARAMS T_FN(pl), T_FN(pp), T_FN(pk0), T_FN(pt0), T_FN(phuge);

#define L T_FN(logits)
#define P T_FN(probs)
#define TEMP T_FN(temp)
#define V T_FN(value)
#define XV T_FN(xvalue)
#define G T_FN(grad)
#define OA T_FN(out_a)
#define OB T_FN(out_b)
#define OC T_FN(out_c)
#define MADE (&T_FN(made))
#define DL T_FN(dl)
#define DP T_FN(dp)
#define DM T_FN(dm)
#define D1 T_FN(d1)
#define HUGE_R ((const REAL *)huge)
#define IF_HUGE(call) (huge ? (call) : SKIPPED)
#define BIG (SIZE_MAX / 2)

/* A distribution built and freed: the status of the build. */
static relaxcat_status T_FN(build_and_free)(const REAL *probs, const REAL *logits) {
    DIST *d = NULL;
    relaxcat_status s = DIST_FN(new)(NULL, B, K, TEMP, 1, probs, probs ? K : 0, logits, logits ? K : 0, 0, &d);
    DIST_FN(free)(d);
    return s;
}

/* The backward rows' common arguments. */
#define RB_ARGS(d, rows, soft, log, grad, grad_ld, gl, probs_given, pg_ld, gp, gt, gt_len) \
    d, rows, soft, K, log, K, grad, grad_ld, gl, K, probs_given, pg_ld, gp, K, gt, gt_len
#define LPB_ARGS(d, rows, value, value_ld, grad, gl, probs_given, gp, gt, gt_len, gv, lp) \
    d, rows, value, value_ld, grad, gl, K, probs_given, K, gp, K, gt, gt_len, gv, K, lp

/* The rows of the sampler with the generator, for fn in rsample, sample,
 * rsample_log. */
#define GEN_ROWS(X, fn)                                                                                        \
    X(DIST_FN(fn), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(fn)(NULL, gen, 1, OA, K))        \
    X(DIST_FN(fn), "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",                                \
      DIST_FN(fn)(DL, NULL, 1, OA, K))                                                                          \
    X(DIST_FN(fn), "NULL out, samples = 1", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(fn)(DL, gen, 1, NULL, K)) \
    X(DIST_FN(fn), "out_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", DIST_FN(fn)(DL, gen, 1, OA, K - 1))  \
    X(DIST_FN(fn), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                     \
      DIST_FN(fn)(DL, gen, 1, MIS(REAL, OA), K))                                                                \
    X(DIST_FN(fn), "samples x B overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out",                          \
      DIST_FN(fn)(DL, gen, BIG, OA, K))                                                                         \
    X(DIST_FN(fn), "samples = 0, NULL out", RELAXCAT_OK, "", DIST_FN(fn)(DL, gen, 0, NULL, K))

/* The stateless rows, for fn in rsample_rows, rsample_log_rows. */
#define STATELESS_ROWS(X, fn)                                                                                  \
    X(DIST_FN(fn), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(fn)(NULL, 1, 0, 0, 2, OA, K))    \
    X(DIST_FN(fn), "NULL out, 2 rows", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(fn)(DL, 1, 0, 0, 2, NULL, K)) \
    X(DIST_FN(fn), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",                            \
      DIST_FN(fn)(DL, 1, 0, 2, 1, OA, K))                                                                       \
    X(DIST_FN(fn), "out_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", DIST_FN(fn)(DL, 1, 0, 0, 2, OA, 1))  \
    X(DIST_FN(fn), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                     \
      DIST_FN(fn)(DL, 1, 0, 0, 2, MIS(REAL, OA), K))                                                            \
    X(DIST_FN(fn), "rows x out_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out",                            \
      DIST_FN(fn)(DL, 1, 0, 0, 3, OA, BIG))                                                                     \
    X(DIST_FN(fn), "stream indices past 2^64 (wrap)", RELAXCAT_OK, "",                                        \
      DIST_FN(fn)(DL, 1, UINT64_MAX, SIZE_MAX - 1, SIZE_MAX, OA, K))

/* The sampler backward passes, for fn in rsample_backward,
 * rsample_hard_backward, rsample_log_backward. */
#define BACKWARD_ROWS(X, fn)                                                                                   \
    X(DIST_FN(fn), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                                           \
      DIST_FN(fn)(RB_ARGS(NULL, B, V, XV, G, K, OA, NULL, 0, NULL, NULL, 0)))                                  \
    X(DIST_FN(fn), "NULL grad", RELAXCAT_ERROR_NULL_POINTER, "grad",                                           \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, NULL, K, OA, NULL, 0, NULL, NULL, 0)))                                 \
    X(DIST_FN(fn), "soft and log both NULL", RELAXCAT_ERROR_NULL_POINTER, "soft",                              \
      DIST_FN(fn)(RB_ARGS(DL, B, NULL, NULL, G, K, OA, NULL, 0, NULL, NULL, 0)))                               \
    X(DIST_FN(fn), "grad_probs without probs_given", RELAXCAT_ERROR_NULL_POINTER, "probs_given",               \
      DIST_FN(fn)(RB_ARGS(DP, B, V, XV, G, K, NULL, NULL, 0, OA, NULL, 0)))                                    \
    X(DIST_FN(fn), "grad_probs on a logits distribution", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE,             \
      "grad_probs", DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, K, NULL, P, K, OA, NULL, 0)))                         \
    X(DIST_FN(fn), "rows not a multiple of B", RELAXCAT_ERROR_INVALID_SHAPE, "rows",                           \
      DIST_FN(fn)(RB_ARGS(DL, 1, V, XV, G, K, OA, NULL, 0, NULL, NULL, 0)))                                    \
    X(DIST_FN(fn), "grad_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "grad_ld",                                     \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, 1, OA, NULL, 0, NULL, NULL, 0)))                                    \
    X(DIST_FN(fn), "grad_temperature_len 2 for a scalar temperature", RELAXCAT_ERROR_INVALID_SHAPE,            \
      "grad_temperature_len", DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, K, NULL, NULL, 0, NULL, OB, 2)))            \
    X(DIST_FN(fn), "misaligned grad_logits", RELAXCAT_ERROR_INVALID_SHAPE, "grad_logits",                      \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, K, MIS(REAL, OA), NULL, 0, NULL, NULL, 0)))                         \
    X(DIST_FN(fn), "grad_logits overlaps grad", RELAXCAT_ERROR_ALIASING, "grad_logits",                        \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, K, G, NULL, 0, NULL, NULL, 0)))                                     \
    X(DIST_FN(fn), "grad_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "grad",                                  \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, BIG, OA, NULL, 0, NULL, NULL, 0)))                                  \
    X(DIST_FN(fn), "probs_given with a huge ld, grad_probs NULL (ignored)", RELAXCAT_OK, "",                   \
      DIST_FN(fn)(RB_ARGS(DP, B, V, XV, G, K, OA, P, BIG, NULL, NULL, 0)))                                     \
    X(DIST_FN(fn), "grad_temperature_len 7, grad_temperature NULL (ignored)", RELAXCAT_OK, "",                 \
      DIST_FN(fn)(RB_ARGS(DL, B, V, XV, G, K, OA, NULL, 0, NULL, NULL, 7)))

/* The density backward passes, for fn in log_prob_backward,
 * log_prob_x_backward, on values `value`. */
#define LP_BACKWARD_ROWS(X, fn, value)                                                                         \
    X(DIST_FN(fn), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                                           \
      DIST_FN(fn)(LPB_ARGS(NULL, B, value, K, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))                        \
    X(DIST_FN(fn), "NULL value", RELAXCAT_ERROR_NULL_POINTER, "value",                                         \
      DIST_FN(fn)(LPB_ARGS(DL, B, NULL, K, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))                           \
    X(DIST_FN(fn), "NULL grad", RELAXCAT_ERROR_NULL_POINTER, "grad",                                           \
      DIST_FN(fn)(LPB_ARGS(DL, B, value, K, NULL, OA, NULL, NULL, NULL, 0, NULL, NULL)))                       \
    X(DIST_FN(fn), "rows not a multiple of B", RELAXCAT_ERROR_INVALID_SHAPE, "rows",                           \
      DIST_FN(fn)(LPB_ARGS(DL, 1, value, K, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))                          \
    X(DIST_FN(fn), "value_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "value_ld",                                   \
      DIST_FN(fn)(LPB_ARGS(DL, B, value, 1, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))                          \
    X(DIST_FN(fn), "grad_probs without probs_given", RELAXCAT_ERROR_NULL_POINTER, "probs_given",               \
      DIST_FN(fn)(LPB_ARGS(DP, B, value, K, G, NULL, NULL, OA, NULL, 0, NULL, NULL)))                          \
    X(DIST_FN(fn), "grad_probs on a logits distribution", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE,             \
      "grad_probs", DIST_FN(fn)(LPB_ARGS(DL, B, value, K, G, NULL, P, OA, NULL, 0, NULL, NULL)))               \
    X(DIST_FN(fn), "grad_value overlaps value", RELAXCAT_ERROR_ALIASING, "grad_value",                         \
      DIST_FN(fn)(LPB_ARGS(DL, B, value, K, G, NULL, NULL, NULL, NULL, 0, value, NULL)))                       \
    X(DIST_FN(fn), "misaligned log_prob", RELAXCAT_ERROR_INVALID_SHAPE, "log_prob",                            \
      DIST_FN(fn)(LPB_ARGS(DL, B, value, K, G, NULL, NULL, NULL, NULL, 0, NULL, MIS(REAL, OA))))               \
    X(DIST_FN(fn), "value_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "value",                                \
      DIST_FN(fn)(LPB_ARGS(DL, B, value, BIG, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))                        \
    X(DIST_FN(fn), "a huge value_ld with a single row (B = 1)", RELAXCAT_OK, "",                               \
      DIST_FN(fn)(LPB_ARGS(D1, 1, value, BIG, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))

/* The density rows, for fn in log_prob, log_prob_x, on values `value`. */
#define DENSITY_ROWS(X, fn, value)                                                                             \
    X(DIST_FN(fn), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(fn)(NULL, B, value, K, OA))      \
    X(DIST_FN(fn), "NULL value", RELAXCAT_ERROR_NULL_POINTER, "value", DIST_FN(fn)(DL, B, NULL, K, OA))       \
    X(DIST_FN(fn), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(fn)(DL, B, value, K, NULL))        \
    X(DIST_FN(fn), "value_rows not a multiple of B", RELAXCAT_ERROR_INVALID_SHAPE, "value_rows",              \
      DIST_FN(fn)(DL, 3, value, K, OA))                                                                         \
    X(DIST_FN(fn), "value_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "value_ld", DIST_FN(fn)(DL, B, value, 1, OA)) \
    X(DIST_FN(fn), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                     \
      DIST_FN(fn)(DL, B, value, K, MIS(REAL, OA)))                                                              \
    X(DIST_FN(fn), "out overlaps value", RELAXCAT_ERROR_ALIASING, "out", DIST_FN(fn)(DL, B, value, K, value)) \
    X(DIST_FN(fn), "value_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "value",                               \
      DIST_FN(fn)(DL, B, value, BIG, OA))                                                                       \
    X(DIST_FN(fn), "a huge value_ld with a single row (B = 1)", RELAXCAT_OK, "",                              \
      DIST_FN(fn)(D1, 1, value, BIG, OA))

/* The one-shot rows every one-shot function has, for fn (its ROW_FN
 * name) called as fn(ctx, params, rest...). */
#define ONESHOT_ROWS(X, fn, ...)                                                                               \
    X(ROW_FN(fn), "NULL params", RELAXCAT_ERROR_NULL_POINTER, "params", ROW_FN(fn)(NULL, NULL, __VA_ARGS__))   \
    X(ROW_FN(fn), "params with k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k",                                      \
      ROW_FN(fn)(NULL, &T_FN(pk0), __VA_ARGS__))                                                               \
    X(ROW_FN(fn), "params with temperature 0", RELAXCAT_ERROR_INVALID_TEMPERATURE, "temperature",              \
      ROW_FN(fn)(NULL, &T_FN(pt0), __VA_ARGS__))                                                               \
    X(ROW_FN(fn), "2^40 parameter rows (the per-row state cannot be reserved)", RELAXCAT_ERROR_OUT_OF_MEMORY,  \
      "out of memory", IF_HUGE(ROW_FN(fn)(NULL, &T_FN(phuge), __VA_ARGS__)))

/* The row kernels softmax and log_softmax. */
#define ROWMAP_ROWS(X, fn)                                                                                     \
    X(ROW_FN(fn), "NULL input", RELAXCAT_ERROR_NULL_POINTER, "input", ROW_FN(fn)(NULL, B, K, NULL, K, OA, K))  \
    X(ROW_FN(fn), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", ROW_FN(fn)(NULL, B, K, L, K, NULL, K))       \
    X(ROW_FN(fn), "k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k", ROW_FN(fn)(NULL, B, 0, L, K, OA, K))             \
    X(ROW_FN(fn), "input_ld < k", RELAXCAT_ERROR_INVALID_SHAPE, "input_ld", ROW_FN(fn)(NULL, B, K, L, 1, OA, K)) \
    X(ROW_FN(fn), "out_ld < k", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", ROW_FN(fn)(NULL, B, K, L, K, OA, 1))   \
    X(ROW_FN(fn), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                      \
      ROW_FN(fn)(NULL, B, K, L, K, MIS(REAL, OA), K))                                                           \
    X(ROW_FN(fn), "out overlaps input, not in place", RELAXCAT_ERROR_ALIASING, "out",                         \
      ROW_FN(fn)(NULL, B, K, L, K, L + 1, K))                                                                   \
    X(ROW_FN(fn), "input_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "input",                                \
      ROW_FN(fn)(NULL, B, K, L, BIG, OA, K))                                                                    \
    X(ROW_FN(fn), "rows = 0, NULL buffers", RELAXCAT_OK, "", ROW_FN(fn)(NULL, 0, K, NULL, K, NULL, K))

#define TYPED_ROWS(X)                                                                                          \
    /* relaxcat_dist_T_new */                                                                                  \
    X(DIST_FN(new), "k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k", DIST_FN(new)(NULL, B, 0, TEMP, 1, NULL, 0, L, K, 0, MADE)) \
    X(DIST_FN(new), "batch_rows = 0", RELAXCAT_ERROR_INVALID_SHAPE, "batch_rows",                              \
      DIST_FN(new)(NULL, 0, K, TEMP, 1, NULL, 0, L, K, 0, MADE))                                               \
    X(DIST_FN(new), "temperature_len 3", RELAXCAT_ERROR_INVALID_SHAPE, "temperature_len",                      \
      DIST_FN(new)(NULL, B, K, TEMP, 3, NULL, 0, L, K, 0, MADE))                                               \
    X(DIST_FN(new), "logits_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "logits_ld",                                \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, L, 2, 0, MADE))                                               \
    X(DIST_FN(new), "misaligned logits", RELAXCAT_ERROR_INVALID_SHAPE, "logits",                               \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, CMIS(REAL, L), K, 0, MADE))                                   \
    X(DIST_FN(new), "rows x logits_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "logits",                      \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, L, BIG, 0, MADE))                                             \
    X(DIST_FN(new), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                                            \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, L, K, 0, NULL))                                               \
    X(DIST_FN(new), "NULL temperature", RELAXCAT_ERROR_NULL_POINTER, "temperature",                            \
      DIST_FN(new)(NULL, B, K, NULL, 1, NULL, 0, L, K, 0, MADE))                                               \
    X(DIST_FN(new), "both probs and logits", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE, "probs",                 \
      DIST_FN(new)(NULL, B, K, TEMP, 1, P, K, L, K, 0, MADE))                                                  \
    X(DIST_FN(new), "neither probs nor logits", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE, "both NULL",            \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, NULL, 0, 0, MADE))                                            \
    X(DIST_FN(new), "unknown flag bits", RELAXCAT_ERROR_INVALID_OPTION, "flags",                               \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, L, K, 6, MADE))                                               \
    X(DIST_FN(new), "temperature 0", RELAXCAT_ERROR_INVALID_TEMPERATURE, "temperature",                        \
      DIST_FN(new)(NULL, B, K, T_FN(zero_temp), 1, NULL, 0, L, K, 0, MADE))                                    \
    X(DIST_FN(new), "probs entry -0.5", RELAXCAT_ERROR_INVALID_PROBS, "probs",                                 \
      DIST_FN(new)(NULL, B, K, TEMP, 1, T_FN(neg_probs), K, NULL, 0, 0, MADE))                             \
    X(DIST_FN(new), "logits NaN", RELAXCAT_ERROR_INVALID_LOGITS, "logits",                                     \
      DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, T_FN(nan_logits), K, 0, MADE))                                \
    X(DIST_FN(new), "probs entry -0.0 (zero, not negative)", RELAXCAT_OK, "",                                  \
      T_FN(build_and_free)(T_FN(neg_zero_probs), NULL))                                                        \
    X(DIST_FN(new), "2^40 x 1 logits (the copy cannot be reserved)", RELAXCAT_ERROR_OUT_OF_MEMORY,             \
      "out of memory", IF_HUGE(DIST_FN(new)(NULL, HUGE_ROWS, 1, TEMP, 1, NULL, 0, HUGE_R, 1, 0, MADE)))        \
    X(DIST_FN(free), "NULL dist", RELAXCAT_OK, "", DIST_FN(free)(NULL))                                        \
    X(DIST_FN(with_context), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                                 \
      DIST_FN(with_context)(NULL, ctx2, MADE))                                                                 \
    X(DIST_FN(with_context), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(with_context)(DL, ctx2, NULL)) \
    /* attributes */                                                                                           \
    X(DIST_FN(num_categories), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                               \
      DIST_FN(num_categories)(NULL, out_size))                                                                 \
    X(DIST_FN(num_categories), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(num_categories)(DL, NULL)) \
    X(DIST_FN(num_categories), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                          \
      DIST_FN(num_categories)(DL, MIS(size_t, out_bytes)))                                                     \
    X(DIST_FN(batch_rows), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(batch_rows)(NULL, out_size)) \
    X(DIST_FN(batch_rows), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(batch_rows)(DL, NULL))      \
    X(DIST_FN(batch_rows), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                              \
      DIST_FN(batch_rows)(DL, MIS(size_t, out_bytes)))                                                         \
    X(DIST_FN(temperature_len), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                              \
      DIST_FN(temperature_len)(NULL, out_size))                                                                \
    X(DIST_FN(temperature_len), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out",                                \
      DIST_FN(temperature_len)(DL, NULL))                                                                      \
    X(DIST_FN(temperature_len), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                         \
      DIST_FN(temperature_len)(DL, MIS(size_t, out_bytes)))                                                    \
    X(DIST_FN(param), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(param)(NULL, out_param))       \
    X(DIST_FN(param), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(param)(DL, NULL))                \
    X(DIST_FN(param), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                   \
      DIST_FN(param)(DL, MIS(relaxcat_param, out_bytes)))                                                      \
    X(DIST_FN(validates), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(validates)(NULL, out_i32)) \
    X(DIST_FN(validates), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(validates)(DL, NULL))        \
    X(DIST_FN(validates), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                               \
      DIST_FN(validates)(DL, MIS(int32_t, out_bytes)))                                                         \
    X(DIST_FN(temperature), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(temperature)(NULL, OA, 1)) \
    X(DIST_FN(temperature), "NULL out, out_len 1", RELAXCAT_ERROR_NULL_POINTER, "out",                         \
      DIST_FN(temperature)(DL, NULL, 1))                                                                       \
    X(DIST_FN(temperature), "out_len 2 for a scalar temperature", RELAXCAT_ERROR_INVALID_SHAPE, "out_len",     \
      DIST_FN(temperature)(DL, OA, 2))                                                                         \
    X(DIST_FN(temperature), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                             \
      DIST_FN(temperature)(DL, MIS(REAL, OA), 1))                                                              \
    X(DIST_FN(probs), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(probs)(NULL, OA, K))           \
    X(DIST_FN(probs), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(probs)(DL, NULL, K))             \
    X(DIST_FN(probs), "out_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", DIST_FN(probs)(DL, OA, 1))         \
    X(DIST_FN(probs), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out", DIST_FN(probs)(DL, MIS(REAL, OA), K)) \
    X(DIST_FN(probs), "out_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out", DIST_FN(probs)(DL, OA, BIG))    \
    X(DIST_FN(logits), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist", DIST_FN(logits)(NULL, OA, K))         \
    X(DIST_FN(logits), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", DIST_FN(logits)(DP, NULL, K))           \
    X(DIST_FN(logits), "out_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", DIST_FN(logits)(DP, OA, 1))       \
    X(DIST_FN(logits), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                  \
      DIST_FN(logits)(DP, MIS(REAL, OA), K))                                                                   \
    X(DIST_FN(logits), "out_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out", DIST_FN(logits)(DP, OA, BIG))  \
    /* samplers */                                                                                             \
    GEN_ROWS(X, rsample)                                                                                       \
    GEN_ROWS(X, sample)                                                                                        \
    GEN_ROWS(X, rsample_log)                                                                                   \
    X(DIST_FN(rsample_hard), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                                 \
      DIST_FN(rsample_hard)(NULL, gen, 1, OA, K, OB, K))                                                       \
    X(DIST_FN(rsample_hard), "hard_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "hard_ld",                           \
      DIST_FN(rsample_hard)(DL, gen, 1, OA, 1, OB, K))                                                         \
    X(DIST_FN(rsample_hard), "hard overlaps soft", RELAXCAT_ERROR_ALIASING, "soft",                            \
      DIST_FN(rsample_hard)(DL, gen, 1, OA, K, OA + 1, K))                                                     \
    X(DIST_FN(rsample_with_log), "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",                   \
      DIST_FN(rsample_with_log)(DL, NULL, 1, OA, K, OB, K))                                                    \
    X(DIST_FN(rsample_with_log), "NULL log", RELAXCAT_ERROR_NULL_POINTER, "log",                               \
      DIST_FN(rsample_with_log)(DL, gen, 1, OA, K, NULL, K))                                                   \
    X(DIST_FN(rsample_with_log), "soft overlaps log", RELAXCAT_ERROR_ALIASING, "log",                          \
      DIST_FN(rsample_with_log)(DL, gen, 1, OA, K, OA, K))                                                     \
    X(DIST_FN(rsample_hard_with_log), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                        \
      DIST_FN(rsample_hard_with_log)(NULL, gen, 1, OA, K, OB, K, OC, K))                                       \
    X(DIST_FN(rsample_hard_with_log), "log_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "log_ld",                    \
      DIST_FN(rsample_hard_with_log)(DL, gen, 1, OA, K, OB, K, OC, 2))                                         \
    X(DIST_FN(rsample_hard_with_log), "hard overlaps log", RELAXCAT_ERROR_ALIASING, "log",                     \
      DIST_FN(rsample_hard_with_log)(DL, gen, 1, OA, K, OB, K, OA, K))                                         \
    STATELESS_ROWS(X, rsample_rows)                                                                            \
    STATELESS_ROWS(X, rsample_log_rows)                                                                        \
    X(DIST_FN(rsample_hard_rows), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",              \
      DIST_FN(rsample_hard_rows)(DL, 1, 0, 2, 1, OA, K, OB, K))                                                \
    X(DIST_FN(rsample_hard_rows), "NULL soft", RELAXCAT_ERROR_NULL_POINTER, "soft",                            \
      DIST_FN(rsample_hard_rows)(DL, 1, 0, 0, 2, OA, K, NULL, K))                                              \
    X(DIST_FN(rsample_hard_rows), "hard overlaps soft", RELAXCAT_ERROR_ALIASING, "soft",                       \
      DIST_FN(rsample_hard_rows)(DL, 1, 0, 0, 2, OA, K, OA + 2, K))                                            \
    X(DIST_FN(rsample_with_log_rows), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                        \
      DIST_FN(rsample_with_log_rows)(NULL, 1, 0, 0, 2, OA, K, OB, K))                                          \
    X(DIST_FN(rsample_with_log_rows), "soft_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "soft_ld",                  \
      DIST_FN(rsample_with_log_rows)(DL, 1, 0, 0, 2, OA, 1, OB, K))                                            \
    X(DIST_FN(rsample_with_log_rows), "soft overlaps log", RELAXCAT_ERROR_ALIASING, "log",                     \
      DIST_FN(rsample_with_log_rows)(DL, 1, 0, 0, 2, OA, K, OA + 1, K))                                        \
    X(DIST_FN(rsample_hard_with_log_rows), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",     \
      DIST_FN(rsample_hard_with_log_rows)(DL, 1, 0, 3, 1, OA, K, OB, K, OC, K))                                \
    X(DIST_FN(rsample_hard_with_log_rows), "NULL hard", RELAXCAT_ERROR_NULL_POINTER, "hard",                   \
      DIST_FN(rsample_hard_with_log_rows)(DL, 1, 0, 0, 2, NULL, K, OB, K, OC, K))                              \
    X(DIST_FN(rsample_hard_with_log_rows), "soft overlaps log", RELAXCAT_ERROR_ALIASING, "log",                \
      DIST_FN(rsample_hard_with_log_rows)(DL, 1, 0, 0, 2, OA, K, OB, K, OB, K))                                \
    X(DIST_FN(rsample_hard_index), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                           \
      DIST_FN(rsample_hard_index)(NULL, gen, 1, out_index))                                                    \
    X(DIST_FN(rsample_hard_index), "NULL generator", RELAXCAT_ERROR_NULL_POINTER, "generator",                 \
      DIST_FN(rsample_hard_index)(DL, NULL, 1, out_index))                                                     \
    X(DIST_FN(rsample_hard_index), "NULL out, samples = 1", RELAXCAT_ERROR_NULL_POINTER, "out",                \
      DIST_FN(rsample_hard_index)(DL, gen, 1, NULL))                                                           \
    X(DIST_FN(rsample_hard_index), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                      \
      DIST_FN(rsample_hard_index)(DL, gen, 1, MIS(int64_t, out_index)))                                        \
    X(DIST_FN(rsample_hard_index), "samples x B overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out",           \
      DIST_FN(rsample_hard_index)(DL, gen, BIG, out_index))                                                    \
    X(DIST_FN(rsample_hard_index_rows), "NULL dist", RELAXCAT_ERROR_NULL_POINTER, "dist",                      \
      DIST_FN(rsample_hard_index_rows)(NULL, 1, 0, 0, 2, out_index))                                           \
    X(DIST_FN(rsample_hard_index_rows), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",        \
      DIST_FN(rsample_hard_index_rows)(DL, 1, 0, 2, 1, out_index))                                             \
    X(DIST_FN(rsample_hard_index_rows), "NULL out, 2 rows", RELAXCAT_ERROR_NULL_POINTER, "out",                \
      DIST_FN(rsample_hard_index_rows)(DL, 1, 0, 0, 2, NULL))                                                  \
    X(DIST_FN(rsample_hard_index_rows), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                 \
      DIST_FN(rsample_hard_index_rows)(DL, 1, 0, 0, 2, MIS(int64_t, out_index)))                               \
    X(DIST_FN(rsample_hard_index_rows), "stream indices past 2^64 (wrap)", RELAXCAT_OK, "",                    \
      DIST_FN(rsample_hard_index_rows)(DL, 1, UINT64_MAX, SIZE_MAX - 1, SIZE_MAX, out_index))                  \
    /* densities */                                                                                            \
    DENSITY_ROWS(X, log_prob, V)                                                                               \
    X(DIST_FN(log_prob), "a value outside [0, 1]", RELAXCAT_ERROR_INVALID_VALUE, "value",                      \
      DIST_FN(log_prob)(DL, B, T_FN(bad_value), K, OA))                                                        \
    DENSITY_ROWS(X, log_prob_x, XV)                                                                            \
    X(DIST_FN(log_prob_x), "a value above 0", RELAXCAT_ERROR_INVALID_VALUE, "value",                           \
      DIST_FN(log_prob_x)(DL, B, V, K, OA))                                                                    \
    X(DIST_FN(log_prob_x), "finite x on a masked category (scores -inf)", RELAXCAT_OK, "",                     \
      DIST_FN(log_prob_x)(DM, B, XV, K, OA))                                                                   \
    X(DIST_FN(log_prob_x), "x = -1e308 (scores -inf)", RELAXCAT_OK, "",                                        \
      DIST_FN(log_prob_x)(DL, B, T_FN(far_xvalue), K, OA))                                                     \
    /* backward passes */                                                                                      \
    BACKWARD_ROWS(X, rsample_backward)                                                                         \
    BACKWARD_ROWS(X, rsample_hard_backward)                                                                    \
    BACKWARD_ROWS(X, rsample_log_backward)                                                                     \
    LP_BACKWARD_ROWS(X, log_prob_backward, V)                                                                  \
    X(DIST_FN(log_prob_backward), "a value outside [0, 1]", RELAXCAT_ERROR_INVALID_VALUE, "value",             \
      DIST_FN(log_prob_backward)(LPB_ARGS(DL, B, T_FN(bad_value), K, G, OA, NULL, NULL, NULL, 0, NULL, NULL))) \
    LP_BACKWARD_ROWS(X, log_prob_x_backward, XV)                                                               \
    X(DIST_FN(log_prob_x_backward), "a value above 0", RELAXCAT_ERROR_INVALID_VALUE, "value",                  \
      DIST_FN(log_prob_x_backward)(LPB_ARGS(DL, B, V, K, G, OA, NULL, NULL, NULL, 0, NULL, NULL)))             \
    /* one-shot functions */                                                                                   \
    ONESHOT_ROWS(X, rsample_rows, 1, 0, 0, 2, OA, K)                                                           \
    X(ROW_FN(rsample_rows), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",                    \
      ROW_FN(rsample_rows)(NULL, &T_FN(pl), 1, 0, 2, 1, OA, K))                                                \
    X(ROW_FN(rsample_rows), "out overlaps the logits in params", RELAXCAT_ERROR_ALIASING, "out",               \
      ROW_FN(rsample_rows)(NULL, &T_FN(pl), 1, 0, 0, 2, L, K))                                                 \
    ONESHOT_ROWS(X, rsample_log_rows, 1, 0, 0, 2, OA, K)                                                       \
    X(ROW_FN(rsample_log_rows), "NULL out, 2 rows", RELAXCAT_ERROR_NULL_POINTER, "out",                        \
      ROW_FN(rsample_log_rows)(NULL, &T_FN(pl), 1, 0, 0, 2, NULL, K))                                          \
    ONESHOT_ROWS(X, rsample_hard_rows, 1, 0, 0, 2, OA, K, OB, K)                                               \
    X(ROW_FN(rsample_hard_rows), "hard overlaps soft", RELAXCAT_ERROR_ALIASING, "soft",                        \
      ROW_FN(rsample_hard_rows)(NULL, &T_FN(pl), 1, 0, 0, 2, OA, K, OA, K))                                    \
    ONESHOT_ROWS(X, rsample_with_log_rows, 1, 0, 0, 2, OA, K, OB, K)                                           \
    X(ROW_FN(rsample_with_log_rows), "log_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "log_ld",                     \
      ROW_FN(rsample_with_log_rows)(NULL, &T_FN(pl), 1, 0, 0, 2, OA, K, OB, 1))                                \
    ONESHOT_ROWS(X, log_prob, B, V, K, OA)                                                                     \
    X(ROW_FN(log_prob), "a value outside [0, 1]", RELAXCAT_ERROR_INVALID_VALUE, "value",                       \
      ROW_FN(log_prob)(NULL, &T_FN(pl), B, T_FN(bad_value), K, OA))                                            \
    X(ROW_FN(log_prob), "out overlaps the probs in params", RELAXCAT_ERROR_ALIASING, "out",                    \
      ROW_FN(log_prob)(NULL, &T_FN(pp), B, V, K, P))                                                           \
    ONESHOT_ROWS(X, log_prob_x, B, XV, K, OA)                                                                  \
    X(ROW_FN(log_prob_x), "value_rows not a multiple of B", RELAXCAT_ERROR_INVALID_SHAPE, "value_rows",        \
      ROW_FN(log_prob_x)(NULL, &T_FN(pl), 3, XV, K, OA))                                                       \
    ONESHOT_ROWS(X, rsample_backward, B, V, K, XV, K, G, K, OA, K, NULL, K, NULL, 0)                           \
    X(ROW_FN(rsample_backward), "grad_probs for logits params", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE,       \
      "grad_probs", ROW_FN(rsample_backward)(NULL, &T_FN(pl), B, V, K, XV, K, G, K, NULL, K, OA, K, NULL, 0))  \
    ONESHOT_ROWS(X, rsample_log_backward, B, V, K, XV, K, G, K, OA, K, NULL, K, NULL, 0)                       \
    X(ROW_FN(rsample_log_backward), "soft and log both NULL", RELAXCAT_ERROR_NULL_POINTER, "soft",             \
      ROW_FN(rsample_log_backward)(NULL, &T_FN(pl), B, NULL, K, NULL, K, G, K, OA, K, NULL, K, NULL, 0))       \
    ONESHOT_ROWS(X, log_prob_backward, B, V, K, G, OA, K, NULL, K, NULL, 0, NULL, K, NULL)                     \
    X(ROW_FN(log_prob_backward), "grad_value overlaps value", RELAXCAT_ERROR_ALIASING, "grad_value",           \
      ROW_FN(log_prob_backward)(NULL, &T_FN(pl), B, V, K, G, NULL, K, NULL, K, NULL, 0, V, K, NULL))           \
    ONESHOT_ROWS(X, log_prob_x_backward, B, XV, K, G, OA, K, NULL, K, NULL, 0, NULL, K, NULL)                  \
    X(ROW_FN(log_prob_x_backward), "a value above 0", RELAXCAT_ERROR_INVALID_VALUE, "value",                   \
      ROW_FN(log_prob_x_backward)(NULL, &T_FN(pl), B, V, K, G, OA, K, NULL, K, NULL, 0, NULL, K, NULL))        \
    /* row kernels */                                                                                          \
    X(ROW_FN(logsumexp), "NULL input", RELAXCAT_ERROR_NULL_POINTER, "input", ROW_FN(logsumexp)(NULL, B, K, NULL, K, OA)) \
    X(ROW_FN(logsumexp), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", ROW_FN(logsumexp)(NULL, B, K, L, K, NULL)) \
    X(ROW_FN(logsumexp), "k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k", ROW_FN(logsumexp)(NULL, B, 0, L, K, OA))  \
    X(ROW_FN(logsumexp), "input_ld < k", RELAXCAT_ERROR_INVALID_SHAPE, "input_ld",                             \
      ROW_FN(logsumexp)(NULL, B, K, L, 1, OA))                                                                 \
    X(ROW_FN(logsumexp), "misaligned input", RELAXCAT_ERROR_INVALID_SHAPE, "input",                            \
      ROW_FN(logsumexp)(NULL, B, K, CMIS(REAL, L), K, OA))                                                     \
    X(ROW_FN(logsumexp), "out overlaps input", RELAXCAT_ERROR_ALIASING, "out", ROW_FN(logsumexp)(NULL, B, K, L, K, L)) \
    X(ROW_FN(logsumexp), "input_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "input",                          \
      ROW_FN(logsumexp)(NULL, B, K, L, BIG, OA))                                                               \
    ROWMAP_ROWS(X, softmax)                                                                                    \
    ROWMAP_ROWS(X, log_softmax)                                                                                \
    X(ROW_FN(gumbel), "NULL out", RELAXCAT_ERROR_NULL_POINTER, "out", ROW_FN(gumbel)(NULL, 1, 0, B, K, NULL, K)) \
    X(ROW_FN(gumbel), "k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k", ROW_FN(gumbel)(NULL, 1, 0, B, 0, OA, K))     \
    X(ROW_FN(gumbel), "out_ld < k", RELAXCAT_ERROR_INVALID_SHAPE, "out_ld", ROW_FN(gumbel)(NULL, 1, 0, B, K, OA, 1)) \
    X(ROW_FN(gumbel), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                                   \
      ROW_FN(gumbel)(NULL, 1, 0, B, K, MIS(REAL, OA), K))                                                      \
    X(ROW_FN(gumbel), "out_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "out", ROW_FN(gumbel)(NULL, 1, 0, B, K, OA, BIG)) \
    X(ROW_FN(gumbel), "stream indices past 2^64 (wrap)", RELAXCAT_OK, "",                                     \
      ROW_FN(gumbel)(NULL, 1, UINT64_MAX, B, K, OA, K))                                                        \
    /* categorical sampling */                                                                                 \
    X(ROW_FN(categorical_sample), "k = 0", RELAXCAT_ERROR_INVALID_SHAPE, "k",                                  \
      ROW_FN(categorical_sample)(NULL, B, 0, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "batch_rows = 0", RELAXCAT_ERROR_INVALID_SHAPE, "batch_rows",                \
      ROW_FN(categorical_sample)(NULL, 0, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "temperature_len 3", RELAXCAT_ERROR_INVALID_SHAPE, "temperature_len",        \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 3, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "logits_ld < K", RELAXCAT_ERROR_INVALID_SHAPE, "logits_ld",                  \
      ROW_FN(categorical_sample)(NULL, B, K, L, 1, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "row_end < row_begin", RELAXCAT_ERROR_INVALID_SHAPE, "row_end",              \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 2, 1, out_index, OA)) \
    X(ROW_FN(categorical_sample), "misaligned out", RELAXCAT_ERROR_INVALID_SHAPE, "out",                       \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2,                 \
                                 MIS(int64_t, out_index), OA))                                                 \
    X(ROW_FN(categorical_sample), "logits_ld overflows", RELAXCAT_ERROR_SIZE_OVERFLOW, "logits",               \
      ROW_FN(categorical_sample)(NULL, B, K, L, BIG, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "NULL logits", RELAXCAT_ERROR_NULL_POINTER, "logits",                        \
      ROW_FN(categorical_sample)(NULL, B, K, NULL, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "NULL out, 2 rows", RELAXCAT_ERROR_NULL_POINTER, "out",                      \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, NULL, OA))     \
    X(ROW_FN(categorical_sample), "top_k = 0", RELAXCAT_ERROR_INVALID_OPTION, "top_k",                         \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, 0, 0, 1, 0, 0, 2, out_index, OA))                  \
    X(ROW_FN(categorical_sample), "unknown flag bits", RELAXCAT_ERROR_INVALID_OPTION, "flags",                 \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 2, 1, 0, 0, 2, out_index, OA)) \
    X(ROW_FN(categorical_sample), "temperature -0.5", RELAXCAT_ERROR_INVALID_TEMPERATURE, "temperature",       \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, T_FN(bad_value) + 4, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2,  \
                                 out_index, OA))                                                               \
    X(ROW_FN(categorical_sample), "logits NaN", RELAXCAT_ERROR_INVALID_LOGITS, "logits",                       \
      ROW_FN(categorical_sample)(NULL, B, K, T_FN(nan_logits), K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2,  \
                                 out_index, OA))                                                               \
    X(ROW_FN(categorical_sample), "log_prob overlaps logits", RELAXCAT_ERROR_ALIASING, "log_prob",             \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, TEMP, 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2, out_index, L))  \
    X(ROW_FN(categorical_sample), "temperature 0 (the argmax)", RELAXCAT_OK, "",                               \
      ROW_FN(categorical_sample)(NULL, B, K, L, K, T_FN(zero_temp), 1, RELAXCAT_TOP_K_ALL, 0, 1, 0, 0, 2,      \
                                 out_index, OA))

static const row_info T_FN(info)[] = {TYPED_ROWS(ROW_INFO)};

static relaxcat_status T_FN(call)(int i) {
    int n = 0;
    TYPED_ROWS(ROW_CALL)
    return SKIPPED;
}

static void T_FN(setup)(void) {
    int i;
    for (i = 0; i < B * K; i++) {
        T_FN(xvalue)[i] = (REAL)log((double)T_FN(value)[i]);
        T_FN(far_xvalue)[i] = T_FN(xvalue)[i];
    }
    /* Row 1: -1e308 (-inf in f32) on category 0, the mass on the others. */
    T_FN(far_xvalue)[K + 0] = (REAL)-1e308;
    T_FN(far_xvalue)[K + 1] = (REAL)log(0.5);
    T_FN(far_xvalue)[K + 2] = (REAL)log(0.5);
    OK(DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, L, K, 0, &DL));
    OK(DIST_FN(new)(NULL, B, K, TEMP, 1, P, K, NULL, 0, 0, &DP));
    OK(DIST_FN(new)(NULL, B, K, TEMP, 1, NULL, 0, T_FN(masked_logits), K, 0, &DM));
    OK(DIST_FN(new)(NULL, 1, K, TEMP, 1, NULL, 0, L, K, 0, &D1));
    PARAMS pl = {B, K, TEMP, 1, NULL, 0, L, K, 0};
    PARAMS pp = {B, K, TEMP, 1, P, K, NULL, 0, 0};
    PARAMS pk0 = {B, 0, TEMP, 1, NULL, 0, L, K, 0};
    PARAMS pt0 = {B, K, T_FN(zero_temp), 1, NULL, 0, L, K, 0};
    PARAMS phuge = {HUGE_ROWS, 1, TEMP, 1, NULL, 0, HUGE_R, 1, 0};
    T_FN(pl) = pl;
    T_FN(pp) = pp;
    T_FN(pk0) = pk0;
    T_FN(pt0) = pt0;
    T_FN(phuge) = phuge;
    add_output(OA, sizeof OA);
    add_output(OB, sizeof OB);
    add_output(OC, sizeof OC);
    add_output(&T_FN(made), sizeof T_FN(made));
    add_input(L, sizeof L);
    add_input(P, sizeof P);
    add_input(TEMP, sizeof TEMP);
    add_input(V, sizeof V);
    add_input(XV, sizeof XV);
    add_input(G, sizeof G);
    add_input(T_FN(bad_value), sizeof T_FN(bad_value));
    typed_info[SLOT] = T_FN(info);
    typed_count[SLOT] = (int)(sizeof T_FN(info) / sizeof T_FN(info)[0]);
    typed_call[SLOT] = T_FN(call);
}

static void T_FN(teardown)(void) {
    DIST_FN(free)(DL);
    DIST_FN(free)(DP);
    DIST_FN(free)(DM);
    DIST_FN(free)(D1);
}

#undef L
#undef P
#undef TEMP
#undef V
#undef XV
#undef G
#undef OA
#undef OB
#undef OC
#undef MADE
#undef DL
#undef DP
#undef DM
#undef D1
#undef HUGE_R
#undef IF_HUGE
#undef BIG
#undef RB_ARGS
#undef LPB_ARGS
#undef GEN_ROWS
#undef STATELESS_ROWS
#undef BACKWARD_ROWS
#undef LP_BACKWARD_ROWS
#undef DENSITY_ROWS
#undef ONESHOT_ROWS
#undef ROWMAP_ROWS
#undef TYPED_ROWS

#endif /* CONTRACT_TYPED */
