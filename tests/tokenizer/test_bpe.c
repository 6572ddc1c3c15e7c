/* test_bpe.c — unit tests of the tokenizer's modules: base64, the tokenizer file, the regex
 * split, the two merge loops (held equal), and training checked against a slow reference
 * trainer that recounts every pair after every merge. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "buf.h"
#include "fs.h"
#include "check.h"
#include "pretok.h"
#include "train.h"
#include "vocab.h"

static const char sample_text[] =
    "The quick brown fox jumps over the lazy dog. It's the dog's day; they'll see.\n"
    "int main(void) { return 0; }  // 1234567 numbers 3.14159\n"
    "Caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e  \t tabs\r\n"
    "the the the then there these those this that thus thee thy\n";

TEST(base64_round_trip_and_rejects_bad_text)
{
    uint8_t bytes[300], decoded[400];
    char text[500];
    for (int len = 0; len < 300; len += 7) {
        for (int i = 0; i < len; i++)
            bytes[i] = (uint8_t)(i * 37 + len);
        size_t n = tok_base64_encode(bytes, (size_t)len, text);
        CHECK_INT_EQ(n, 4 * ((len + 2) / 3));
        if (len > 0) {
            CHECK_INT_EQ(tok_base64_decode(text, n, decoded), len);
            CHECK(memcmp(bytes, decoded, (size_t)len) == 0);
        }
    }
    CHECK_INT_EQ(tok_base64_decode("IQ==", 4, decoded), 1);
    CHECK_INT_EQ(decoded[0], '!');
    CHECK_INT_EQ(tok_base64_decode("IQ=", 3, decoded), -1);
    CHECK_INT_EQ(tok_base64_decode("I*==", 4, decoded), -1);
    CHECK_INT_EQ(tok_base64_decode("I=Q=", 4, decoded), -1);
}

/* The pieces of text as "|"-joined strings. */
static void split(const char *regex, const char *text, size_t len, char *out, size_t out_size)
{
    tok_pretok p;
    tok_pretok_iter it;
    cr_err err = {0};
    out[0] = 0;
    if (tok_pretok_compile(&p, regex, &err) || tok_pretok_iter_init(&it, &p, &err)) {
        snprintf(out, out_size, "error: %.200s", err.msg);
        return;
    }
    tok_pretok_iter_reset(&it, (const uint8_t *)text, len);
    size_t start, end, used = 0;
    while (tok_pretok_next(&it, &start, &end, &err) == 1)
        used += (size_t)snprintf(out + used, out_size - used, "%s%.*s", used ? "|" : "",
                                 (int)(end - start), text + start);
    tok_pretok_iter_free(&it);
    tok_pretok_free(&p);
}

TEST(gpt2_and_gpt4_patterns_split_like_tiktoken)
{
    char out[512];
    split(TOK_PATTERN_GPT2, "Hello world's  end", 18, out, sizeof out);
    CHECK_STR_EQ(out, "Hello| world|'s| | end");
    split(TOK_PATTERN_GPT4, "I'M 12345 ok!!\n\n x", 18, out, sizeof out);
    CHECK_STR_EQ(out, "I|'M| |123|45| ok|!!\n\n| x");
    /* Rust's \s (tiktoken) includes U+0085 NEXT LINE; PCRE2's needs the rewrite */
    split(TOK_PATTERN_GPT2,
          "a\xc2\x85\xc2\x85"
          "b",
          6, out, sizeof out);
    CHECK_STR_EQ(out, "a|\xc2\x85|\xc2\x85|b");
    char *translated = tok_pretok_translate("[^\\s\\p{L}]\\s+(?!\\S)");
    CHECK_STR_EQ(translated, "[^\\s\\x{85}\\p{L}][\\s\\x{85}]+(?![^\\s\\x{85}])");
    free(translated);
}

TEST(pieces_cover_invalid_utf8_and_nul_bytes)
{
    const char text[] = "ok\xff\xfe bad \xc3 \x00zero\xe2\x82";
    size_t len = sizeof text - 1;
    tok_pretok p;
    tok_pretok_iter it;
    cr_err err = {0};
    CHECK_INT_EQ(tok_pretok_compile(&p, TOK_PATTERN_GPT4, &err), 0);
    CHECK_INT_EQ(tok_pretok_iter_init(&it, &p, &err), 0);
    tok_pretok_iter_reset(&it, (const uint8_t *)text, len);
    size_t start, end, expected_start = 0;
    int pieces = 0;
    while (tok_pretok_next(&it, &start, &end, &err) == 1) {
        CHECK_INT_EQ(start, expected_start); /* contiguous: nothing skipped */
        CHECK(end > start);
        expected_start = end;
        pieces++;
    }
    CHECK_INT_EQ(expected_start, len);
    CHECK(pieces >= 6);
    tok_pretok_iter_free(&it);
    tok_pretok_free(&p);
}

TEST(bad_pattern_is_a_usage_error)
{
    tok_pretok p;
    cr_err err = {0};
    CHECK_INT_EQ(tok_pretok_compile(&p, "(unclosed", &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "pattern does not compile");
}

static int train_sample(tok_vocab *v, uint32_t vocab_size, int threads, const char *pattern)
{
    const uint8_t *texts[2] = {(const uint8_t *)sample_text, (const uint8_t *)sample_text + 40};
    size_t lengths[2] = {sizeof sample_text - 1, sizeof sample_text - 41};
    tok_train_options o = {.vocab_size = vocab_size,
                           .pattern = pattern,
                           .min_frequency = 1,
                           .threads = threads,
                           .progress_mode = 2};
    tok_train_report report;
    cr_err err = {0};
    tok_vocab_init(v);
    int code = tok_train_texts(&o, texts, lengths, 2, v, &report, &err);
    if (code)
        printf("# train: %s\n", err.msg);
    return code;
}

static int same_vocab(const tok_vocab *a, const tok_vocab *b)
{
    if (a->vocab_size != b->vocab_size)
        return 0;
    for (uint32_t id = 0; id < a->vocab_size; id++) {
        size_t la, lb;
        const uint8_t *x = tok_vocab_bytes(a, id, &la), *y = tok_vocab_bytes(b, id, &lb);
        if (la != lb || (x && memcmp(x, y, la) != 0) ||
            tok_vocab_kind(a, id) != tok_vocab_kind(b, id))
            return 0;
    }
    return 1;
}

TEST(training_is_the_same_for_any_thread_count)
{
    tok_vocab one, four;
    CHECK_INT_EQ(train_sample(&one, 400, 1, "gpt4"), 0);
    CHECK_INT_EQ(train_sample(&four, 400, 4, "gpt4"), 0);
    CHECK(same_vocab(&one, &four));
    CHECK_INT_EQ(one.eot_id, one.vocab_size - 1);
    tok_vocab_free(&one);
    tok_vocab_free(&four);
}

/* ---- a slow reference trainer: recounts every pair after every merge ---- */

typedef struct ref_word {
    uint32_t symbols[512];
    int len;
    uint64_t count;
} ref_word;

static int reference_train(const char *regex, const char *text, uint32_t ordinary_target,
                           uint64_t min_frequency, tok_vocab *v)
{
    static ref_word words[4096];
    int word_count = 0;
    tok_pretok p;
    tok_pretok_iter it;
    cr_err err = {0};
    tok_vocab_init(v);
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        tok_vocab_add(v, &byte, 1, (uint32_t)b, &err);
    }
    tok_pretok_compile(&p, regex, &err);
    tok_pretok_iter_init(&it, &p, &err);
    tok_pretok_iter_reset(&it, (const uint8_t *)text, strlen(text));
    size_t start, end;
    while (tok_pretok_next(&it, &start, &end, &err) == 1) {
        int found = -1;
        for (int w = 0; w < word_count && found < 0; w++) {
            if (words[w].len != (int)(end - start))
                continue;
            int same = 1;
            for (int i = 0; i < words[w].len && same; i++)
                same = words[w].symbols[i] == (uint8_t)text[start + (size_t)i];
            if (same)
                found = w;
        }
        if (found < 0) {
            if (word_count == 4096 || end - start > 512)
                return -1;
            found = word_count++;
            words[found].len = (int)(end - start);
            words[found].count = 0;
            for (size_t i = start; i < end; i++)
                words[found].symbols[i - start] = (uint8_t)text[i];
        }
        words[found].count++;
    }
    tok_pretok_iter_free(&it);
    tok_pretok_free(&p);
    uint32_t next_id = 256;
    while (next_id < ordinary_target) {
        /* count every pair, pick (count desc, left asc, right asc) */
        uint64_t best_count = 0;
        uint32_t best_left = 0, best_right = 0;
        for (int w = 0; w < word_count; w++)
            for (int i = 0; i + 1 < words[w].len; i++) {
                uint32_t left = words[w].symbols[i], right = words[w].symbols[i + 1];
                uint64_t count = 0;
                for (int x = 0; x < word_count; x++) /* every adjacent occurrence */
                    for (int k = 0; k + 1 < words[x].len; k++)
                        if (words[x].symbols[k] == left && words[x].symbols[k + 1] == right)
                            count += words[x].count;
                if (count > best_count ||
                    (count == best_count &&
                     (left < best_left || (left == best_left && right < best_right)))) {
                    best_count = count;
                    best_left = left;
                    best_right = right;
                }
            }
        if (best_count == 0 || best_count < min_frequency)
            break;
        size_t ll, rl;
        uint8_t joined[1024];
        const uint8_t *lb = tok_vocab_bytes(v, best_left, &ll),
                      *rb = tok_vocab_bytes(v, best_right, &rl);
        memcpy(joined, lb, ll);
        memcpy(joined + ll, rb, rl);
        uint32_t merged = tok_vocab_find(v, joined, ll + rl);
        if (merged == TOK_NONE) {
            merged = next_id++;
            tok_vocab_add(v, joined, ll + rl, merged, &err);
        }
        for (int w = 0; w < word_count; w++) {
            int out = 0;
            for (int i = 0; i < words[w].len;) {
                if (i + 1 < words[w].len && words[w].symbols[i] == best_left &&
                    words[w].symbols[i + 1] == best_right) {
                    words[w].symbols[out++] = merged;
                    i += 2;
                } else {
                    words[w].symbols[out++] = words[w].symbols[i++];
                }
            }
            words[w].len = out;
        }
    }
    tok_vocab_add_special(v, "<|endoftext|>", next_id, &err);
    return 0;
}

TEST(incremental_training_equals_full_recount)
{
    /* Texts with many equal counts (ties), repeated letters (overlapping pairs: "aaaa") and
     * tokens reachable by two different merges ("a"+"bc" and "ab"+"c"). */
    static char text[20000];
    uint32_t seed = 12345;
    size_t used = 0;
    const char *parts[] = {"aaaa ",
                           "abc ",
                           "ab ",
                           "bc ",
                           "abcabc ",
                           "the ",
                           "then ",
                           "aaa\n",
                           "x ",
                           "  ",
                           "\xc3\xa9t\xc3\xa9 ",
                           "12345 ",
                           "ab,c "};
    for (int i = 0; i < 900; i++) {
        seed = seed * 1103515245 + 12345;
        const char *part = parts[(seed >> 16) % (sizeof parts / sizeof *parts)];
        size_t n = strlen(part);
        memcpy(text + used, part, n);
        used += n;
    }
    text[used] = 0;
    const char *patterns[] = {TOK_PATTERN_GPT2, TOK_PATTERN_GPT4};
    for (int p = 0; p < 2; p++) {
        tok_vocab expected, actual;
        CHECK_INT_EQ(reference_train(patterns[p], text, 256 + 60, 1, &expected), 0);
        const uint8_t *texts[1] = {(const uint8_t *)text};
        size_t lengths[1] = {used};
        tok_train_options o = {.vocab_size = 256 + 61,
                               .pattern = patterns[p],
                               .min_frequency = 1,
                               .threads = 2,
                               .progress_mode = 2};
        tok_train_report report;
        cr_err err = {0};
        tok_vocab_init(&actual);
        CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &actual, &report, &err), 0);
        CHECK(same_vocab(&expected, &actual));
        if (!same_vocab(&expected, &actual))
            for (uint32_t id = 256; id < actual.vocab_size && id < expected.vocab_size; id++) {
                size_t la, lb;
                const uint8_t *a = tok_vocab_bytes(&actual, id, &la);
                const uint8_t *b = tok_vocab_bytes(&expected, id, &lb);
                if (la != lb || memcmp(a, b, la)) {
                    printf("# first difference at id %u: got \"%.*s\", expected \"%.*s\"\n", id,
                           (int)la, a, (int)lb, b);
                    break;
                }
            }
        tok_vocab_free(&expected);
        tok_vocab_free(&actual);
    }
}

TEST(chunked_counting_equals_whole_text_counting)
{
    /* 3 MB with line breaks after spaces, punctuation and letters, so chunk cuts fall near
     * every kind of line end. The built-in pattern's name lets training cut the text into
     * chunks; the same regex wrapped in a group is not recognised and is counted whole. */
    size_t len = 3u << 20, used = 0;
    char *text = malloc(len + 64);
    const char *lines[] = {
        "word  \nNext", "end!\nStart",    "x\nY",   " \n\nA",
        "tab\t\nB",     "caf\xc3\xa9\nC", "12\n34", "  spaced out  \n  indented\n"};
    uint32_t seed = 99;
    while (used < len) {
        seed = seed * 1103515245 + 12345;
        const char *line = lines[(seed >> 16) % 8];
        size_t n = strlen(line);
        memcpy(text + used, line, n);
        used += n;
    }
    const char *names[] = {"gpt2", "gpt4"};
    for (int p = 0; p < 2; p++) {
        char wrapped[512];
        snprintf(wrapped, sizeof wrapped, "(?:%s)", p == 0 ? TOK_PATTERN_GPT2 : TOK_PATTERN_GPT4);
        tok_vocab cut, whole;
        const uint8_t *texts[1] = {(const uint8_t *)text};
        size_t lengths[1] = {used};
        tok_train_options o = {.vocab_size = 400,
                               .pattern = names[p],
                               .min_frequency = 1,
                               .threads = 2,
                               .progress_mode = 2};
        tok_train_report report_cut, report_whole;
        cr_err err = {0};
        tok_vocab_init(&cut);
        tok_vocab_init(&whole);
        CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &cut, &report_cut, &err), 0);
        o.pattern = wrapped;
        CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &whole, &report_whole, &err), 0);
        CHECK_INT_EQ(report_cut.unique_pieces, report_whole.unique_pieces);
        CHECK(same_vocab(&cut, &whole));
        tok_vocab_free(&cut);
        tok_vocab_free(&whole);
    }
    free(text);
}

TEST(training_stops_when_no_pair_is_frequent_enough)
{
    const uint8_t *texts[1] = {(const uint8_t *)"ab ab ab ab cd"};
    size_t lengths[1] = {14};
    tok_train_options o = {
        .vocab_size = 300, .pattern = "gpt2", .min_frequency = 2, .threads = 1, .progress_mode = 2};
    tok_train_report report;
    cr_err err = {0};
    tok_vocab v;
    tok_vocab_init(&v);
    CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &v, &report, &err), 0);
    CHECK(report.stopped_early);
    CHECK_INT_EQ(v.vocab_size, 259); /* "ab", " ab", then <|endoftext|> */
    size_t len;
    const uint8_t *bytes = tok_vocab_bytes(&v, 256, &len);
    CHECK(len == 2 && memcmp(bytes, "ab", 2) == 0);
    bytes = tok_vocab_bytes(&v, 257, &len);
    CHECK(len == 3 && memcmp(bytes, " ab", 3) == 0);
    CHECK_INT_EQ(v.eot_id, 258);
    tok_vocab_free(&v);
}

TEST(training_refuses_tiny_vocab_and_empty_corpus)
{
    const uint8_t *texts[1] = {(const uint8_t *)""};
    size_t lengths[1] = {0};
    tok_train_options o = {.vocab_size = 256, .pattern = "gpt4", .threads = 1, .progress_mode = 2};
    tok_train_report report;
    cr_err err = {0};
    tok_vocab v;
    tok_vocab_init(&v);
    CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &v, &report, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "smaller than 256 bytes + 1 special");
    o.vocab_size = 1000;
    CHECK_INT_EQ(tok_train_texts(&o, texts, lengths, 1, &v, &report, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "empty corpus");
    tok_vocab_free(&v);
}

TEST(scan_and_heap_merges_agree)
{
    tok_vocab v;
    CHECK_INT_EQ(train_sample(&v, 600, 1, "gpt2"), 0);
    tok_merge_scratch scratch = {0};
    tok_ids a = {0}, b = {0};
    uint32_t seed = 7;
    uint8_t piece[700];
    const char *alphabet = "the quick brown fox 123 dogs'";
    for (int round = 0; round < 300; round++) {
        size_t len = 1 + (size_t)(round * 7) % 690;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1664525 + 1013904223;
            piece[i] = round % 3 ? (uint8_t)alphabet[(seed >> 24) % 29] : (uint8_t)(seed >> 24);
        }
        a.count = b.count = 0;
        CHECK_INT_EQ(tok_bpe_piece_scan(&v, piece, len, &scratch, &a), 0);
        CHECK_INT_EQ(tok_bpe_piece_heap(&v, piece, len, &scratch, &b), 0);
        CHECK_INT_EQ(a.count, b.count);
        if (a.count == b.count)
            CHECK(memcmp(a.ids, b.ids, a.count * sizeof *a.ids) == 0);
        /* and the ids spell the piece */
        size_t at = 0;
        for (size_t i = 0; i < a.count; i++) {
            size_t len_i;
            const uint8_t *bytes = tok_vocab_bytes(&v, a.ids[i], &len_i);
            CHECK(at + len_i <= len && memcmp(bytes, piece + at, len_i) == 0);
            at += len_i;
        }
        CHECK_INT_EQ(at, len);
    }
    tok_ids_free(&a);
    tok_ids_free(&b);
    tok_merge_scratch_free(&scratch);
    tok_vocab_free(&v);
}

TEST(tokenizer_file_round_trips_and_refuses_corruption)
{
    char *dir = check_tmpdir();
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/tok", dir);
    snprintf(bad, sizeof bad, "%s/bad", dir);
    tok_vocab v, loaded;
    CHECK_INT_EQ(train_sample(&v, 350, 2, "gpt2"), 0);
    cr_err err = {0};
    CHECK_INT_EQ(tok_vocab_save(&v, path, &err), 0);
    CHECK_INT_EQ(tok_vocab_load(&loaded, path, &err), 0);
    CHECK(same_vocab(&v, &loaded));
    CHECK_STR_EQ(loaded.pattern_name, "gpt2");
    CHECK_STR_EQ(loaded.pattern, TOK_PATTERN_GPT2);
    CHECK_INT_EQ(loaded.eot_id, v.eot_id);
    tok_vocab_free(&loaded);

    char *text;
    size_t len;
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, &err), 0);
    /* truncated in the middle of the ranks */
    CHECK_INT_EQ(cr_write_file_atomic(bad, text, len / 2, &err), 0);
    CHECK_INT_EQ(tok_vocab_load(&loaded, bad, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "bad:");
    /* a duplicate rank: the first rank line's rank repeated on the second */
    char *ranks = strstr(text, "\n\n") + 2;
    char *second = strchr(ranks, '\n') + 1;
    char *rank0 = strchr(ranks, ' ');
    char *rank1 = strchr(second, ' ');
    char copy[64];
    snprintf(copy, sizeof copy, "%.*s", (int)(strchr(rank1, '\n') - rank1), rank1);
    cr_buf dup;
    cr_buf_init(&dup);
    cr_buf_append(&dup, text, (size_t)(rank1 - text));
    cr_buf_append(&dup, rank0, (size_t)(strchr(rank0, '\n') - rank0));
    cr_buf_append(&dup, strchr(rank1, '\n'), strlen(strchr(rank1, '\n')));
    CHECK_INT_EQ(cr_write_file_atomic(bad, dup.data, dup.len, &err), 0);
    CHECK_INT_EQ(tok_vocab_load(&loaded, bad, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "duplicate rank 0");
    cr_buf_free(&dup);
    /* not a tokenizer at all, and missing */
    CHECK_INT_EQ(cr_write_file_atomic(bad, "hello\n", 6, &err), 0);
    CHECK_INT_EQ(tok_vocab_load(&loaded, bad, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "not a crystalline tokenizer file");
    snprintf(bad, sizeof bad, "%s/missing", dir);
    CHECK_INT_EQ(tok_vocab_load(&loaded, bad, &err), CR_ENOINPUT);
    free(text);
    tok_vocab_free(&v);
    check_rm_rf(dir);
}

TEST(encoder_cache_gives_the_same_ids_as_no_cache)
{
    tok_vocab v;
    CHECK_INT_EQ(train_sample(&v, 500, 1, "gpt4"), 0);
    tok_pretok p;
    cr_err err = {0};
    CHECK_INT_EQ(tok_pretok_compile(&p, v.pattern, &err), 0);
    tok_encoder e;
    CHECK_INT_EQ(tok_encoder_init(&e, &v, &p, &err), 0);
    tok_ids first = {0}, second = {0};
    CHECK_INT_EQ(tok_encode(&e, (const uint8_t *)sample_text, sizeof sample_text - 1, &first, &err),
                 0);
    CHECK_INT_EQ(
        tok_encode(&e, (const uint8_t *)sample_text, sizeof sample_text - 1, &second, &err), 0);
    CHECK_INT_EQ(first.count, second.count);
    CHECK(first.count == second.count && memcmp(first.ids, second.ids, first.count * 4) == 0);
    /* piece by piece without the encoder gives the same */
    tok_pretok_iter it;
    tok_pretok_iter_init(&it, &p, &err);
    tok_pretok_iter_reset(&it, (const uint8_t *)sample_text, sizeof sample_text - 1);
    tok_merge_scratch scratch = {0};
    tok_ids direct = {0};
    size_t start, end;
    while (tok_pretok_next(&it, &start, &end, &err) == 1)
        tok_bpe_piece_scan(&v, (const uint8_t *)sample_text + start, end - start, &scratch,
                           &direct);
    CHECK(direct.count == first.count && memcmp(direct.ids, first.ids, first.count * 4) == 0);
    tok_pretok_iter_free(&it);
    tok_merge_scratch_free(&scratch);
    tok_ids_free(&first);
    tok_ids_free(&second);
    tok_ids_free(&direct);
    tok_encoder_free(&e);
    tok_pretok_free(&p);
    tok_vocab_free(&v);
}

int main(void)
{
    RUN(base64_round_trip_and_rejects_bad_text);
    RUN(gpt2_and_gpt4_patterns_split_like_tiktoken);
    RUN(pieces_cover_invalid_utf8_and_nul_bytes);
    RUN(bad_pattern_is_a_usage_error);
    RUN(training_is_the_same_for_any_thread_count);
    RUN(incremental_training_equals_full_recount);
    RUN(chunked_counting_equals_whole_text_counting);
    RUN(training_stops_when_no_pair_is_frequent_enough);
    RUN(training_refuses_tiny_vocab_and_empty_corpus);
    RUN(scan_and_heap_merges_agree);
    RUN(tokenizer_file_round_trips_and_refuses_corruption);
    RUN(encoder_cache_gives_the_same_ids_as_no_cache);
    return check_summary();
}
