/* Tiny test helpers shared by the C test program: counted checks that
 * report file:line, sentinel-filled buffers that must stay untouched, and a
 * status check that also looks at the thread's last error message. */
#ifndef RELAXCAT_CHECK_H
#define RELAXCAT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relaxcat.h"

extern int check_failures;
extern int check_passes;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            check_passes++;                                                      \
        } else {                                                                 \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

/* A call must return `want`; an error must leave a non-empty message that
 * contains `needle` (NULL: any), success an empty one. */
#define EXPECT(want, needle, call)                                                   \
    do {                                                                             \
        relaxcat_status got_ = (call);                                               \
        expect_status_at(__FILE__, __LINE__, #call, (want), got_, (needle));         \
    } while (0)

#define OK(call) EXPECT(RELAXCAT_OK, NULL, call)

static inline void expect_status_at(const char *file, int line, const char *what, relaxcat_status want,
                                    relaxcat_status got, const char *needle) {
    const char *message = relaxcat_last_error_message();
    int good = got == want && message != NULL;
    if (good && want == RELAXCAT_OK) {
        good = message[0] == '\0';
    } else if (good) {
        good = message[0] != '\0' && (needle == NULL || strstr(message, needle) != NULL);
    }
    if (good) {
        check_passes++;
    } else {
        check_failures++;
        fprintf(stderr, "%s:%d: %s\n  want %d (%s), got %d (%s)\n  message: %s\n  expected in message: %s\n",
                file, line, what, (int)want, relaxcat_status_str(want), (int)got, relaxcat_status_str(got),
                message ? message : "(NULL)", needle ? needle : "(anything)");
    }
}

/* Sentinel bytes: outputs are filled with them before a call that must
 * fail, or around the part a call may write (row padding). */
#define SENTINEL_BYTE 0xA5

static inline void fill_sentinel(void *p, size_t bytes) { memset(p, SENTINEL_BYTE, bytes); }

static inline int is_sentinel(const void *p, size_t bytes) {
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++) {
        if (b[i] != SENTINEL_BYTE) return 0;
    }
    return 1;
}

#endif
