/* test_dedup.c — MinHash estimates and the persistent index: exact and near duplicates,
 * reprocessing is not a duplicate of itself, the index survives a reopen. */
#include "check.h"
#include "dedup.h"

static const char *base_text(void)
{
    static char text[8192];
    if (!text[0]) {
        size_t used = 0;
        for (int i = 0; i < 40; i++)
            used += (size_t)snprintf(
                text + used, sizeof text - used,
                "Sentence %d tells of bakers, ovens, flour and salt in town %d. ", i, i * 7);
    }
    return text;
}

TEST(minhash_tracks_similarity)
{
    pp_fingerprint a, b, c, d;
    const char *text = base_text();
    pp_fingerprint_text(text, strlen(text), &a);
    char changed[8192];
    snprintf(changed, sizeof changed, "%s", text);
    char *p = strstr(changed, "Sentence 20 tells of bakers");
    memcpy(p, "Paragraph 20 speaks of cooks", 28);
    pp_fingerprint_text(changed, strlen(changed), &b);
    const char *other =
        "A different text entirely, about rivers and mountains and snow in the hills far away.";
    pp_fingerprint_text(other, strlen(other), &c);
    CHECK(pp_minhash_similarity(a.minhash, b.minhash) >= 0.85);
    CHECK(pp_minhash_similarity(a.minhash, c.minhash) <= 0.1);
    CHECK(memcmp(a.exact, b.exact, 32) != 0);
    /* case and whitespace do not change the exact hash */
    pp_fingerprint_text("Hello   World\n\nagain", 20, &c);
    pp_fingerprint_text("hello world again", 17, &d);
    CHECK(memcmp(c.exact, d.exact, 32) == 0);
}

TEST(avx2_kernel_equals_scalar_twin)
{
    uint32_t shingles[1000], scalar[PP_MINHASH_SIZE], simd[PP_MINHASH_SIZE];
    uint32_t x = 12345;
    for (int i = 0; i < 1000; i++) {
        x = x * 1664525u + 1013904223u;
        shingles[i] = x;
    }
    size_t counts[] = {0, 1, 7, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        pp_minhash_scalar(shingles, counts[c], scalar);
        pp_minhash(shingles, counts[c], simd); /* the dispatched kernel */
        CHECK(memcmp(scalar, simd, sizeof scalar) == 0);
        if (__builtin_cpu_supports("avx2")) {
            pp_minhash_avx2(shingles, counts[c], simd);
            CHECK(memcmp(scalar, simd, sizeof scalar) == 0);
        }
    }
    pp_minhash_scalar(shingles, 0, scalar);
    CHECK_INT_EQ(scalar[0], UINT32_MAX);
}

TEST(index_finds_duplicates_across_reopen)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/index.sqlite", dir);
    pp_dedup *d;
    cr_err err;
    CHECK_INT_EQ(pp_dedup_open(&d, path, &err), CR_OK);
    pp_fingerprint a, b;
    const char *text = base_text();
    pp_fingerprint_text(text, strlen(text), &a);
    int verdict;
    char dup[CR_ID_SIZE];
    double similarity;
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "aaaa", "a.txt", &a, 0.8, &verdict, dup, &similarity, &err),
        CR_OK);
    CHECK_INT_EQ(verdict, PP_UNIQUE);
    /* the same id again: a re-run, not a duplicate */
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "aaaa", "a.txt", &a, 0.8, &verdict, dup, &similarity, &err),
        CR_OK);
    CHECK_INT_EQ(verdict, PP_UNIQUE);
    pp_dedup_close(d);

    CHECK_INT_EQ(pp_dedup_open(&d, path, &err), CR_OK);
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "bbbb", "b.txt", &a, 0.8, &verdict, dup, &similarity, &err),
        CR_OK);
    CHECK_INT_EQ(verdict, PP_EXACT_DUPLICATE);
    CHECK_STR_EQ(dup, "aaaa");
    char changed[8192];
    snprintf(changed, sizeof changed, "%s", text);
    memcpy(strstr(changed, "Sentence 3 tells"), "Sentence 3 speaks", 17);
    pp_fingerprint_text(changed, strlen(changed), &b);
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "cccc", "c.txt", &b, 0.8, &verdict, dup, &similarity, &err),
        CR_OK);
    CHECK_INT_EQ(verdict, PP_NEAR_DUPLICATE);
    CHECK_STR_EQ(dup, "aaaa");
    CHECK(similarity >= 0.8 && similarity < 1.0);
    /* near check off: recorded */
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "cccc", "c.txt", &b, 0, &verdict, dup, &similarity, &err), CR_OK);
    CHECK_INT_EQ(verdict, PP_UNIQUE);
    /* forgotten: no longer matches */
    CHECK_INT_EQ(pp_dedup_forget(d, "aaaa", &err), CR_OK);
    CHECK_INT_EQ(
        pp_dedup_check_and_add(d, "dddd", "d.txt", &a, 0, &verdict, dup, &similarity, &err), CR_OK);
    CHECK_INT_EQ(verdict, PP_UNIQUE);
    pp_dedup_close(d);
    check_rm_rf(dir);
}

TEST(refuses_a_file_that_is_not_an_index)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/not.sqlite", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not a database, just text that is long enough to have a header of sorts....\n",
          f);
    fclose(f);
    pp_dedup *d = NULL;
    cr_err err;
    CHECK_INT_EQ(pp_dedup_open(&d, path, &err), CR_EIO);
    CHECK_CONTAINS(err.msg, "not.sqlite");
    CHECK(d == NULL);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(minhash_tracks_similarity);
    RUN(avx2_kernel_equals_scalar_twin);
    RUN(index_finds_duplicates_across_reopen);
    RUN(refuses_a_file_that_is_not_an_index);
    return check_summary();
}
