/* test_blocks.c — repeated blocks (preprocess/blocks.c): how text is cut into windows, the exact
 * text left when blocks are cut, and the index: the first document keeps a block, later ones
 * lose it, a document is never cut by its own earlier run, --block-dedup N keeps N copies,
 * the window size is fixed by the index. */
#include "blocks.h"
#include "check.h"

/* A licence header of 14 lines, about 600 bytes: several windows of 200 bytes. */
static const char *HEADER = "/*\n"
                            " * Copyright (C) The Example Authors.\n"
                            " *\n"
                            " * Permission is hereby granted, free of charge, to any person\n"
                            " * obtaining a copy of this software and associated documentation\n"
                            " * files (the \"Software\"), to deal in the Software without\n"
                            " * restriction, including without limitation the rights to use,\n"
                            " * copy, modify, merge, publish, distribute, sublicense, and/or sell\n"
                            " * copies of the Software, and to permit persons to whom the\n"
                            " * Software is furnished to do so, subject to the conditions in\n"
                            " * the file COPYING, which you should have received with it.\n"
                            " *\n"
                            " * SPDX-License-Identifier: MIT\n"
                            " */\n";

static void document(char *out, size_t size, const char *body)
{
    snprintf(out, size, "%s#include <stdio.h>\n\n%s", HEADER, body);
}

TEST(windows_are_sized_in_bytes)
{
    pp_block_windows w;
    /* short lines alone make no window; blank lines are in none */
    const char *small = "}\n\nreturn 0;\n}\n";
    CHECK_INT_EQ(pp_blocks_windows(small, strlen(small), 200, &w), 0);
    CHECK_INT_EQ(w.count, 0);
    CHECK_INT_EQ(w.lines, 3);
    CHECK_INT_EQ(w.line_count, 4);
    CHECK_INT_EQ(w.line_numbers[1], 2);
    pp_block_windows_free(&w);
    /* a long line (a prose paragraph) is a window of its own, between two short lines */
    char prose[1024];
    char para[300];
    memset(para, 'a', sizeof para - 1);
    para[sizeof para - 1] = '\0';
    snprintf(prose, sizeof prose, "Title\n\n%s\n\nEnd\n", para);
    CHECK_INT_EQ(pp_blocks_windows(prose, strlen(prose), 200, &w), 0);
    CHECK_INT_EQ(w.count, 1);
    CHECK_INT_EQ(w.items[0].first, 1);
    CHECK_INT_EQ(w.items[0].end, 2);
    pp_block_windows_free(&w);
    /* the same run of lines gives the same windows whatever comes before it */
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", HEADER);
    snprintf(b, sizeof b, "int x;\nint y;\n\n%s", HEADER);
    pp_block_windows wa, wb;
    CHECK_INT_EQ(pp_blocks_windows(a, strlen(a), 60, &wa), 0);
    CHECK_INT_EQ(pp_blocks_windows(b, strlen(b), 60, &wb), 0);
    CHECK(wa.count >= 3);
    size_t shared = 0;
    for (size_t i = 0; i < wa.count; i++)
        for (size_t j = 0; j < wb.count; j++)
            shared += wa.items[i].hash == wb.items[j].hash;
    CHECK(shared + 2 >= wa.count); /* they agree again at the first anchor line or two */
    CHECK(wa.items[wa.count - 1].hash == wb.items[wb.count - 1].hash);
    pp_block_windows_free(&wa);
    pp_block_windows_free(&wb);
}

TEST(cut_leaves_clean_paragraphs)
{
    const char *text = "one\n\ntwo a\ntwo b\n\n\nthree\n\nfour\n";
    pp_block_windows w;
    CHECK_INT_EQ(pp_blocks_windows(text, strlen(text), 1, &w), 0);
    CHECK_INT_EQ(w.lines, 5);
    cr_buf out;
    size_t blocks;
    /* the middle paragraph: one blank line stays between its neighbours */
    unsigned char cut[5] = {0, 1, 1, 0, 0};
    cr_buf_init(&out);
    CHECK_INT_EQ(pp_blocks_cut(text, strlen(text), &w, cut, &out, &blocks), 0);
    CHECK_STR_EQ(out.data, "one\n\nthree\n\nfour\n");
    CHECK_INT_EQ(blocks, 1);
    cr_buf_free(&out);
    /* the first: no blank line left at the start; two runs with a blank between are one */
    unsigned char first[5] = {1, 1, 1, 0, 0};
    cr_buf_init(&out);
    CHECK_INT_EQ(pp_blocks_cut(text, strlen(text), &w, first, &out, &blocks), 0);
    CHECK_STR_EQ(out.data, "three\n\nfour\n");
    CHECK_INT_EQ(blocks, 1);
    cr_buf_free(&out);
    /* the last, and a line inside a paragraph: no blank line at the end */
    unsigned char last[5] = {0, 0, 1, 0, 1};
    cr_buf_init(&out);
    CHECK_INT_EQ(pp_blocks_cut(text, strlen(text), &w, last, &out, &blocks), 0);
    CHECK_STR_EQ(out.data, "one\n\ntwo a\n\nthree\n");
    CHECK_INT_EQ(blocks, 2);
    cr_buf_free(&out);
    /* everything */
    unsigned char all[5] = {1, 1, 1, 1, 1};
    cr_buf_init(&out);
    CHECK_INT_EQ(pp_blocks_cut(text, strlen(text), &w, all, &out, &blocks), 0);
    CHECK_INT_EQ(out.len, 0);
    CHECK_INT_EQ(blocks, 1);
    cr_buf_free(&out);
    pp_block_windows_free(&w);
    /* code's own blank lines stay where nothing was cut (a leading one too) */
    const char *code = "\nint x;\n\n\nint y;\n\nint z;\n";
    CHECK_INT_EQ(pp_blocks_windows(code, strlen(code), 1, &w), 0);
    unsigned char z[3] = {0, 0, 1};
    cr_buf_init(&out);
    CHECK_INT_EQ(pp_blocks_cut(code, strlen(code), &w, z, &out, &blocks), 0);
    CHECK_STR_EQ(out.data, "\nint x;\n\n\nint y;\n");
    cr_buf_free(&out);
    pp_block_windows_free(&w);
}

/* Applies doc to the index as id; returns the text kept (static buffer). */
static const char *apply(pp_blocks *b, const char *id, const char *doc, size_t *blocks)
{
    static char kept[8192];
    cr_buf out;
    cr_buf_init(&out);
    pp_blocks_result r;
    cr_err err = {0};
    int code = pp_blocks_apply(b, id, doc, strlen(doc), &out, &r, &err);
    CHECK_INT_EQ(code, CR_OK);
    snprintf(kept, sizeof kept, "%s", r.changed ? (out.data ? out.data : "") : doc);
    *blocks = r.blocks;
    cr_buf_free(&out);
    return kept;
}

static const char *ID_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  *ID_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                  *ID_C = "cccccccccccccccccccccccccccccccc";

TEST(first_document_keeps_a_block_across_runs)
{
    char *dir = check_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/index-blocks", dir);
    char a[4096], b_doc[4096], c[4096];
    document(a, sizeof a, "int main(void) { return 0; }\n");
    document(b_doc, sizeof b_doc, "int helper(int x) { return x + 1; }\n");
    document(c, sizeof c, "static int counter;\n");
    pp_blocks *b;
    cr_err err = {0};
    CHECK_INT_EQ(pp_blocks_open(&b, path, 200, 1, &err), CR_OK);
    size_t blocks;
    CHECK_STR_EQ(apply(b, ID_A, a, &blocks), a);
    CHECK_INT_EQ(blocks, 0);
    /* the whole header goes, to the line (and the #include the first document has after it,
     * in the same paragraph); the rest stays */
    CHECK_STR_EQ(apply(b, ID_B, b_doc, &blocks), "int helper(int x) { return x + 1; }\n");
    CHECK_INT_EQ(blocks, 1);
    /* a document is never cut by its own earlier run */
    CHECK_STR_EQ(apply(b, ID_A, a, &blocks), a);
    CHECK_INT_EQ(pp_blocks_close(b, &err), CR_OK);

    /* another run: the index remembers */
    CHECK_INT_EQ(pp_blocks_open(&b, path, 0, 1, &err), CR_OK);
    CHECK_STR_EQ(apply(b, ID_C, c, &blocks), "static int counter;\n");
    CHECK_STR_EQ(apply(b, ID_B, b_doc, &blocks), "int helper(int x) { return x + 1; }\n");
    /* A forgotten (rejected, or its outputs not written): the next one keeps the block */
    CHECK_INT_EQ(pp_blocks_forget(b, ID_A, &err), CR_OK);
    CHECK_STR_EQ(apply(b, ID_C, c, &blocks), c);
    CHECK_STR_EQ(apply(b, ID_B, b_doc, &blocks), "int helper(int x) { return x + 1; }\n");
    /* A's new text without the header: A no longer keeps it, C still does */
    CHECK_STR_EQ(apply(b, ID_A, "int main(void) { return 0; }\n", &blocks),
                 "int main(void) { return 0; }\n");
    CHECK_STR_EQ(apply(b, ID_C, c, &blocks), c);
    CHECK_INT_EQ(pp_blocks_close(b, &err), CR_OK);

    /* windows of another size would never match: refused */
    CHECK_INT_EQ(pp_blocks_open(&b, path, 100, 1, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "--block-min-bytes 100");
    CHECK(b == NULL);
    check_rm_rf(dir);
}

TEST(keep_n_keeps_n_copies)
{
    char *dir = check_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/index-blocks", dir);
    char a[4096], b_doc[4096], c[4096];
    document(a, sizeof a, "int a;\n");
    document(b_doc, sizeof b_doc, "int b;\n");
    document(c, sizeof c, "int c;\n");
    pp_blocks *b;
    cr_err err = {0};
    CHECK_INT_EQ(pp_blocks_open(&b, path, 200, 2, &err), CR_OK);
    size_t blocks;
    CHECK_STR_EQ(apply(b, ID_A, a, &blocks), a);
    CHECK_STR_EQ(apply(b, ID_B, b_doc, &blocks), b_doc);
    CHECK_STR_EQ(apply(b, ID_C, c, &blocks), "int c;\n");
    /* the keepers stay keepers on their next run */
    CHECK_STR_EQ(apply(b, ID_B, b_doc, &blocks), b_doc);
    CHECK_STR_EQ(apply(b, ID_A, a, &blocks), a);
    CHECK_INT_EQ(pp_blocks_close(b, &err), CR_OK);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(windows_are_sized_in_bytes);
    RUN(cut_leaves_clean_paragraphs);
    RUN(first_document_keeps_a_block_across_runs);
    RUN(keep_n_keeps_n_copies);
    return check_summary();
}
