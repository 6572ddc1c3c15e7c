/* test_text.c — the clean-up every document gets (text.c): UTF-8 repair, NFC, controls,
 * line ends, whitespace by kind. */
#include <utf8proc.h>

#include "check.h"
#include "text.h"

static char *clean(const char *in, enum pp_text_mode mode, size_t *invalid)
{
    static char result[4096];
    cr_buf out;
    cr_err err;
    cr_buf_init(&out);
    size_t bad = 0;
    int code = pp_text_clean(in, strlen(in), mode, &out, &bad, &err);
    snprintf(result, sizeof result, "%s",
             code == CR_OK && out.data ? out.data
             : code == CR_OK           ? ""
                                       : "(error)");
    if (invalid)
        *invalid = bad;
    cr_buf_free(&out);
    return result;
}

TEST(repairs_invalid_utf8_and_counts)
{
    size_t invalid;
    CHECK_STR_EQ(clean("a\xff"
                       "b\xe2\x82"
                       "c\xed\xa0\x80"
                       "d",
                       PP_TEXT_CODE, &invalid),
                 "a\xEF\xBF\xBD"
                 "b\xEF\xBF\xBD"
                 "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                 "d\n");
    CHECK_INT_EQ(invalid, 5); /* ff, e2 82, and the surrogate ed a0 80 as three bytes */
    CHECK(pp_utf8_valid("h\xC3\xA9", 3));
    CHECK(!pp_utf8_valid("\xC0\xAF", 2));         /* overlong */
    CHECK(!pp_utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
}

TEST(normalises_to_nfc)
{
    /* e + combining acute -> é; the Angstrom sign -> Å */
    CHECK_STR_EQ(clean("Cafe\xCC\x81 \xE2\x84\xAB", PP_TEXT_PROSE, NULL), "Caf\xC3\xA9 \xC3\x85\n");
}

/* pp_nfc copies the lines it finds inert and sends the others to utf8proc: for every code
 * point, after an ASCII letter, before and after itself, after a Greek and a Hangul starter,
 * and before a combining mark, its result is utf8proc's own. */
TEST(nfc_fast_path_equals_utf8proc)
{
    static const char *const before[] = {"e", "\xCE\xB1", "\xEA\xB0\x80", "", NULL};
    size_t mismatches = 0;
    utf8proc_int32_t first_bad = -1;
    cr_buf out;
    cr_buf_init(&out);
    for (utf8proc_int32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        utf8proc_uint8_t one[4];
        utf8proc_ssize_t n = utf8proc_encode_char(cp, one);
        for (const char *const *b = before; *b; b++) {
            char line[32];
            size_t len = strlen(*b);
            memcpy(line, *b, len);
            memcpy(line + len, one, (size_t)n);
            len += (size_t)n;
            if (!**b) { /* itself twice, then a combining acute */
                memcpy(line + len, one, (size_t)n);
                len += (size_t)n;
                memcpy(line + len, "\xCC\x81", 2);
                len += 2;
            }
            cr_err err;
            cr_buf_reset(&out);
            utf8proc_uint8_t *reference = NULL;
            utf8proc_ssize_t ref_len =
                utf8proc_map((const utf8proc_uint8_t *)line, (utf8proc_ssize_t)len, &reference,
                             UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            int code = pp_nfc(line, len, &out, &err);
            if (ref_len < 0 ? code == CR_OK
                            : code != CR_OK || out.len != (size_t)ref_len ||
                                  memcmp(out.data, reference, (size_t)ref_len) != 0) {
                if (first_bad < 0)
                    first_bad = cp;
                mismatches++;
            }
            free(reference);
        }
    }
    cr_buf_free(&out);
    if (mismatches)
        fprintf(stderr, "first mismatch at U+%04X\n", (unsigned)first_bad);
    CHECK_INT_EQ(mismatches, 0);
}

TEST(drops_controls_keeps_tab_and_newline)
{
    CHECK_STR_EQ(clean("a\x01"
                       "b\x7f"
                       "c\xC2\x85"
                       "d\xEF\xBB\xBF"
                       "e\tf\r\ng\rh",
                       PP_TEXT_CODE, NULL),
                 "abcde\tf\ng\nh\n");
}

TEST(prose_collapses_blanks_and_blank_lines)
{
    CHECK_STR_EQ(
        clean("\n\n  Two   words\xC2\xA0here  \n\n\n\nNext\t paragraph \n\n", PP_TEXT_PROSE, NULL),
        "Two words here\n\nNext paragraph\n");
    CHECK_STR_EQ(clean(" \n\t\n", PP_TEXT_PROSE, NULL), "");
}

TEST(markdown_keeps_code_verbatim)
{
    CHECK_STR_EQ(
        clean("#  Title  \n\n~~~\na   b\n\n\n~~~\n  - item  one\n", PP_TEXT_MARKDOWN, NULL),
        "# Title\n\n~~~\na   b\n\n\n~~~\n  - item one\n");
}

TEST(code_is_byte_exact_but_line_ends)
{
    CHECK_STR_EQ(clean("\n\nint  x;  \r\n\r\n\treturn;\n\n\n", PP_TEXT_CODE, NULL),
                 "\n\nint  x;  \n\n\treturn;\n");
    CHECK_STR_EQ(clean("no newline at end", PP_TEXT_CODE, NULL), "no newline at end\n");
}

int main(void)
{
    RUN(repairs_invalid_utf8_and_counts);
    RUN(normalises_to_nfc);
    RUN(nfc_fast_path_equals_utf8proc);
    RUN(drops_controls_keeps_tab_and_newline);
    RUN(prose_collapses_blanks_and_blank_lines);
    RUN(markdown_keeps_code_verbatim);
    RUN(code_is_byte_exact_but_line_ends);
    return check_summary();
}
