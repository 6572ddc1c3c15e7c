/* fuzz_sitemap.c — a sitemap as a server sends it (crawler/links.c, sitemap_parse), gzipped or
 * not (crawler/http.c, http_gunzip, as outcome.c does for .xml.gz): a list of <loc> or a
 * refusal, never a crash. */
#include "buf.h"
#include "fuzz.h"
#include "http.h"
#include "links.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    size_t len = size;
    cr_buf inflated;
    cr_buf_init(&inflated);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        if (http_gunzip(data, size, 1 << 20, &inflated) != 0) {
            cr_buf_free(&inflated);
            return 0;
        }
        xml = inflated.data ? inflated.data : "";
        len = inflated.len;
    }
    sitemap_urls urls;
    if (sitemap_parse(xml, len, &urls) == 0) {
        for (size_t i = 0; i < urls.count; i++)
            if (!urls.locs[i])
                abort();
        sitemap_free(&urls);
    }
    cr_buf_free(&inflated);
    return 0;
}
