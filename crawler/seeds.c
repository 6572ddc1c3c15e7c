/* seeds.c — reads seed files and seed URLs into a normalised, deduplicated list. A line that
 * is not an http(s) URL is logged with its file:line and skipped, never fatal here: main.c
 * exits 65 only when nothing valid remains. Tests: test_seeds in tests/crawler/test_url.c. */
#include "seeds.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "log.h"
#include "url.h"

static int add_url(seed_list *seeds, const char *url)
{
    for (size_t i = 0; i < seeds->count; i++)
        if (strcmp(seeds->urls[i], url) == 0)
            return 0;
    if (cr_grow(&seeds->urls, &seeds->cap, seeds->count + 1, sizeof *seeds->urls) < 0)
        return -1;
    if (!(seeds->urls[seeds->count] = strdup(url)))
        return -1;
    seeds->count++;
    return 0;
}

int seeds_add_text(seed_list *seeds, const char *text, size_t len, const char *name, cr_err *err)
{
    const char *p = text, *end = text + len;
    int line_number = 0;
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        if (!line_end)
            line_end = end;
        line_number++;
        const char *s = p, *e = line_end;
        while (s < e && isspace((unsigned char)*s))
            s++;
        const char *hash = memchr(s, '#', (size_t)(e - s));
        if (hash == s)
            e = s; /* a comment line; '#' later in a line is a URL fragment */
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            char raw[URL_MAX], url[URL_MAX];
            size_t n = (size_t)(e - s);
            if (n < sizeof raw && memchr(s, '\0', n) == NULL) {
                memcpy(raw, s, n);
                raw[n] = '\0';
            } else {
                raw[0] = '\0';
            }
            if (raw[0] && strstr(raw, "://") && url_normalize(NULL, raw, url, sizeof url) == 0) {
                if (add_url(seeds, url) < 0)
                    return cr_fail(err, CR_EOTHER, "out of memory");
            } else {
                seeds->rejected++;
                cr_warn("%s:%d: not an http(s) URL, skipped: %.80s", name, line_number,
                        raw[0] ? raw : "(too long or binary)");
            }
        }
        p = line_end + 1;
    }
    return CR_OK;
}

int seeds_add(seed_list *seeds, const char *url_or_file, cr_err *err)
{
    if (strstr(url_or_file, "://") && !cr_is_file(url_or_file)) {
        char url[URL_MAX];
        if (url_normalize(NULL, url_or_file, url, sizeof url) < 0) {
            seeds->rejected++;
            cr_warn("not an http(s) URL, skipped: %.200s", url_or_file);
            return CR_OK;
        }
        return add_url(seeds, url) < 0 ? cr_fail(err, CR_EOTHER, "out of memory") : CR_OK;
    }
    char *text;
    size_t len;
    int rc = cr_read_file(url_or_file, &text, &len, 64u << 20, err);
    if (rc)
        return cr_err_context(err, "reading seeds");
    rc = seeds_add_text(seeds, text, len, url_or_file, err);
    free(text);
    return rc;
}

void seeds_free(seed_list *seeds)
{
    for (size_t i = 0; i < seeds->count; i++)
        free(seeds->urls[i]);
    free(seeds->urls);
    memset(seeds, 0, sizeof *seeds);
}
