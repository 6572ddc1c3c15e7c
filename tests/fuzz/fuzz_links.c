/* fuzz_links.c — a fetched page through the crawler's link extraction (crawler/links.c):
 * <base href>, meta robots, the declared charset and every link resolved and normalised.
 * The first byte picks the Content-Type charset hint; the rest is the page. Every link
 * returned must be a normal form (url.c). Preprocess's reading of pages is fuzz_html.c. */
#include "fuzz.h"
#include "links.h"
#include "url.h"

static const char *const hints[] = {NULL,        "",       "utf-8", "iso-8859-1",
                                    "shift_jis", "utf-16", "bogus"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    page_links links;
    memset(&links, 0, sizeof links);
    if (links_extract((const char *)data + 1, size - 1, "http://example.com/dir/page.html",
                      hints[data[0] % (sizeof hints / sizeof *hints)], "crystalline-crawler",
                      &links) != 0)
        return 0;
    char again[URL_MAX];
    for (size_t i = 0; i < links.count; i++)
        if (url_normalize(NULL, links.urls[i], again, sizeof again) != 0 ||
            strcmp(again, links.urls[i]) != 0)
            abort();
    if (strnlen(links.charset, sizeof links.charset) == sizeof links.charset)
        abort();
    links_free(&links);
    return 0;
}
