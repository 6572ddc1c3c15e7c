/* fuzz_html.c — a fetched page through preprocess as a crawled .html is processed: the binary
 * check, charset decoding (preprocess/charset.c), main-text extraction (html.c), the text
 * clean-up (text.c) and the measures the filters use. The first byte picks the charset the
 * HTTP header claimed; the rest is the page. The crawler's own HTML reading is fuzz_links.c. */
#include "charset.h"
#include "filters.h"
#include "fuzz.h"
#include "html.h"
#include "text.h"

static const char *const http_charsets[] = {NULL,     "utf-8",   "windows-1252", "shift_jis",
                                            "euc-kr", "gb18030", "utf-16le",     "iso-2022-jp",
                                            "big5",   "koi8-r",  "x-unknown",    ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    if (!initialised) {
        pp_html_init();
        initialised = 1;
    }
    if (size < 1)
        return 0;
    const char *charset = http_charsets[data[0] % (sizeof http_charsets / sizeof *http_charsets)];
    const char *page = (const char *)data + 1;
    size_t len = size - 1;
    cr_err err = {0};
    if (pp_check_not_binary(page, len, &err) != CR_OK)
        return 0;
    cr_buf decoded, laid_out, clean;
    cr_buf_init(&decoded);
    cr_buf_init(&laid_out);
    cr_buf_init(&clean);
    pp_decoded info;
    pp_html_info html_info;
    memset(&html_info, 0, sizeof html_info);
    if (pp_decode_html(page, len, charset, &decoded, &info, &err) == CR_OK &&
        pp_html_extract(decoded.data ? decoded.data : "", decoded.len, "http://example.com/a/",
                        &laid_out, &html_info, &err) == CR_OK) {
        size_t repaired = 0;
        if (pp_text_clean(laid_out.data ? laid_out.data : "", laid_out.len, PP_TEXT_VERBATIM,
                          &clean, &repaired, &err) == CR_OK) {
            if (clean.len && !pp_utf8_valid(clean.data, clean.len))
                abort(); /* the clean form is valid UTF-8, whatever came in */
            pp_measures measures;
            pp_measure(clean.data ? clean.data : "", clean.len, 0, &measures);
        }
        if (strnlen(html_info.title, sizeof html_info.title) == sizeof html_info.title)
            abort(); /* the title is always terminated */
    }
    cr_buf_free(&decoded);
    cr_buf_free(&laid_out);
    cr_buf_free(&clean);
    return 0;
}
