/* check.h — the one way crystalline writes a C unit test.
 *
 *   TEST(parses_seconds) { CHECK_INT_EQ(parse("2s"), 2000); }
 *   int main(void) { RUN(parses_seconds); return check_summary(); }
 *
 * Each RUN prints "ok - name" or "not ok - name" (TAP), with the failed checks as "# file:line"
 * comments (RUN_IF: "ok - name # SKIP why" where the machine cannot run it); tests/run.sh counts those lines for the closing "N passed, N failed". A check that
 * fails does not stop the test, so one run shows every wrong answer. */
#ifndef CR_CHECK_H
#define CR_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_in_test;
static int check_passed, check_failed, check_skipped;

#define TEST(name) static void name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        check_failures_in_test = 0;                                                                \
        name();                                                                                    \
        if (check_failures_in_test) {                                                              \
            check_failed++;                                                                        \
            printf("not ok - %s\n", #name);                                                        \
        } else {                                                                                   \
            check_passed++;                                                                        \
            printf("ok - %s\n", #name);                                                            \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* A test this machine cannot run (a CPU without the instructions it checks) is reported as a
 * TAP skip, "ok - name # SKIP why", never as a pass: tests/run.sh counts it apart. */
#define RUN_IF(cond, name, why)                                                                    \
    do {                                                                                           \
        if (cond) {                                                                                \
            RUN(name);                                                                             \
        } else {                                                                                   \
            check_skipped++;                                                                       \
            printf("ok - %s # SKIP %s\n", #name, why);                                             \
            fflush(stdout);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_FAIL_(...)                                                                           \
    do {                                                                                           \
        check_failures_in_test++;                                                                  \
        printf("# %s:%d: ", __FILE__, __LINE__);                                                   \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            CHECK_FAIL_("CHECK(%s) failed", #cond);                                                \
    } while (0)

#define CHECK_INT_EQ(actual, expected)                                                             \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        if (a_ != e_)                                                                              \
            CHECK_FAIL_("%s == %lld, expected %lld", #actual, a_, e_);                             \
    } while (0)

#define CHECK_STR_EQ(actual, expected)                                                             \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        if (!a_ || !e_ || strcmp(a_, e_) != 0)                                                     \
            CHECK_FAIL_("%s == \"%s\", expected \"%s\"", #actual, a_ ? a_ : "(null)",              \
                        e_ ? e_ : "(null)");                                                       \
    } while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            CHECK_FAIL_("%s == \"%s\", expected it to contain \"%s\"", #haystack,                  \
                        h_ ? h_ : "(null)", n_);                                                   \
    } while (0)

/* |actual - expected| <= tolerance * max(1, |expected|) */
#define CHECK_NEAR(actual, expected, tolerance)                                                    \
    do {                                                                                           \
        double a_ = (double)(actual), e_ = (double)(expected), t_ = (double)(tolerance);           \
        double scale_ = fabs(e_) > 1.0 ? fabs(e_) : 1.0;                                           \
        if (!(fabs(a_ - e_) <= t_ * scale_))                                                       \
            CHECK_FAIL_("%s == %.9g, expected %.9g within %g", #actual, a_, e_, t_);               \
    } while (0)

static inline int check_summary(void)
{
    if (check_skipped)
        printf("# %d passed, %d failed, %d skipped\n", check_passed, check_failed, check_skipped);
    else
        printf("# %d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* A fresh temporary folder for a test (removed by the caller with check_rm_rf). */
static inline char *check_tmpdir(void)
{
    static char path[256];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/crtest.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(1);
    }
    return path;
}

static inline void check_rm_rf(const char *path)
{
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", path);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", path);
}

#endif
