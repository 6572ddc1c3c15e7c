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
#include "clock.h"

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

/* Inflates the file from offset start, at most limit bytes (-1: to the end), member by
 * member. *good: the end of the last complete member; *damaged: 1 when the bytes read are not
 * gzip members of WARC records (a data error, or a member that does not hold "WARC/"), 0 when
 * they are complete members, possibly followed by the start of one (a torn write). */
static int scan_members(int fd, off_t start, off_t limit, off_t *good, int *damaged, cr_err *err,
                        const char *path)
{
    *good = start;
    *damaged = 0;
    if (lseek(fd, start, SEEK_SET) < 0)
        return cr_fail_errno(err, CR_EIO, "seeking in %s", path);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return cr_fail(err, CR_EOTHER, "zlib init failed");
    unsigned char in[65536], out[65536];
    char head[5];
    size_t head_len = 0;
    off_t consumed_total = start;
    for (;;) {
        size_t want = sizeof in;
        if (limit >= 0 && (off_t)want > start + limit - consumed_total)
            want = (size_t)(start + limit - consumed_total);
        if (want == 0)
            break;
        ssize_t n = read(fd, in, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
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
            size_t produced = sizeof out - z.avail_out;
            for (size_t i = 0; i < produced && head_len < sizeof head; i++)
                head[head_len++] = (char)out[i];
            if (rc == Z_STREAM_END) {
                if (head_len < sizeof head || memcmp(head, "WARC/", 5) != 0) {
                    *damaged = 1; /* gzip, but not a WARC record */
                    inflateEnd(&z);
                    return CR_OK;
                }
                *good = consumed_total;
                head_len = 0;
                inflateReset(&z);
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                *damaged = 1;
                inflateEnd(&z);
                return CR_OK;
            } else if (head_len == sizeof head && memcmp(head, "WARC/", 5) != 0) {
                *damaged = 1;
                inflateEnd(&z);
                return CR_OK;
            }
        }
    }
    inflateEnd(&z);
    return CR_OK;
}

/* The offset after the last nonzero byte at or after start (start when there is none): a
 * crash can leave a file's last blocks as zeros after its size was extended. */
static int end_of_nonzero(int fd, off_t start, off_t size, off_t *end, cr_err *err,
                          const char *path)
{
    unsigned char chunk[65536];
    off_t pos = size;
    while (pos > start) {
        size_t n = (size_t)(pos - start < (off_t)sizeof chunk ? pos - start : (off_t)sizeof chunk);
        ssize_t got = pread(fd, chunk, n, pos - (off_t)n);
        if (got != (ssize_t)n)
            return cr_fail_errno(err, CR_EIO, "reading %s", path);
        for (size_t i = n; i-- > 0;)
            if (chunk[i]) {
                *end = pos - (off_t)n + (off_t)i + 1;
                return CR_OK;
            }
        pos -= (off_t)n;
    }
    *end = start;
    return CR_OK;
}

/* Where appending may start: after the last complete record. Only a torn last member (the
 * start of a member, perhaps followed by zeros) may be cut; anything else (a damaged member
 * with good ones after it, a file that is not a WARC) is refused with every byte kept. */
static int appendable_length(int fd, off_t size, off_t *good, cr_err *err, const char *path)
{
    int damaged;
    int rc = scan_members(fd, 0, -1, good, &damaged, err, path);
    if (rc || !damaged)
        return rc;
    off_t end;
    if ((rc = end_of_nonzero(fd, *good, size, &end, err, path)))
        return rc;
    off_t again;
    if ((rc = scan_members(fd, *good, end - *good, &again, &damaged, err, path)))
        return rc;
    if (!damaged && again == *good)
        return CR_OK; /* the start of a member, then zeros: a torn write */
    return cr_fail(err, CR_EDATA,
                   "%s is not an intact WARC: bytes %lld..%lld are not gzip members of WARC "
                   "records, and only a torn last record may be cut; refusing to append (every "
                   "byte kept)",
                   path, (long long)*good, (long long)size);
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
    /* O_NONBLOCK: a FIFO named by mistake must not hang the open; refused just below. */
    w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    if (w->fd < 0)
        return cr_fail_errno(err, errno == EISDIR ? CR_EUSAGE : CR_EIO, "opening WARC %s", path);
    struct stat st;
    if (fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(w->fd);
        return cr_fail(err, CR_EUSAGE, "--warc %s: not a regular file", path);
    }
    int flags = fcntl(w->fd, F_GETFL);
    if (flags >= 0)
        fcntl(w->fd, F_SETFL, flags & ~O_NONBLOCK);
    off_t good;
    int rc = appendable_length(w->fd, st.st_size, &good, err, path);
    if (rc) {
        close(w->fd);
        return rc;
    }
    if (st.st_size > good) {
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
    cr_wall_iso(date);
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
    cr_wall_iso(date);

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
