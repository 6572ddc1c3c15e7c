/* test_warc.c — WARC 1.1 records as gzip members (warc.c), and trimming a torn tail. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "fs.h"
#include "warc.h"

/* Inflates every gzip member of a file into one buffer; returns the member count or -1. */
static int read_members(const char *path, char *out, size_t out_size, size_t *out_len)
{
    char *bytes;
    size_t len;
    cr_err err;
    if (cr_read_file(path, &bytes, &len, 0, &err))
        return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, 15 + 16);
    z.next_in = (Bytef *)bytes;
    z.avail_in = (uInt)len;
    int members = 0;
    *out_len = 0;
    while (z.avail_in > 0) {
        z.next_out = (Bytef *)out + *out_len;
        z.avail_out = (uInt)(out_size - *out_len);
        int rc = inflate(&z, Z_NO_FLUSH);
        *out_len = out_size - z.avail_out;
        if (rc == Z_STREAM_END) {
            members++;
            inflateReset(&z);
        } else if (rc != Z_OK) {
            members = -1;
            break;
        }
    }
    inflateEnd(&z);
    free(bytes);
    return members;
}

TEST(records_are_members_with_correct_lengths)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/crawl.warc.gz", dir);
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, path, "test-agent/1", &err), 0);
    const char *request = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    const char *headers = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                          "Content-Length: 999\r\n\r\n";
    CHECK_INT_EQ(warc_write_exchange(&w, "http://h/a", "127.0.0.1", request, strlen(request),
                                     headers, strlen(headers), "<p>hi</p>", 9, &err),
                 0);
    CHECK_INT_EQ(warc_close(&w, &err), 0);

    static char text[65536];
    size_t len;
    CHECK_INT_EQ(read_members(path, text, sizeof text, &len), 3);
    text[len] = '\0';
    CHECK(strncmp(text, "WARC/1.1\r\nWARC-Type: warcinfo\r\n", 31) == 0);
    CHECK_CONTAINS(text, "WARC-Type: response\r\n");
    CHECK_CONTAINS(text, "WARC-Type: request\r\n");
    CHECK_CONTAINS(text, "WARC-Target-URI: http://h/a\r\n");
    CHECK_CONTAINS(text, "Content-Type: application/http;msgtype=response\r\n");
    /* The stored body is decoded: no Content-Encoding, Content-Length of the stored body. */
    CHECK(strstr(text, "Content-Encoding") == NULL);
    CHECK_CONTAINS(text, "Content-Length: 9\r\n\r\n<p>hi</p>");
    /* Each record's Content-Length is its block's length. */
    const char *p = strstr(text, "WARC-Type: response");
    const char *cl = strstr(p, "\r\nContent-Length: ");
    long block_len = strtol(cl + 18, NULL, 10);
    const char *block = strstr(cl, "\r\n\r\n") + 4;
    CHECK(strncmp(block + block_len, "\r\n\r\nWARC/1.1", 12) == 0);
    check_rm_rf(dir);
}

TEST(a_torn_last_member_is_cut_on_reopening)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/crawl.warc.gz", dir);
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), 0);
    CHECK_INT_EQ(warc_write_exchange(&w, "http://h/1", NULL, "GET / HTTP/1.1\r\n\r\n", 18,
                                     "HTTP/1.1 200 OK\r\n\r\n", 19, "one", 3, &err),
                 0);
    CHECK_INT_EQ(warc_close(&w, &err), 0);
    /* A crash in the middle of the next member. */
    void *gz;
    size_t gz_len;
    CHECK_INT_EQ(warc_gzip_member("WARC/1.1\r\nhalf a record", 23, &gz, &gz_len), 0);
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(write(fd, gz, gz_len / 2) == (ssize_t)(gz_len / 2));
    close(fd);
    free(gz);
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), 0);
    CHECK_INT_EQ(warc_write_exchange(&w, "http://h/2", NULL, "", 0, "HTTP/1.1 200 OK\r\n\r\n", 19,
                                     "two", 3, &err),
                 0);
    CHECK_INT_EQ(warc_close(&w, &err), 0);
    static char text[65536];
    size_t len;
    CHECK_INT_EQ(read_members(path, text, sizeof text, &len), 4);
    text[len] = '\0';
    CHECK(strstr(text, "half a record") == NULL);
    CHECK_CONTAINS(text, "http://h/2");
    check_rm_rf(dir);
}

TEST(unwritable_path_is_an_io_error)
{
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, "/nonexistent-folder/x.warc.gz", "a", &err), CR_EIO);
    CHECK_CONTAINS(err.msg, "x.warc.gz");
}

int main(void)
{
    RUN(records_are_members_with_correct_lengths);
    RUN(a_torn_last_member_is_cut_on_reopening);
    RUN(unwritable_path_is_an_io_error);
    return check_summary();
}
