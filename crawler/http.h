/* http.h — reading HTTP response headers and timing retries: the header block of the final
 * response, media type and charset of a Content-Type, Retry-After (seconds or HTTP-date) and
 * exponential backoff. No transfers here: crawl.c drives libcurl. */
#ifndef CRAWLER_HTTP_H
#define CRAWLER_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* The value of header name (without case) in a block of "Name: value\r\n" lines, trimmed, into
 * out. Returns 1 when found (the last occurrence wins), 0 when not. */
int http_header_value(const char *headers, size_t len, const char *name, char *out,
                      size_t out_size);

/* Splits a Content-Type value: the media type lowercased ("text/html") and the charset
 * parameter, unquoted ("" when absent). */
void http_media_type(const char *content_type, char *type, size_t type_size, char *charset,
                     size_t charset_size);

/* Retry-After as seconds from now_epoch_s: delta-seconds or an HTTP-date. -1 when invalid. */
double http_retry_after_s(const char *value, int64_t now_epoch_s);

/* Backoff before attempt number failed_attempts+1: base * 2^(failed_attempts-1), capped at
 * max, with +-jitter (0..1) applied from random01 in [0,1). */
int64_t http_backoff_ms(int64_t base_ms, int failed_attempts, int64_t max_ms, double jitter,
                        double random01);

/* Is a media type in a comma-separated list ("text/html,text/plain"; "*" accepts all)? */
int http_type_accepted(const char *list, const char *media_type);

/* Inflates gzip data (a .xml.gz file) into out, at most max_bytes. Returns 0 or -1. */
struct cr_buf;
int http_gunzip(const void *bytes, size_t len, size_t max_bytes, struct cr_buf *out);

#endif
