/* fuzz_http.c — response headers as a server sends them (crawler/http.c): header lookup,
 * Content-Type splitting, Retry-After and gzip bodies. Input: the header block, a NUL byte, a
 * body that is inflated when it starts like gzip. */
#include "buf.h"
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *body;
    size_t body_size;
    char *headers = fuzz_split(data, size, &body, &body_size);
    size_t len = strlen(headers);
    static const char *const names[] = {"content-type", "retry-after", "location", "content-length",
                                        "x"};
    char value[512], type[128], charset[64];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!http_header_value(headers, len, names[i], value, sizeof value))
            continue;
        if (strnlen(value, sizeof value) == sizeof value)
            abort();
        http_media_type(value, type, sizeof type, charset, sizeof charset);
        http_type_accepted("text/html,text/plain,application/xhtml+xml", type);
        http_retry_after_s(value, 1700000000);
    }
    if (body_size >= 2 && body[0] == 0x1f && body[1] == 0x8b) {
        cr_buf out;
        cr_buf_init(&out);
        http_gunzip(body, body_size, 1 << 20, &out);
        cr_buf_free(&out);
    }
    free(headers);
    return 0;
}
