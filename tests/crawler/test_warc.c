/* test_warc.c — WARC 1.1 records as gzip members (warc.c), and trimming a torn tail. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

/* Writes a WARC of three exchanges at path; returns the offsets where each member starts. */
static void three_exchanges(const char *path, long starts[4])
{
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), 0);
    starts[0] = 0;
    for (int i = 1; i <= 3; i++) {
        starts[i] = (long)w.bytes_written;
        char url[32];
        snprintf(url, sizeof url, "http://h/%d", i);
        CHECK_INT_EQ(warc_write_exchange(&w, url, NULL, "", 0, "HTTP/1.1 200 OK\r\n\r\n", 19,
                                         "body of the page, long enough to compress", 41, &err),
                     0);
    }
    CHECK_INT_EQ(warc_close(&w, &err), 0);
}

/* Opening must refuse with CR_EDATA and leave the file's bytes as they were. */
static void check_refused_and_kept(const char *path)
{
    char *before, *after;
    size_t before_len, after_len;
    cr_err err;
    CHECK_INT_EQ(cr_read_file(path, &before, &before_len, 0, &err), 0);
    warc_writer w;
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "not an intact WARC");
    CHECK_INT_EQ(cr_read_file(path, &after, &after_len, 0, &err), 0);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
}

TEST(a_member_damaged_in_the_middle_is_refused_and_nothing_cut)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/crawl.warc.gz", dir);
    long starts[4];
    three_exchanges(path, starts);
    /* Flip bytes inside the second exchange's response member: good records follow it. */
    int fd = open(path, O_RDWR);
    unsigned char junk[4] = {0xff, 0x00, 0xff, 0x00};
    CHECK(pwrite(fd, junk, sizeof junk, starts[2] + 20) == (ssize_t)sizeof junk);
    close(fd);
    check_refused_and_kept(path);
    /* A damaged gzip header in the middle, too. */
    CHECK(unlink(path) == 0);
    three_exchanges(path, starts);
    fd = open(path, O_RDWR);
    CHECK(pwrite(fd, "XX", 2, starts[2]) == 2);
    close(fd);
    check_refused_and_kept(path);
    check_rm_rf(dir);
}

TEST(a_file_that_is_not_a_warc_is_refused_and_kept)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    cr_err err;
    const char *text = "my notes, not a WARC at all\n";
    CHECK_INT_EQ(cr_write_file_atomic(path, text, strlen(text), &err), 0);
    check_refused_and_kept(path);
    /* gzip, but not WARC records */
    void *gz;
    size_t gz_len;
    CHECK_INT_EQ(warc_gzip_member("just some gzipped text, nothing else", 36, &gz, &gz_len), 0);
    snprintf(path, sizeof path, "%s/archive.gz", dir);
    CHECK_INT_EQ(cr_write_file_atomic(path, gz, gz_len, &err), 0);
    free(gz);
    check_refused_and_kept(path);
    /* and a torn gzip member that is not a WARC record */
    CHECK_INT_EQ(warc_gzip_member("just some gzipped text, nothing else", 36, &gz, &gz_len), 0);
    CHECK_INT_EQ(cr_write_file_atomic(path, gz, gz_len - 10, &err), 0);
    free(gz);
    check_refused_and_kept(path);
    check_rm_rf(dir);
}

TEST(a_torn_member_followed_by_zeros_is_cut)
{
    /* A crash can leave the last blocks of an extended file as zeros. */
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/crawl.warc.gz", dir);
    long starts[4];
    three_exchanges(path, starts);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    int fd = open(path, O_RDWR);
    CHECK(ftruncate(fd, starts[3] + 10) == 0);
    CHECK(ftruncate(fd, starts[3] + 4096) == 0);
    close(fd);
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), 0);
    CHECK_INT_EQ((long)w.bytes_written, starts[3]);
    CHECK_INT_EQ(warc_close(&w, &err), 0);
    check_rm_rf(dir);
}

TEST(a_fifo_or_a_folder_is_refused_without_waiting)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/pipe", dir);
    CHECK(mkfifo(path, 0600) == 0);
    warc_writer w;
    cr_err err;
    CHECK_INT_EQ(warc_open(&w, path, "a", &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "not a regular file");
    CHECK_INT_EQ(warc_open(&w, dir, "a", &err), CR_EUSAGE);
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
    RUN(a_member_damaged_in_the_middle_is_refused_and_nothing_cut);
    RUN(a_file_that_is_not_a_warc_is_refused_and_kept);
    RUN(a_torn_member_followed_by_zeros_is_cut);
    RUN(a_fifo_or_a_folder_is_refused_without_waiting);
    RUN(unwritable_path_is_an_io_error);
    return check_summary();
}
