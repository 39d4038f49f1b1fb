/* The C test of relaxcat's C ABI: every function, every error class, with
 * sentinel-filled outputs that must stay untouched on error, and several
 * pthreads at once compared with a serial run. Built with -std=c99 -Wall
 * -Wextra -Werror and run under AddressSanitizer and UBSan by
 * scripts/test.sh (see the Makefile's `test` target).
 *
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "relaxcat.h"

int check_failures = 0;
int check_passes = 0;

static void test_versions(void) {
    uint32_t major = 99, minor = 99, patch = 99;
    char expected[64];
    CHECK(relaxcat_abi_version() == RELAXCAT_ABI_VERSION);
    OK(relaxcat_version(&major, &minor, &patch));
    CHECK(major == RELAXCAT_VERSION_MAJOR && minor == RELAXCAT_VERSION_MINOR && patch == RELAXCAT_VERSION_PATCH);
    OK(relaxcat_version(NULL, &minor, NULL)); /* NULL skips a component */
    snprintf(expected, sizeof expected, "%u.%u.%u", (unsigned)RELAXCAT_VERSION_MAJOR, (unsigned)RELAXCAT_VERSION_MINOR,
             (unsigned)RELAXCAT_VERSION_PATCH);
    CHECK(strncmp(relaxcat_version_string(), expected, strlen(expected)) == 0);
}

static void test_status_strings(void) {
    const relaxcat_status codes[] = {
        RELAXCAT_OK,
        RELAXCAT_ERROR_NULL_POINTER,
        RELAXCAT_ERROR_INVALID_SHAPE,
        RELAXCAT_ERROR_SIZE_OVERFLOW,
        RELAXCAT_ERROR_INVALID_PARAMETER_CHOICE,
        RELAXCAT_ERROR_INVALID_TEMPERATURE,
        RELAXCAT_ERROR_INVALID_PROBS,
        RELAXCAT_ERROR_INVALID_LOGITS,
        RELAXCAT_ERROR_INVALID_VALUE,
        RELAXCAT_ERROR_ALIASING,
        RELAXCAT_ERROR_INVALID_OPTION,
        RELAXCAT_ERROR_INTERNAL,
        RELAXCAT_ERROR_OUT_OF_MEMORY,
    };
    size_t i;
    /* The codes are the append-only values 0..12. */
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = relaxcat_status_str(codes[i]);
        CHECK(codes[i] == (relaxcat_status)i);
        CHECK(s != NULL && strncmp(s, "RELAXCAT_", 9) == 0);
    }
    CHECK(strstr(relaxcat_status_str(RELAXCAT_ERROR_ALIASING), "ALIASING") != NULL);
    CHECK(strstr(relaxcat_status_str(RELAXCAT_ERROR_OUT_OF_MEMORY), "OUT_OF_MEMORY") != NULL);
    CHECK(strcmp(relaxcat_status_str(13), "unknown relaxcat_status") == 0);
    CHECK(strcmp(relaxcat_status_str(-1), "unknown relaxcat_status") == 0);
    /* No call yet on this thread failed... */
    CHECK(relaxcat_last_error_message() != NULL);
}

static char sentinel_object;

static void test_context(void) {
    relaxcat_context *const sentinel = (relaxcat_context *)(void *)&sentinel_object;
    relaxcat_context *serial = NULL, *pool = NULL, *scalar = NULL, *ctx = sentinel;
    const char *name = NULL;
    size_t n = 0;

    OK(relaxcat_context_new(1, NULL, &serial));
    OK(relaxcat_context_threads(serial, &n));
    CHECK(n == 1);
    OK(relaxcat_context_new(3, NULL, &pool));
    OK(relaxcat_context_threads(pool, &n));
    CHECK(n == 3);
    OK(relaxcat_context_new(1, "SCALAR", &scalar));
    OK(relaxcat_context_backend(scalar, &name));
    CHECK(name != NULL && strcmp(name, "scalar") == 0);
    OK(relaxcat_context_backend(NULL, &name)); /* NULL: the default */
    CHECK(name != NULL && name[0] != '\0');
    OK(relaxcat_context_backend(pool, &name));
    CHECK(name != NULL && name[0] != '\0');

    EXPECT(RELAXCAT_ERROR_INVALID_OPTION, "threads: 0", relaxcat_context_new(0, NULL, &ctx));
    EXPECT(RELAXCAT_ERROR_INVALID_OPTION, "\"sse9\"", relaxcat_context_new(1, "sse9", &ctx));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_context_new(1, NULL, NULL));
    CHECK(ctx == sentinel);
    n = 77;
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "ctx", relaxcat_context_threads(NULL, &n));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_context_threads(pool, NULL));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_context_backend(pool, NULL));
    CHECK(n == 77);

    OK(relaxcat_context_free(serial));
    OK(relaxcat_context_free(pool));
    OK(relaxcat_context_free(scalar));
    OK(relaxcat_context_free(NULL));
}

static void test_generator(void) {
    relaxcat_generator *const sentinel = (relaxcat_generator *)(void *)&sentinel_object;
    relaxcat_generator *g = NULL, *bad = sentinel;
    uint64_t v = 0, offset = 0;

    OK(relaxcat_generator_new(UINT64_MAX, &g));
    OK(relaxcat_generator_seed(g, &v));
    CHECK(v == UINT64_MAX);
    OK(relaxcat_generator_position(g, &v));
    CHECK(v == 0);
    OK(relaxcat_generator_take(g, 10, &offset));
    CHECK(offset == 0);
    OK(relaxcat_generator_take(g, 5, &offset));
    CHECK(offset == 10);
    OK(relaxcat_generator_position(g, &v));
    CHECK(v == 15);
    OK(relaxcat_generator_set_position(g, UINT64_MAX));
    OK(relaxcat_generator_take(g, 2, &offset)); /* wraps */
    CHECK(offset == UINT64_MAX);
    OK(relaxcat_generator_position(g, &v));
    CHECK(v == 1);

    v = 77;
    offset = 77;
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_generator_new(1, NULL));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "generator", relaxcat_generator_seed(NULL, &v));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_generator_seed(g, NULL));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "generator", relaxcat_generator_position(NULL, &v));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "out", relaxcat_generator_position(g, NULL));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "generator", relaxcat_generator_set_position(NULL, 3));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "generator", relaxcat_generator_take(NULL, 3, &offset));
    EXPECT(RELAXCAT_ERROR_NULL_POINTER, "offset", relaxcat_generator_take(g, 3, NULL));
    CHECK(v == 77 && offset == 77 && bad == sentinel);
    OK(relaxcat_generator_position(g, &v));
    CHECK(v == 1); /* the failed take did not move it */

    OK(relaxcat_generator_free(g));
    OK(relaxcat_generator_free(NULL));
}

#define REAL float
#define DIST relaxcat_dist_f32
#define DIST_FN(v) relaxcat_dist_f32_##v
#define ROW_FN(v) relaxcat_##v##_f32
#define T_FN(v) v##_f32
#define REL_TOL 2e-5
#define PARAMS relaxcat_params_f32
#include "typed_tests.inc"
#undef REAL
#undef DIST
#undef DIST_FN
#undef ROW_FN
#undef T_FN
#undef REL_TOL
#undef PARAMS

#define REAL double
#define DIST relaxcat_dist_f64
#define DIST_FN(v) relaxcat_dist_f64_##v
#define ROW_FN(v) relaxcat_##v##_f64
#define T_FN(v) v##_f64
#define REL_TOL 1e-12
#define PARAMS relaxcat_params_f64
#include "typed_tests.inc"

int main(void) {
    test_versions();
    test_status_strings();
    test_context();
    test_generator();
    run_all_f32();
    run_all_f64();
    printf("%d passed, %d failed\n", check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}
