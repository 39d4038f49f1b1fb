/* relaxcat from C: build a RelaxedOneHotCategorical from logits, draw
 * relaxed and straight-through samples, and score them.
 *
 * Against an installed relaxcat (scripts/install.sh PREFIX, then
 * PKG_CONFIG_PATH=PREFIX/lib/pkgconfig):
 *   cc examples/c/quickstart.c $(pkg-config --cflags --libs relaxcat) -lm
 * Against the build tree: `make -C tests/c run`. docs/C_ABI.md also shows
 * the static and the CMake builds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "relaxcat.h"

/* Print the failing call's status and message, then exit. */
#define TRY(call)                                                                                   \
    do {                                                                                            \
        relaxcat_status status_ = (call);                                                           \
        if (status_ != RELAXCAT_OK) {                                                               \
            fprintf(stderr, "%s failed: %s\n  %s\n", #call, relaxcat_status_str(status_),           \
                    relaxcat_last_error_message());                                                 \
            exit(1);                                                                                \
        }                                                                                           \
    } while (0)

int main(void) {
    enum { B = 2, K = 4, SAMPLES = 3, N = SAMPLES * B };
    /* Two parameter rows (a batch of 2) of 4 categories; -inf masks one. */
    const double logits[B * K] = {1.0, 0.5, -0.5, 0.0, 2.0, -1.0, -INFINITY, 0.0};
    const double temperature = 0.5;
    double y[N * K], hard[N * K], log_prob[N];
    relaxcat_dist_f64 *dist = NULL;
    relaxcat_generator *gen = NULL;
    int i, j;

    if (relaxcat_abi_version() != RELAXCAT_ABI_VERSION) {
        fprintf(stderr, "relaxcat ABI %u, compiled for %u\n", relaxcat_abi_version(), RELAXCAT_ABI_VERSION);
        return 1;
    }
    printf("relaxcat %s\n", relaxcat_version_string());

    /* NULL context: every call runs on this thread. Pass logits (and NULL
     * probs); one temperature shared by both rows; validation on. */
    TRY(relaxcat_dist_f64_new(NULL, B, K, &temperature, 1, NULL, 0, logits, K, 0, &dist));
    TRY(relaxcat_generator_new(2024, &gen));

    /* 3 samples of the batch: 6 rows, row i from parameter row i % 2. */
    TRY(relaxcat_dist_f64_rsample(dist, gen, SAMPLES, y, K));
    TRY(relaxcat_dist_f64_log_prob(dist, N, y, K, log_prob));
    for (i = 0; i < N; i++) {
        printf("y[%d] = [", i);
        for (j = 0; j < K; j++) printf("%s%.4f", j ? ", " : "", y[i * K + j]);
        printf("]  log_prob = %.4f\n", log_prob[i]);
    }

    /* Straight-through: one-hot rows plus the relaxed rows they came from. */
    TRY(relaxcat_dist_f64_rsample_hard(dist, gen, SAMPLES, hard, K, y, K));
    printf("hard[0] = [%g, %g, %g, %g]\n", hard[0], hard[1], hard[2], hard[3]);

    /* Errors come back as a status and a message naming what was wrong. */
    {
        double bad_t = -1.0;
        relaxcat_dist_f64 *unused = NULL;
        relaxcat_status s = relaxcat_dist_f64_new(NULL, B, K, &bad_t, 1, NULL, 0, logits, K, 0, &unused);
        printf("negative temperature -> %s\n  %s\n", relaxcat_status_str(s), relaxcat_last_error_message());
    }

    relaxcat_generator_free(gen);
    relaxcat_dist_f64_free(dist);
    return 0;
}
