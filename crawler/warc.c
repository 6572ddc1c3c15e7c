/* warc.c — WARC 1.1 writer (ISO 28500:2017): warcinfo, request and response records, one gzip
 * member per record (zlib). Records are built in memory and appended with one write; a torn
 * member at the end (crash mid-write) is found on reopening by inflating member by member and
 * cut off. Bodies are stored decoded, so the HTTP headers are adjusted to match (see warc.h).
 * Not a WARC reader beyond that check. Tests: tests/crawler/test_warc.c and test_crawl.sh. */
#include "warc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"

int warc_gzip_member(const void *bytes, size_t len, void **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)len) + 32;
    unsigned char *buffer = malloc(bound);
    if (!buffer) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)bytes;
    z.avail_in = (uInt)len;
    z.next_out = buffer;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t produced = bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buffer);
        return -1;
    }
    *out = buffer;
    *out_len = produced;
    return 0;
}

/* Length of the complete gzip members at the start of the file (a torn tail is not counted). */
static int complete_members_length(int fd, off_t *good, cr_err *err, const char *path)
{
    *good = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return cr_fail(err, CR_EOTHER, "zlib init failed");
    unsigned char in[65536], out[65536];
    off_t consumed_total = 0;
    int in_member = 0;
    for (;;) {
        ssize_t n = read(fd, in, sizeof in);
        if (n < 0) {
            inflateEnd(&z);
            return cr_fail_errno(err, CR_EIO, "reading %s", path);
        }
        if (n == 0)
            break;
        z.next_in = in;
        z.avail_in = (uInt)n;
        while (z.avail_in > 0) {
            uInt before = z.avail_in;
            z.next_out = out;
            z.avail_out = sizeof out;
            int rc = inflate(&z, Z_NO_FLUSH);
            consumed_total += before - z.avail_in;
            in_member = 1;
            if (rc == Z_STREAM_END) {
                *good = consumed_total;
                in_member = 0;
                inflateReset(&z);
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                inflateEnd(&z); /* garbage: keep what was good */
                return CR_OK;
            }
        }
    }
    (void)in_member;
    inflateEnd(&z);
    return CR_OK;
}

static void warc_date(char *out, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void record_id(char out[64])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (i * 37) ^ rand());
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 64,
             "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int append_record(warc_writer *w, cr_buf *record, cr_err *err)
{
    if (record->failed)
        return cr_fail(err, CR_EOTHER, "out of memory building a WARC record");
    void *gz;
    size_t gz_len;
    if (warc_gzip_member(record->data, record->len, &gz, &gz_len) < 0)
        return cr_fail(err, CR_EOTHER, "compressing a WARC record failed");
    const char *p = gz;
    size_t left = gz_len;
    while (left > 0) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int code = cr_fail_errno(err, CR_EIO, "writing %s", w->path);
            /* Cut the torn member so the file stays readable. */
            if (ftruncate(w->fd, (off_t)w->bytes_written) < 0) {
            }
            free(gz);
            return code;
        }
        p += n;
        left -= (size_t)n;
    }
    free(gz);
    w->bytes_written += gz_len;
    w->records++;
    return CR_OK;
}

/* "WARC/1.1" header lines, then the block and the two CRLFs that end a record. */
static void record_begin(cr_buf *r, const char *type, const char *id, const char *date)
{
    cr_buf_printf(r, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\nWARC-Date: %s\r\n", type,
                  id, date);
}

int warc_open(warc_writer *w, const char *path, const char *user_agent, cr_err *err)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return cr_fail_errno(err, CR_EIO, "opening WARC %s", path);
    off_t good;
    int rc = complete_members_length(w->fd, &good, err, path);
    if (rc) {
        close(w->fd);
        return rc;
    }
    struct stat st;
    if (fstat(w->fd, &st) == 0 && st.st_size > good) {
        if (ftruncate(w->fd, good) < 0) {
            rc = cr_fail_errno(err, CR_EIO, "trimming the torn end of %s", path);
            close(w->fd);
            return rc;
        }
    }
    if (lseek(w->fd, good, SEEK_SET) < 0) {
        rc = cr_fail_errno(err, CR_EIO, "seeking in %s", path);
        close(w->fd);
        return rc;
    }
    w->bytes_written = (uint64_t)good;
    if (good > 0)
        return CR_OK;

    cr_buf fields, r;
    cr_buf_init(&fields);
    cr_buf_init(&r);
    cr_buf_printf(&fields,
                  "software: crystalline-crawler/%s\r\nformat: WARC File Format 1.1\r\n"
                  "conformsTo: https://iipc.github.io/warc-specifications/specifications/"
                  "warc-format/warc-1.1/\r\nhttp-header-user-agent: %s\r\n",
                  CR_VERSION, user_agent);
    char id[64], date[32];
    record_id(id);
    warc_date(date, sizeof date);
    record_begin(&r, "warcinfo", id, date);
    const char *slash = strrchr(path, '/');
    cr_buf_printf(&r,
                  "WARC-Filename: %s\r\nContent-Type: application/warc-fields\r\n"
                  "Content-Length: %zu\r\n\r\n",
                  slash ? slash + 1 : path, fields.len);
    cr_buf_append(&r, fields.data, fields.len);
    cr_buf_puts(&r, "\r\n\r\n");
    rc = append_record(w, &r, err);
    cr_buf_free(&fields);
    cr_buf_free(&r);
    if (rc)
        close(w->fd);
    return rc;
}

/* Copies the response header block, dropping the headers that describe the encoded transfer
 * and setting Content-Length to the stored (decoded) body's length. */
static void adjusted_headers(cr_buf *out, const char *headers, size_t len, size_t body_len)
{
    const char *p = headers, *end = headers + len;
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        line_end = line_end ? line_end + 1 : end;
        size_t n = (size_t)(line_end - p);
        int blank = (n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n');
        if (blank)
            break;
        if (!(strncasecmp(p, "Content-Encoding:", 17) == 0 ||
              strncasecmp(p, "Transfer-Encoding:", 18) == 0 ||
              strncasecmp(p, "Content-Length:", 15) == 0)) {
            cr_buf_append(out, p, n);
            if (n == 0 || p[n - 1] != '\n')
                cr_buf_puts(out, "\r\n");
        }
        p = line_end;
    }
    cr_buf_printf(out, "Content-Length: %zu\r\n\r\n", body_len);
}

int warc_write_exchange(warc_writer *w, const char *target_uri, const char *ip_address,
                        const char *request, size_t request_len, const char *response_headers,
                        size_t response_headers_len, const char *body, size_t body_len, cr_err *err)
{
    char response_id[64], request_id[64], date[32];
    record_id(response_id);
    record_id(request_id);
    warc_date(date, sizeof date);

    cr_buf http, r;
    cr_buf_init(&http);
    cr_buf_init(&r);
    adjusted_headers(&http, response_headers, response_headers_len, body_len);
    cr_buf_append(&http, body, body_len);
    record_begin(&r, "response", response_id, date);
    cr_buf_printf(&r, "WARC-Target-URI: %s\r\n", target_uri);
    if (ip_address && *ip_address)
        cr_buf_printf(&r, "WARC-IP-Address: %s\r\n", ip_address);
    cr_buf_printf(&r,
                  "Content-Type: application/http;msgtype=response\r\nContent-Length: %zu\r\n\r\n",
                  http.len);
    cr_buf_append(&r, http.data, http.len);
    cr_buf_puts(&r, "\r\n\r\n");
    int rc = append_record(w, &r, err);

    if (!rc && request_len > 0) {
        cr_buf_reset(&r);
        record_begin(&r, "request", request_id, date);
        cr_buf_printf(&r, "WARC-Target-URI: %s\r\nWARC-Concurrent-To: %s\r\n", target_uri,
                      response_id);
        if (ip_address && *ip_address)
            cr_buf_printf(&r, "WARC-IP-Address: %s\r\n", ip_address);
        cr_buf_printf(
            &r, "Content-Type: application/http;msgtype=request\r\nContent-Length: %zu\r\n\r\n",
            request_len);
        cr_buf_append(&r, request, request_len);
        cr_buf_puts(&r, "\r\n\r\n");
        rc = append_record(w, &r, err);
    }
    cr_buf_free(&http);
    cr_buf_free(&r);
    return rc;
}

int warc_close(warc_writer *w, cr_err *err)
{
    if (w->fd < 0)
        return CR_OK;
    int rc = CR_OK;
    if (fsync(w->fd) < 0)
        rc = cr_fail_errno(err, CR_EIO, "syncing %s", w->path);
    if (close(w->fd) < 0 && !rc)
        rc = cr_fail_errno(err, CR_EIO, "closing %s", w->path);
    w->fd = -1;
    return rc;
}
