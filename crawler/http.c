/* http.c — HTTP header reading and retry timing for crawl.c: header values, Content-Type
 * parameters, Retry-After (RFC 9110 10.2.3, via curl_getdate for the date form) and capped
 * exponential backoff with jitter. No I/O. Tests: tests/crawler/test_http.c. */
#include "http.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "buf.h"

int http_header_value(const char *headers, size_t len, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    int found = 0;
    const char *p = headers, *end = headers + len;
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        if (!line_end)
            line_end = end;
        if ((size_t)(line_end - p) > name_len && p[name_len] == ':' &&
            strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1, *v_end = line_end;
            while (v < v_end && (*v == ' ' || *v == '\t'))
                v++;
            while (v_end > v && isspace((unsigned char)v_end[-1]))
                v_end--;
            size_t n = (size_t)(v_end - v);
            if (out_size > 0) {
                if (n >= out_size)
                    n = out_size - 1;
                memcpy(out, v, n);
                out[n] = '\0';
            }
            found = 1;
        }
        p = line_end + 1;
    }
    return found;
}

void http_media_type(const char *content_type, char *type, size_t type_size, char *charset,
                     size_t charset_size)
{
    if (type_size)
        type[0] = '\0';
    if (charset_size)
        charset[0] = '\0';
    if (!content_type)
        return;
    const char *p = content_type;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "; \t");
    size_t i;
    for (i = 0; i < n && i + 1 < type_size; i++)
        type[i] = (char)tolower((unsigned char)p[i]);
    if (type_size)
        type[i] = '\0';
    p += n;
    while (*p) {
        while (*p == ';' || *p == ' ' || *p == '\t')
            p++;
        size_t key_len = strcspn(p, "=;");
        if (p[key_len] == '=' && key_len == 7 && strncasecmp(p, "charset", 7) == 0) {
            const char *v = p + key_len + 1;
            int quoted = *v == '"';
            if (quoted)
                v++;
            size_t v_len = strcspn(v, quoted ? "\"" : "; \t");
            if (v_len >= charset_size)
                v_len = charset_size ? charset_size - 1 : 0;
            for (size_t k = 0; k < v_len; k++)
                charset[k] = (char)tolower((unsigned char)v[k]);
            if (charset_size)
                charset[v_len] = '\0';
            return;
        }
        p += key_len;
        if (*p == '=')
            p += 1 + strcspn(p + 1, ";");
    }
}

double http_retry_after_s(const char *value, int64_t now_epoch_s)
{
    if (!value || !*value)
        return -1;
    const char *p = value;
    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        char *end;
        double seconds = strtod(p, &end);
        while (*end == ' ')
            end++;
        return *end == '\0' && seconds >= 0 ? seconds : -1;
    }
    time_t when = curl_getdate(p, NULL);
    if (when == (time_t)-1)
        return -1;
    double delta = (double)((int64_t)when - now_epoch_s);
    return delta > 0 ? delta : 0;
}

int64_t http_backoff_ms(int64_t base_ms, int failed_attempts, int64_t max_ms, double jitter,
                        double random01)
{
    double delay = (double)base_ms;
    for (int i = 1; i < failed_attempts && delay < (double)max_ms; i++)
        delay *= 2;
    if (delay > (double)max_ms)
        delay = (double)max_ms;
    delay *= 1.0 + jitter * (2.0 * random01 - 1.0);
    return delay < 0 ? 0 : (int64_t)llround(delay);
}

int http_type_accepted(const char *list, const char *media_type)
{
    size_t type_len = strlen(media_type);
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 1 && *p == '*')
            return 1;
        if (n > 0 && n == type_len && strncasecmp(p, media_type, n) == 0)
            return 1;
        p += n;
    }
    return 0;
}

int http_gunzip(const void *bytes, size_t len, size_t max_bytes, cr_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return -1;
    z.next_in = (Bytef *)bytes;
    z.avail_in = (uInt)len;
    unsigned char chunk[65536];
    int rc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        size_t produced = sizeof chunk - z.avail_out;
        if (out->len + produced > max_bytes || cr_buf_append(out, chunk, produced) < 0) {
            rc = Z_MEM_ERROR;
            break;
        }
    } while (rc == Z_OK);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}
