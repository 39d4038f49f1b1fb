/* The bad-input matrix of relaxcat's C ABI: one table row per class of bad
 * input (README.md, "Bad input: the classes and their errors"), each with
 * the call, the status it must return and the fragments its message must
 * contain (the function, the parameter, and the row, category and value
 * where there are ones).
 *
 * Before every call the output buffer and the out-parameter are filled
 * with sentinels and the inputs are snapshotted; afterwards the outputs
 * must be byte-identical, the inputs unchanged (also where an output
 * aliases them) and the generator where it was. The Rust twin is
 * tests/all/bad_input_matrix.rs; tests/c/test_relaxcat.c exercises every
 * function's errors in more variants, for f32 and f64.
 *
 * Built with -std=c99 -Wall -Wextra -Werror and run under AddressSanitizer
 * and UBSan by `make check` (tests/c/Makefile). Prints "N passed, N
 * failed" and exits non-zero on any failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "relaxcat.h"

int check_failures = 0;
int check_passes = 0;

enum { B = 2, K = 3, BUF = 64 };

/* Inputs: B x K logits and probs, one temperature per row, value rows. */
static double logits[B * K] = {0.1, -0.4, 1.2, 0.0, 0.5, -2.0};
static double probs[B * K] = {0.2, 0.3, 0.5, 0.2, 0.3, 0.5};
static double temperature[B] = {0.5, 0.5};
static double values[3 * K] = {0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.2, 0.3, 0.5};
/* A scratch input that a row may fill (and alias an output with). */
static double scratch[BUF];

/* Outputs: a buffer and a distribution out-parameter, sentinel-filled. */
static double out[BUF];
static relaxcat_dist_f64 *made;
static char sentinel_object;
#define SENTINEL_DIST ((relaxcat_dist_f64 *)(void *)&sentinel_object)

/* A valid distribution and generator the calls use. */
static relaxcat_dist_f64 *dist;
static relaxcat_generator *gen;

/* Builds from logits with row 1 (or the temperature of row 1) replaced. */
static relaxcat_status new_logits_row1(double a, double b, double c) {
    double l[B * K];
    memcpy(l, logits, sizeof l);
    l[K + 0] = a;
    l[K + 1] = b;
    l[K + 2] = c;
    return relaxcat_dist_f64_new(NULL, B, K, temperature, B, NULL, 0, l, K, 0, &made);
}

static relaxcat_status new_probs_row1(double a, double b, double c) {
    double p[B * K];
    memcpy(p, probs, sizeof p);
    p[K + 0] = a;
    p[K + 1] = b;
    p[K + 2] = c;
    return relaxcat_dist_f64_new(NULL, B, K, temperature, B, p, K, NULL, 0, 0, &made);
}

static relaxcat_status new_temperature_row1(double t) {
    double ts[B] = {0.5, 0.5};
    ts[1] = t;
    return relaxcat_dist_f64_new(NULL, B, K, ts, B, NULL, 0, logits, K, 0, &made);
}

static relaxcat_status log_prob_row1(double a, double b, double c) {
    double v[B * K];
    memcpy(v, values, sizeof v);
    v[K + 0] = a;
    v[K + 1] = b;
    v[K + 2] = c;
    return relaxcat_dist_f64_log_prob(dist, B, v, K, out);
}

/* One function per row of the table. */
static relaxcat_status null_temperature(void) {
    return relaxcat_dist_f64_new(NULL, B, K, NULL, 1, NULL, 0, logits, K, 0, &made);
}
static relaxcat_status null_value(void) { return relaxcat_dist_f64_log_prob(dist, B, NULL, K, out); }
static relaxcat_status null_out(void) { return relaxcat_dist_f64_rsample(dist, gen, 1, NULL, K); }
static relaxcat_status null_handle(void) { return relaxcat_dist_f64_rsample(NULL, gen, 1, out, K); }
static relaxcat_status k_zero(void) {
    return relaxcat_dist_f64_new(NULL, B, 0, temperature, B, NULL, 0, logits, 0, 0, &made);
}
static relaxcat_status rows_zero(void) {
    return relaxcat_dist_f64_new(NULL, 0, K, temperature, 1, NULL, 0, logits, K, 0, &made);
}
static relaxcat_status temperature_count(void) {
    return relaxcat_dist_f64_new(NULL, B, K, temperature, 3, NULL, 0, logits, K, 0, &made);
}
static relaxcat_status overflow_new(void) {
    return relaxcat_dist_f64_new(NULL, SIZE_MAX, K, temperature, 1, NULL, 0, logits, K, 0, &made);
}
static relaxcat_status overflow_samples(void) { return relaxcat_dist_f64_rsample(dist, gen, SIZE_MAX, out, K); }
static relaxcat_status overflow_bytes(void) { return relaxcat_dist_f64_rsample(dist, gen, SIZE_MAX / 8, out, K); }
static relaxcat_status ld_new(void) {
    return relaxcat_dist_f64_new(NULL, B, K, temperature, B, NULL, 0, logits, K - 1, 0, &made);
}
static relaxcat_status ld_out(void) { return relaxcat_dist_f64_rsample(dist, gen, 1, out, K - 1); }
static relaxcat_status t_zero(void) { return new_temperature_row1(0.0); }
static relaxcat_status t_negative(void) { return new_temperature_row1(-1.5); }
static relaxcat_status t_nan(void) { return new_temperature_row1(NAN); }
static relaxcat_status t_inf(void) { return new_temperature_row1(INFINITY); }
static relaxcat_status p_negative(void) { return new_probs_row1(0.2, 0.3, -0.5); }
static relaxcat_status p_nan(void) { return new_probs_row1(NAN, 0.3, 0.5); }
static relaxcat_status p_inf(void) { return new_probs_row1(0.1, INFINITY, 0.5); }
static relaxcat_status p_zero(void) { return new_probs_row1(0.0, 0.0, 0.0); }
static relaxcat_status l_nan(void) { return new_logits_row1(0.0, NAN, 1.0); }
static relaxcat_status l_inf(void) { return new_logits_row1(0.0, 1.0, INFINITY); }
static relaxcat_status l_all_ninf(void) { return new_logits_row1(-INFINITY, -INFINITY, -INFINITY); }
static relaxcat_status both(void) {
    return relaxcat_dist_f64_new(NULL, B, K, temperature, B, probs, K, logits, K, 0, &made);
}
static relaxcat_status neither(void) {
    return relaxcat_dist_f64_new(NULL, B, K, temperature, B, NULL, 0, NULL, 0, 0, &made);
}
static relaxcat_status v_sum(void) { return log_prob_row1(0.2, 0.3, 0.6); }
static relaxcat_status v_negative(void) { return log_prob_row1(0.5, -0.1, 0.6); }
static relaxcat_status v_above_one(void) { return log_prob_row1(0.2, 1.5, -0.7); }
static relaxcat_status v_nan(void) { return log_prob_row1(0.5, 0.5, NAN); }
static relaxcat_status x_positive(void) {
    double x[B * K];
    int i;
    for (i = 0; i < B * K; i++) x[i] = log(values[i]);
    x[K] = 0.1;
    return relaxcat_dist_f64_log_prob_x(dist, B, x, K, out);
}
static relaxcat_status value_rows(void) { return relaxcat_dist_f64_log_prob(dist, 3, values, K, out); }
static relaxcat_status alias_log_prob(void) {
    memcpy(scratch, values, sizeof values);
    return relaxcat_dist_f64_log_prob(dist, B, scratch, K, scratch + 1);
}
static relaxcat_status alias_hard_soft(void) {
    return relaxcat_dist_f64_rsample_hard(dist, gen, 1, out, K, out + K, K);
}

/* The one-shot functions: the parameters in a struct, read in place. */
static relaxcat_params_f64 oneshot_params(void) {
    relaxcat_params_f64 p;
    p.batch_rows = B;
    p.k = K;
    p.temperature = temperature;
    p.temperature_len = B;
    p.probs = NULL;
    p.probs_ld = 0;
    p.logits = logits;
    p.logits_ld = K;
    p.flags = 0;
    return p;
}
static relaxcat_status oneshot_null_params(void) { return relaxcat_rsample_rows_f64(NULL, NULL, 1, 0, 0, B, out, K); }
static relaxcat_status oneshot_logits_nan(void) {
    double l[B * K];
    relaxcat_params_f64 p = oneshot_params();
    memcpy(l, logits, sizeof l);
    l[K + 1] = NAN;
    p.logits = l;
    return relaxcat_rsample_rows_f64(NULL, &p, 1, 0, 0, B, out, K);
}
static relaxcat_status oneshot_t_zero(void) {
    double ts[B] = {0.5, 0.0};
    relaxcat_params_f64 p = oneshot_params();
    p.temperature = ts;
    return relaxcat_log_prob_f64(NULL, &p, B, values, K, out);
}
static relaxcat_status oneshot_rows_reversed(void) {
    relaxcat_params_f64 p = oneshot_params();
    return relaxcat_rsample_rows_f64(NULL, &p, 1, 0, 2, 1, out, K);
}
static relaxcat_status oneshot_value_sum(void) {
    double v[B * K];
    relaxcat_params_f64 p = oneshot_params();
    memcpy(v, values, sizeof v);
    v[K + 2] = 0.6;
    return relaxcat_log_prob_f64(NULL, &p, B, v, K, out);
}
static relaxcat_status oneshot_alias_params(void) {
    /* scratch holds the value rows here: valid logits too. */
    relaxcat_params_f64 p = oneshot_params();
    p.logits = scratch;
    return relaxcat_rsample_rows_f64(NULL, &p, 1, 0, 0, B, scratch + 1, K);
}

/* Categorical sampling from the logits (row 1 replaced), into `out` as
 * int64_t and `out + 32` as log_prob. */
static relaxcat_status categorical_row1(double a, double b, double c, double t1, size_t top_k) {
    double l[B * K], ts[B] = {0.5, 0.5};
    memcpy(l, logits, sizeof l);
    l[K + 0] = a;
    l[K + 1] = b;
    l[K + 2] = c;
    ts[1] = t1;
    return relaxcat_categorical_sample_f64(NULL, B, K, l, K, ts, B, top_k, 0, 1, 0, 0, 2 * B,
                                           (int64_t *)(void *)out, out + 32);
}
static relaxcat_status categorical_top_k_zero(void) { return categorical_row1(0.0, 0.5, -2.0, 0.5, 0); }
static relaxcat_status categorical_t_negative(void) {
    return categorical_row1(0.0, 0.5, -2.0, -1.5, RELAXCAT_TOP_K_ALL);
}
static relaxcat_status categorical_l_nan(void) { return categorical_row1(0.0, NAN, -2.0, 0.5, 2); }
static relaxcat_status categorical_l_all_ninf(void) {
    return categorical_row1(-INFINITY, -INFINITY, -INFINITY, 0.5, RELAXCAT_TOP_K_ALL);
}
static relaxcat_status categorical_null_out(void) {
    return relaxcat_categorical_sample_f64(NULL, B, K, logits, K, temperature, B, 2, 0, 1, 0, 0, B, NULL, out);
}
static relaxcat_status categorical_alias(void) {
    return relaxcat_categorical_sample_f64(NULL, B, K, logits, K, temperature, B, 2, 0, 1, 0, 0, B,
                                           (int64_t *)(void *)out, out + 1);
}
static relaxcat_status hard_index_null_generator(void) {
    return relaxcat_dist_f64_rsample_hard_index(dist, NULL, 1, (int64_t *)(void *)out);
}
static relaxcat_status hard_index_rows_reversed(void) {
    return relaxcat_dist_f64_rsample_hard_index_rows(dist, 1, 0, 2, 1, (int64_t *)(void *)out);
}

struct row {
    const char *class_name;
    relaxcat_status want;
    const char *fragments[5]; /* NULL-terminated */
    relaxcat_status (*call)(void);
};

#define NEW "relaxcat_dist_f64_new: "
#define RSAMPLE "relaxcat_dist_f64_rsample: "
#define LOG_PROB "relaxcat_dist_f64_log_prob: "
#define ONESHOT "relaxcat_rsample_rows_f64: "
#define CATEGORICAL "relaxcat_categorical_sample_f64: "

static const struct row matrix[] = {
    {"NULL pointer, non-zero length: temperature", RELAXCAT_ERROR_NULL_POINTER,
     {NEW "temperature is NULL", "1 elements", NULL}, null_temperature},
    {"NULL pointer, non-zero length: value", RELAXCAT_ERROR_NULL_POINTER,
     {LOG_PROB "value is NULL", "6 elements", NULL}, null_value},
    {"NULL pointer, non-zero length: out", RELAXCAT_ERROR_NULL_POINTER, {RSAMPLE "out is NULL", "6 elements", NULL},
     null_out},
    {"NULL handle", RELAXCAT_ERROR_NULL_POINTER, {RSAMPLE "dist is NULL", NULL}, null_handle},
    {"K = 0", RELAXCAT_ERROR_INVALID_SHAPE, {NEW "k is 0", NULL}, k_zero},
    {"rows = 0 (no parameter rows)", RELAXCAT_ERROR_INVALID_SHAPE, {NEW "batch_rows is 0", NULL},
     rows_zero},
    {"temperature count not 1 or B", RELAXCAT_ERROR_INVALID_SHAPE,
     {NEW "temperature_len is 3", "batch_rows = 2 (one per row)", NULL}, temperature_count},
    {"sizes whose product overflows: B x K", RELAXCAT_ERROR_SIZE_OVERFLOW, {NEW "logits", "overflows size_t", NULL},
     overflow_new},
    {"sizes whose product overflows: samples x B", RELAXCAT_ERROR_SIZE_OVERFLOW,
     {RSAMPLE "samples x batch rows", "overflows size_t", NULL}, overflow_samples},
    {"sizes whose bytes overflow", RELAXCAT_ERROR_SIZE_OVERFLOW, {RSAMPLE "out", "PTRDIFF_MAX", NULL},
     overflow_bytes},
    {"leading dimension < K: input", RELAXCAT_ERROR_INVALID_SHAPE,
     {NEW "logits_ld: leading dimension 2 is below K = 3", NULL}, ld_new},
    {"leading dimension < K: output", RELAXCAT_ERROR_INVALID_SHAPE,
     {RSAMPLE "out_ld: leading dimension 2 is below K = 3", NULL}, ld_out},
    {"temperature 0", RELAXCAT_ERROR_INVALID_TEMPERATURE, {NEW "temperature: row 1 is 0.0", NULL}, t_zero},
    {"temperature negative", RELAXCAT_ERROR_INVALID_TEMPERATURE, {NEW "temperature: row 1 is -1.5", NULL},
     t_negative},
    {"temperature NaN", RELAXCAT_ERROR_INVALID_TEMPERATURE, {NEW "temperature: row 1 is NaN", NULL}, t_nan},
    {"temperature +inf", RELAXCAT_ERROR_INVALID_TEMPERATURE, {NEW "temperature: row 1 is inf", NULL}, t_inf},
    {"probs negative", RELAXCAT_ERROR_INVALID_PROBS, {NEW "probs: row 1, category 2 is -0.5", NULL}, p_negative},
    {"probs NaN", RELAXCAT_ERROR_INVALID_PROBS, {NEW "probs: row 1, category 0 is NaN", NULL}, p_nan},
    {"probs +inf", RELAXCAT_ERROR_INVALID_PROBS, {NEW "probs: row 1, category 1 is inf", NULL}, p_inf},
    {"probs all zero", RELAXCAT_ERROR_INVALID_PROBS, {NEW "probs: row 1 sums to 0", "positive sum", NULL}, p_zero},
    {"logits NaN", RELAXCAT_ERROR_INVALID_LOGITS, {NEW "logits: row 1, category 1 is NaN", NULL}, l_nan},
    {"logits +inf", RELAXCAT_ERROR_INVALID_LOGITS, {NEW "logits: row 1, category 2 is inf", NULL}, l_inf},
    {"logits all -inf", RELAXCAT_ERROR_INVALID_LOGITS, {NEW "logits: row 1 is -inf everywhere", NULL}, l_all_ninf},
    {"both probs and logits", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE, {NEW "probs and logits both given", NULL},
     both},
    {"neither probs nor logits", RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE, {NEW "probs and logits both NULL", NULL},
     neither},
    {"value off the simplex (sum)", RELAXCAT_ERROR_INVALID_VALUE, {LOG_PROB "value: row 1 has sum", "simplex", NULL},
     v_sum},
    {"value below 0", RELAXCAT_ERROR_INVALID_VALUE, {LOG_PROB "value: row 1, category 1 is -0.1", NULL}, v_negative},
    {"value above 1", RELAXCAT_ERROR_INVALID_VALUE, {LOG_PROB "value: row 1, category 1 is 1.5", NULL}, v_above_one},
    {"value NaN", RELAXCAT_ERROR_INVALID_VALUE, {LOG_PROB "value: row 1, category 2 is NaN", NULL}, v_nan},
    {"log-space value above 0", RELAXCAT_ERROR_INVALID_VALUE,
     {"relaxcat_dist_f64_log_prob_x: log-space value: row 1, category 0 is 0.1", "<= 0", NULL}, x_positive},
    {"value rows not a multiple of batch rows", RELAXCAT_ERROR_INVALID_SHAPE,
     {LOG_PROB "value_rows is 3, not a multiple of batch_rows = 2", NULL}, value_rows},
    {"output aliasing an input", RELAXCAT_ERROR_ALIASING, {LOG_PROB "out", "overlaps value", NULL}, alias_log_prob},
    {"output aliasing another output", RELAXCAT_ERROR_ALIASING,
     {"relaxcat_dist_f64_rsample_hard: hard", "overlaps soft", NULL}, alias_hard_soft},
    {"one-shot: NULL parameter struct", RELAXCAT_ERROR_NULL_POINTER,
     {ONESHOT "params is NULL", NULL}, oneshot_null_params},
    {"one-shot: logits NaN", RELAXCAT_ERROR_INVALID_LOGITS,
     {ONESHOT "logits: row 1, category 1 is NaN", NULL}, oneshot_logits_nan},
    {"one-shot: temperature 0", RELAXCAT_ERROR_INVALID_TEMPERATURE,
     {"relaxcat_log_prob_f64: temperature: row 1 is 0.0", NULL}, oneshot_t_zero},
    {"one-shot: row range reversed", RELAXCAT_ERROR_INVALID_SHAPE,
     {ONESHOT "row range [2, 1) is reversed", NULL}, oneshot_rows_reversed},
    {"one-shot: value off the simplex", RELAXCAT_ERROR_INVALID_VALUE,
     {"relaxcat_log_prob_f64: value: row 1 has sum", NULL}, oneshot_value_sum},
    {"one-shot: output aliasing the parameters", RELAXCAT_ERROR_ALIASING,
     {ONESHOT "out", "overlaps", "logits", NULL}, oneshot_alias_params},
    {"categorical: top_k = 0", RELAXCAT_ERROR_INVALID_OPTION, {CATEGORICAL "top_k is 0", NULL},
     categorical_top_k_zero},
    {"categorical: temperature negative", RELAXCAT_ERROR_INVALID_TEMPERATURE,
     {CATEGORICAL "temperature: row 1 is -1.5", ">= 0", NULL}, categorical_t_negative},
    {"categorical: logits NaN", RELAXCAT_ERROR_INVALID_LOGITS,
     {CATEGORICAL "logits: row 1, category 1 is NaN", NULL}, categorical_l_nan},
    {"categorical: logits row all -inf", RELAXCAT_ERROR_INVALID_LOGITS,
     {CATEGORICAL "logits: row 1 is -inf everywhere", NULL}, categorical_l_all_ninf},
    {"categorical: NULL out", RELAXCAT_ERROR_NULL_POINTER, {CATEGORICAL "out is NULL", "2 elements", NULL},
     categorical_null_out},
    {"categorical: log_prob aliasing out", RELAXCAT_ERROR_ALIASING, {CATEGORICAL "out", "overlaps log_prob", NULL},
     categorical_alias},
    {"hard index: NULL generator", RELAXCAT_ERROR_NULL_POINTER,
     {"relaxcat_dist_f64_rsample_hard_index: generator is NULL", NULL}, hard_index_null_generator},
    {"hard index: row range reversed", RELAXCAT_ERROR_INVALID_SHAPE,
     {"relaxcat_dist_f64_rsample_hard_index_rows: row range [2, 1) is reversed", NULL}, hard_index_rows_reversed},
};

static int contains_all(const char *message, const char *const *fragments) {
    int i;
    for (i = 0; fragments[i] != NULL; i++) {
        if (strstr(message, fragments[i]) == NULL) return 0;
    }
    return 1;
}

int main(void) {
    double logits_before[B * K], probs_before[B * K], temperature_before[B], values_before[3 * K];
    double scratch_before[BUF];
    size_t i, n = sizeof matrix / sizeof matrix[0];
    uint64_t position = 0, before = 0;

    if (relaxcat_dist_f64_new(NULL, B, K, temperature, B, NULL, 0, logits, K, 0, &dist) != RELAXCAT_OK ||
        relaxcat_generator_new(5, &gen) != RELAXCAT_OK || relaxcat_generator_set_position(gen, 77) != RELAXCAT_OK) {
        fprintf(stderr, "setup failed: %s\n", relaxcat_last_error_message());
        return 1;
    }
    for (i = 0; i < n; i++) {
        const struct row *r = &matrix[i];
        relaxcat_status got;
        /* A copy: the library's pointer is valid only until the next call. */
        char message[512];
        int ok;

        fill_sentinel(out, sizeof out);
        made = SENTINEL_DIST;
        memcpy(scratch, values, sizeof values);
        memcpy(scratch_before, scratch, sizeof scratch);
        memcpy(logits_before, logits, sizeof logits);
        memcpy(probs_before, probs, sizeof probs);
        memcpy(temperature_before, temperature, sizeof temperature);
        memcpy(values_before, values, sizeof values);
        relaxcat_generator_position(gen, &before);

        got = r->call();
        snprintf(message, sizeof message, "%s",
                 relaxcat_last_error_message() ? relaxcat_last_error_message() : "(NULL)");

        ok = got == r->want && contains_all(message, r->fragments);
        if (!ok) {
            int j;
            fprintf(stderr, "[%s] want %s, got %s\n  message: %s\n  expected fragments:", r->class_name,
                    relaxcat_status_str(r->want), relaxcat_status_str(got), message);
            for (j = 0; r->fragments[j] != NULL; j++) fprintf(stderr, " \"%s\"", r->fragments[j]);
            fprintf(stderr, "\n");
        }
        CHECK(ok);
        CHECK(is_sentinel(out, sizeof out));
        CHECK(made == SENTINEL_DIST);
        CHECK(memcmp(scratch, scratch_before, sizeof scratch) == 0);
        CHECK(memcmp(logits_before, logits, sizeof logits) == 0 && memcmp(probs_before, probs, sizeof probs) == 0 &&
              memcmp(temperature_before, temperature, sizeof temperature) == 0 &&
              memcmp(values_before, values, sizeof values) == 0);
        relaxcat_generator_position(gen, &position);
        CHECK(position == before && position == 77);
        if (got == RELAXCAT_OK && made != SENTINEL_DIST) relaxcat_dist_f64_free(made);
        printf("%-44s %2d  %s\n", r->class_name, (int)got, message);
    }
    relaxcat_generator_free(gen);
    relaxcat_dist_f64_free(dist);
    printf("bad_input_matrix: %d passed, %d failed\n", check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}
