/* test_http.c — header values, Content-Type, Retry-After and backoff (http.c). */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "http.h"

TEST(header_values_of_the_final_response)
{
    const char *h = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\netag:  \"v1\" \r\n"
                    "X-Robots-Tag: noindex\r\nX-Robots-Tag: nofollow\r\n\r\n";
    char v[64];
    CHECK_INT_EQ(http_header_value(h, strlen(h), "ETag", v, sizeof v), 1);
    CHECK_STR_EQ(v, "\"v1\"");
    CHECK_INT_EQ(http_header_value(h, strlen(h), "x-robots-tag", v, sizeof v), 1);
    CHECK_STR_EQ(v, "nofollow");
    CHECK_INT_EQ(http_header_value(h, strlen(h), "Last-Modified", v, sizeof v), 0);
    CHECK_INT_EQ(http_header_value(h, strlen(h), "Content", v, sizeof v), 0);
}

TEST(media_type_and_charset)
{
    char type[64], charset[32];
    http_media_type("Text/HTML; Charset=\"ISO-8859-1\"", type, sizeof type, charset,
                    sizeof charset);
    CHECK_STR_EQ(type, "text/html");
    CHECK_STR_EQ(charset, "iso-8859-1");
    http_media_type("application/xhtml+xml;q=1;charset=utf-8", type, sizeof type, charset,
                    sizeof charset);
    CHECK_STR_EQ(type, "application/xhtml+xml");
    CHECK_STR_EQ(charset, "utf-8");
    http_media_type(NULL, type, sizeof type, charset, sizeof charset);
    CHECK_STR_EQ(type, "");
    CHECK(http_type_accepted("text/html, text/plain", "text/plain"));
    CHECK(!http_type_accepted("text/html,text/plain", "image/png"));
    CHECK(!http_type_accepted("text/html", "text/htm"));
    CHECK(http_type_accepted("*", "image/png"));
}

TEST(retry_after_forms)
{
    CHECK_NEAR(http_retry_after_s("120", 0), 120, 1e-9);
    CHECK_NEAR(http_retry_after_s(" 0 ", 0), 0, 1e-9);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 */
    CHECK_NEAR(http_retry_after_s("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30, 1e-9);
    CHECK_NEAR(http_retry_after_s("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0, 1e-9);
    CHECK(http_retry_after_s("soon", 0) < 0);
    CHECK(http_retry_after_s("-5", 0) < 0);
    CHECK(http_retry_after_s("", 0) < 0);
}

TEST(backoff_doubles_and_caps)
{
    CHECK_INT_EQ(http_backoff_ms(1000, 1, 60000, 0, 0.5), 1000);
    CHECK_INT_EQ(http_backoff_ms(1000, 2, 60000, 0, 0.5), 2000);
    CHECK_INT_EQ(http_backoff_ms(1000, 4, 60000, 0, 0.5), 8000);
    CHECK_INT_EQ(http_backoff_ms(1000, 30, 60000, 0, 0.5), 60000);
    CHECK_INT_EQ(http_backoff_ms(1000, 1, 60000, 0.2, 0.0), 800);
    CHECK_INT_EQ(http_backoff_ms(1000, 1, 60000, 0.2, 0.999999), 1200);
}

TEST(gunzip_with_a_limit)
{
    /* gzip of "hello\n" */
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                                       0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};
    cr_buf out;
    cr_buf_init(&out);
    CHECK_INT_EQ(http_gunzip(gz, sizeof gz, 100, &out), 0);
    CHECK_INT_EQ(out.len, 6);
    CHECK(out.data && memcmp(out.data, "hello\n", 6) == 0);
    cr_buf_reset(&out);
    CHECK_INT_EQ(http_gunzip(gz, sizeof gz, 3, &out), -1);
    cr_buf_reset(&out);
    CHECK_INT_EQ(http_gunzip(gz, sizeof gz - 5, 100, &out), -1); /* truncated */
    cr_buf_free(&out);
}

int main(void)
{
    RUN(header_values_of_the_final_response);
    RUN(media_type_and_charset);
    RUN(retry_after_forms);
    RUN(backoff_doubles_and_caps);
    RUN(gunzip_with_a_limit);
    return check_summary();
}
