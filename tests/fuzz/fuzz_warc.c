/* fuzz_warc.c — an existing --warc file as the crawler reopens it to append (crawler/warc.c,
 * warc_open: the gzip members are checked and a torn last one cut): any bytes are appended to
 * or refused, never a crash. What a refused file must keep is tests/crawler's to check. */
#include "fuzz.h"
#include "warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_write_file("crawl.warc.gz", data, size, path, sizeof path);
    warc_writer w;
    cr_err err = {0};
    if (warc_open(&w, path, "crystalline-crawler/fuzz", &err) == CR_OK) {
        static const char request[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
        static const char headers[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
        warc_write_exchange(&w, "http://example.com/", "127.0.0.1", request, sizeof request - 1,
                            headers, sizeof headers - 1, "<p>x</p>", 8, &err);
        warc_close(&w, &err);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
