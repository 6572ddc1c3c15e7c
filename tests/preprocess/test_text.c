/* test_text.c — the clean-up every document gets (text.c): UTF-8 repair, NFC, controls,
 * line ends, whitespace by kind. */
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
    RUN(drops_controls_keeps_tab_and_newline);
    RUN(prose_collapses_blanks_and_blank_lines);
    RUN(markdown_keeps_code_verbatim);
    RUN(code_is_byte_exact_but_line_ends);
    return check_summary();
}
