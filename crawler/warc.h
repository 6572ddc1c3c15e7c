/* warc.h — WARC 1.1 output: a warcinfo record when the file is new, then a request and a
 * response record for each fetched page, each record its own gzip member (the ".warc.gz"
 * convention, so readers can seek to any record). An append log, not an atomic output: on
 * reopening after a crash, a torn last member is cut off; other damage, or a file that is
 * not a WARC, is refused (CR_EDATA) with every byte kept. The page files are output.c's. */
#ifndef CRAWLER_WARC_H
#define CRAWLER_WARC_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct warc_writer {
    int fd;
    char path[4096];
    uint64_t records;
    uint64_t bytes_written;
} warc_writer;

/* Opens path for appending, creating it with a warcinfo record (software, user agent), or
 * trimming a torn last gzip member left by a crash. */
int warc_open(warc_writer *w, const char *path, const char *user_agent, cr_err *err);
/* request: the HTTP request as sent; response_headers: the status line and headers as
 * received; body: the decoded body (so Content-Encoding and Transfer-Encoding are dropped
 * and Content-Length set to the body's length, as the record holds the decoded bytes). */
int warc_write_exchange(warc_writer *w, const char *target_uri, const char *ip_address,
                        const char *request, size_t request_len, const char *response_headers,
                        size_t response_headers_len, const char *body, size_t body_len,
                        cr_err *err);
/* fsync and close. */
int warc_close(warc_writer *w, cr_err *err);

/* Compresses len bytes as one gzip member appended to out (tests use it, warc.c does). */
int warc_gzip_member(const void *bytes, size_t len, void **out, size_t *out_len);

#endif
