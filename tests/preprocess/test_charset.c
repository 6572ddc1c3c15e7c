/* test_charset.c — charset evidence (BOM, HTTP, <meta>, detection) and conversion. */
#include "charset.h"
#include "check.h"

static const char *decode_html(const char *bytes, size_t len, const char *http, pp_decoded *info)
{
    static char result[1024];
    cr_buf out;
    cr_err err;
    cr_buf_init(&out);
    int code = pp_decode_html(bytes, len, http, &out, info, &err);
    snprintf(result, sizeof result, "%s", code == CR_OK && out.data ? out.data : "(error)");
    cr_buf_free(&out);
    return result;
}

TEST(sniffs_meta_charset)
{
    char label[40];
    const char *a = "<html><head><meta charset='Shift_JIS'></head>";
    CHECK(pp_sniff_meta_charset(a, strlen(a), label, sizeof label));
    CHECK_STR_EQ(label, "Shift_JIS");
    const char *b = "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-2\">";
    CHECK(pp_sniff_meta_charset(b, strlen(b), label, sizeof label));
    CHECK_STR_EQ(label, "iso-8859-2");
    const char *x = "<?xml version='1.0' encoding='ISO-8859-2'?><html>";
    CHECK(pp_sniff_meta_charset(x, strlen(x), label, sizeof label));
    CHECK_STR_EQ(label, "ISO-8859-2");
    const char *c = "<!-- <meta charset=koi8-r> --><metadata charset=x><p>charset=utf-8</p>";
    CHECK(!pp_sniff_meta_charset(c, strlen(c), label, sizeof label));
}

TEST(looks_up_labels)
{
    char canonical[40];
    CHECK_STR_EQ(pp_charset_lookup(" \"SJIS\"", canonical, sizeof canonical), "CP932");
    CHECK_STR_EQ(canonical, "shift_jis");
    CHECK_STR_EQ(pp_charset_lookup("ISO-8859-1", canonical, sizeof canonical), "-");
    CHECK_STR_EQ(canonical, "windows-1252");
    CHECK_STR_EQ(pp_charset_lookup("koi8-r", canonical, sizeof canonical), "KOI8-R");
    CHECK(pp_charset_lookup("no-such-charset", canonical, sizeof canonical) == NULL);
}

TEST(evidence_order)
{
    pp_decoded info;
    /* BOM wins over the HTTP header */
    CHECK_STR_EQ(decode_html("\xEF\xBB\xBFh\xC3\xA9", 6, "iso-8859-1", &info), "h\xC3\xA9");
    CHECK_STR_EQ(info.source, "bom");
    /* HTTP header over <meta> */
    const char *page = "<meta charset=utf-8>caf\xE9";
    CHECK_STR_EQ(decode_html(page, strlen(page), "windows-1252", &info),
                 "<meta charset=utf-8>caf\xC3\xA9");
    CHECK_STR_EQ(info.source, "http");
    /* windows-1252's 0x80-0x9F: euro sign, curly quotes */
    const char *quotes = "\x80 \x93q\x94";
    CHECK_STR_EQ(decode_html(quotes, strlen(quotes), NULL, &info),
                 "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D");
    CHECK_STR_EQ(info.charset, "windows-1252");
    CHECK_STR_EQ(info.source, "detected");
    /* UTF-8 with one stray Latin-1 byte stays UTF-8 */
    const char *stray = "caf\xC3\xA9 cr\xC3\xA8me br\xC3\xBBl\xC3\xA9"
                        "e \xE9t\xC3\xA9";
    CHECK_STR_EQ(decode_html(stray, strlen(stray), NULL, &info), stray);
    CHECK_STR_EQ(info.charset, "utf-8");
    /* a page labelled Latin-1 that is really UTF-8 */
    const char *mislabelled = "<meta charset=iso-8859-1>na\xC3\xAFve";
    CHECK_STR_EQ(decode_html(mislabelled, strlen(mislabelled), NULL, &info), mislabelled);
    CHECK_STR_EQ(info.charset, "utf-8");
}

TEST(detects_korean_and_chinese)
{
    pp_decoded info;
    /* "한국어 텍스트입니다" in EUC-KR */
    const char *korean =
        "<p>\xC7\xD1\xB1\xB9\xBE\xEE \xC5\xD8\xBD\xBA\xC6\xAE\xC0\xD4\xB4\xCF\xB4\xD9</p>";
    decode_html(korean, strlen(korean), NULL, &info);
    CHECK_STR_EQ(info.charset, "euc-kr");
    /* "中文文本测试内容" in GBK */
    const char *chinese = "<p>\xD6\xD0\xCE\xC4\xCE\xC4\xB1\xBE\xB2\xE2\xCA\xD4\xC4\xDA\xC8\xDD</p>";
    decode_html(chinese, strlen(chinese), NULL, &info);
    CHECK_STR_EQ(info.charset, "gb18030");
}

TEST(iconv_errors_become_replacement_characters)
{
    cr_buf out;
    cr_err err;
    size_t invalid = 0;
    cr_buf_init(&out);
    /* 0x82 0x20: a Shift_JIS lead byte followed by a byte that cannot trail it */
    CHECK_INT_EQ(pp_convert("a\x82 b\x82", 5, "CP932", &out, &invalid, &err), CR_OK);
    CHECK_INT_EQ(invalid, 2);
    CHECK(out.data && strstr(out.data, "\xEF\xBF\xBD"));
    CHECK(out.data && out.data[0] == 'a');
    cr_buf_free(&out);
}

TEST(refuses_binary)
{
    cr_err err;
    CHECK_INT_EQ(pp_check_not_binary("abc\0def", 7, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "offset 3");
    CHECK_INT_EQ(pp_check_not_binary("ab\x01\x02\x03\x04", 6, &err), CR_EDATA);
    CHECK_INT_EQ(pp_check_not_binary("plain text\twith tabs\r\n", 22, &err), CR_OK);
    CHECK_INT_EQ(pp_check_not_binary("\xFF\xFEh\0i\0", 6, &err), CR_OK); /* UTF-16 with BOM */
}

int main(void)
{
    RUN(sniffs_meta_charset);
    RUN(looks_up_labels);
    RUN(evidence_order);
    RUN(detects_korean_and_chinese);
    RUN(iconv_errors_become_replacement_characters);
    RUN(refuses_binary);
    return check_summary();
}
