/* Unit tests of lib/shard.c: llm.c's token-shard format, written and read back, and every
 * way a shard can be wrong (bad magic, version, truncation, count mismatch, big tokens). */
#include <stdint.h>

#include "check.h"
#include "shard.h"

static void write_raw(const char *path, const int32_t header3[3], const void *body, size_t len)
{
    int32_t header[CR_SHARD_HEADER_INTS] = {0};
    memcpy(header, header3, 3 * sizeof(int32_t));
    FILE *f = fopen(path, "wb");
    fwrite(header, sizeof header, 1, f);
    if (len)
        fwrite(body, 1, len, f);
    fclose(f);
}

TEST(roundtrip_version1)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.bin", dir);
    cr_shard_writer *w = malloc(sizeof *w);
    cr_err err = {0};
    CHECK_INT_EQ(cr_shard_writer_open(w, path, 1, &err), CR_OK);
    uint32_t tokens[100000];
    for (uint32_t i = 0; i < 100000; i++)
        tokens[i] = (i * 7919u) % 65536u;
    CHECK_INT_EQ(cr_shard_writer_put(w, tokens, 60000, &err), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_put(w, tokens + 60000, 40000, &err), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_commit(w, &err), CR_OK);
    free(w);
    cr_shard s;
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_OK);
    CHECK_INT_EQ(s.version, 1);
    CHECK_INT_EQ(s.token_count, 100000);
    int same = 1;
    for (uint32_t i = 0; i < 100000; i++)
        same &= cr_shard_token(&s, i) == tokens[i];
    CHECK(same);
    CHECK_INT_EQ(cr_shard_check_vocab(&s, 65536, &err), CR_OK);
    CHECK_INT_EQ(cr_shard_check_vocab(&s, 50257, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "outside the vocabulary of 50257");
    cr_shard_close(&s);
    /* Exactly llm.c's bytes: header ints then little-endian uint16. */
    FILE *f = fopen(path, "rb");
    int32_t header[3];
    uint16_t first[2];
    CHECK(fread(header, 4, 3, f) == 3);
    fseek(f, CR_SHARD_HEADER_BYTES, SEEK_SET);
    CHECK(fread(first, 2, 2, f) == 2);
    fclose(f);
    CHECK_INT_EQ(header[0], 20240520);
    CHECK_INT_EQ(header[1], 1);
    CHECK_INT_EQ(header[2], 100000);
    CHECK_INT_EQ(first[0], tokens[0]);
    CHECK_INT_EQ(first[1], tokens[1]);
    check_rm_rf(dir);
}

TEST(roundtrip_version2_large_ids)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/b.bin", dir);
    cr_shard_writer *w = malloc(sizeof *w);
    uint32_t tokens[] = {100255, 0, 70000, 65535};
    CHECK_INT_EQ(cr_shard_writer_open(w, path, 2, NULL), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_put(w, tokens, 4, NULL), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_commit(w, NULL), CR_OK);
    free(w);
    cr_shard s;
    CHECK_INT_EQ(cr_shard_open(&s, path, NULL), CR_OK);
    CHECK_INT_EQ(s.version, 2);
    CHECK_INT_EQ(s.token_count, 4);
    CHECK_INT_EQ(cr_shard_token(&s, 0), 100255);
    CHECK_INT_EQ(cr_shard_token(&s, 2), 70000);
    cr_shard_close(&s);
    CHECK_INT_EQ(cr_shard_version_for_vocab(50257), 1);
    CHECK_INT_EQ(cr_shard_version_for_vocab(100277), 2);
    check_rm_rf(dir);
}

TEST(version1_refuses_big_token_and_leaves_nothing)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/c.bin", dir);
    cr_shard_writer *w = malloc(sizeof *w);
    cr_err err = {0};
    uint32_t tokens[] = {1, 70000};
    CHECK_INT_EQ(cr_shard_writer_open(w, path, 1, &err), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_put(w, tokens, 2, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "70000");
    cr_shard_writer_abort(w);
    free(w);
    CHECK(!cr_is_file(path));
    check_rm_rf(dir);
}

TEST(bad_shards_are_refused_naming_the_file)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/bad.bin", dir);
    uint16_t body[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    cr_err err = {0};
    cr_shard s;

    write_raw(path, (int32_t[]){12345, 1, 10}, body, sizeof body);
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "bad magic");
    CHECK_CONTAINS(err.msg, path);

    write_raw(path, (int32_t[]){20240520, 7, 10}, body, sizeof body);
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "version 7");

    write_raw(path, (int32_t[]){20240520, 1, 10}, body, 12); /* body cut short */
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "truncated");
    CHECK_CONTAINS(err.msg, path);

    write_raw(path, (int32_t[]){20240520, 1, 4}, body, sizeof body); /* count too small */
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "header says 4 tokens");

    write_raw(path, (int32_t[]){20240520, 1, -3}, body, sizeof body);
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "negative");

    FILE *f = fopen(path, "wb");
    fwrite("short", 1, 5, f);
    fclose(f);
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "truncated header");

    snprintf(path, sizeof path, "%s/missing.bin", dir);
    CHECK_INT_EQ(cr_shard_open(&s, path, &err), CR_ENOINPUT);
    check_rm_rf(dir);
}

TEST(empty_shard_is_valid)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/e.bin", dir);
    cr_shard_writer *w = malloc(sizeof *w);
    CHECK_INT_EQ(cr_shard_writer_open(w, path, 1, NULL), CR_OK);
    CHECK_INT_EQ(cr_shard_writer_commit(w, NULL), CR_OK);
    free(w);
    cr_shard s;
    CHECK_INT_EQ(cr_shard_open(&s, path, NULL), CR_OK);
    CHECK_INT_EQ(s.token_count, 0);
    cr_shard_close(&s);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(roundtrip_version1);
    RUN(roundtrip_version2_large_ids);
    RUN(version1_refuses_big_token_and_leaves_nothing);
    RUN(bad_shards_are_refused_naming_the_file);
    RUN(empty_shard_is_valid);
    return check_summary();
}
