/* fuzz_url.c — URL resolution and normalisation (crawler/url.c) on links as pages write them.
 * Input: the base, a NUL byte, the reference (no NUL: the reference must be absolute). Beyond
 * "no crash", it holds the properties the frontier relies on: a normal form normalises to
 * itself, splits, and has an origin; a small output buffer is refused, never overrun. */
#include "fuzz.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_size;
    char *first = fuzz_split(data, size, &rest, &rest_size);
    const char *base = NULL, *ref = first;
    char *ref_copy = NULL;
    if (rest != data + size) { /* there was a NUL: base, then reference */
        ref_copy = malloc(rest_size + 1);
        if (!ref_copy)
            abort();
        memcpy(ref_copy, rest, rest_size);
        ref_copy[rest_size] = '\0';
        base = first;
        ref = ref_copy;
    }
    char *out = malloc(URL_MAX), *again = malloc(URL_MAX), *small = malloc(24);
    if (!out || !again || !small)
        abort();
    if (url_normalize(base, ref, out, URL_MAX) == 0) {
        if (url_normalize(NULL, out, again, URL_MAX) != 0 || strcmp(out, again) != 0) {
            fprintf(stderr, "not idempotent:\n  base %s\n  ref  %s\n  once %s\n", base ? base : "",
                    ref, out);
            abort();
        }
        url_parts parts;
        if (url_split(out, &parts) != 0)
            abort();
        char origin[URL_MAX];
        if (url_origin(out, origin, sizeof origin) != 0)
            abort();
        const char *path_query = url_path_query(out);
        if (!path_query || path_query[0] != '/')
            abort();
    }
    url_normalize(base, ref, small, 24);
    char encoded[URL_MAX];
    url_normalize_encoding(ref, encoded, sizeof encoded);
    free(out);
    free(again);
    free(small);
    free(first);
    free(ref_copy);
    return 0;
}
