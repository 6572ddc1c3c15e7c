/* test_url.c — RFC 3986 resolution and normalisation (url.c), scope (scope.c), seeds (seeds.c). */
#include <string.h>

#include "check.h"
#include "log.h"
#include "scope.h"
#include "seeds.h"
#include "url.h"

static const char *norm(const char *base, const char *ref)
{
    static char out[URL_MAX];
    if (url_normalize(base, ref, out, sizeof out) < 0)
        return "(invalid)";
    return out;
}

TEST(rfc3986_normal_examples)
{
    /* RFC 3986 5.4.1, base http://a/b/c/d;p?q */
    const char *base = "http://a/b/c/d;p?q";
    CHECK_STR_EQ(norm(base, "g"), "http://a/b/c/g");
    CHECK_STR_EQ(norm(base, "./g"), "http://a/b/c/g");
    CHECK_STR_EQ(norm(base, "g/"), "http://a/b/c/g/");
    CHECK_STR_EQ(norm(base, "/g"), "http://a/g");
    CHECK_STR_EQ(norm(base, "//g"), "http://g/");
    CHECK_STR_EQ(norm(base, "?y"), "http://a/b/c/d;p?y");
    CHECK_STR_EQ(norm(base, "g?y"), "http://a/b/c/g?y");
    CHECK_STR_EQ(norm(base, "#s"), "http://a/b/c/d;p?q");
    CHECK_STR_EQ(norm(base, "g#s"), "http://a/b/c/g");
    CHECK_STR_EQ(norm(base, ";x"), "http://a/b/c/;x");
    CHECK_STR_EQ(norm(base, ""), "http://a/b/c/d;p?q");
    CHECK_STR_EQ(norm(base, "."), "http://a/b/c/");
    CHECK_STR_EQ(norm(base, "./"), "http://a/b/c/");
    CHECK_STR_EQ(norm(base, ".."), "http://a/b/");
    CHECK_STR_EQ(norm(base, "../"), "http://a/b/");
    CHECK_STR_EQ(norm(base, "../g"), "http://a/b/g");
    CHECK_STR_EQ(norm(base, "../.."), "http://a/");
    CHECK_STR_EQ(norm(base, "../../g"), "http://a/g");
}

TEST(rfc3986_abnormal_examples)
{
    const char *base = "http://a/b/c/d;p?q";
    CHECK_STR_EQ(norm(base, "../../../g"), "http://a/g");
    CHECK_STR_EQ(norm(base, "../../../../g"), "http://a/g");
    CHECK_STR_EQ(norm(base, "/./g"), "http://a/g");
    CHECK_STR_EQ(norm(base, "/../g"), "http://a/g");
    CHECK_STR_EQ(norm(base, "g."), "http://a/b/c/g.");
    CHECK_STR_EQ(norm(base, ".g"), "http://a/b/c/.g");
    CHECK_STR_EQ(norm(base, "g.."), "http://a/b/c/g..");
    CHECK_STR_EQ(norm(base, "..g"), "http://a/b/c/..g");
    CHECK_STR_EQ(norm(base, "./../g"), "http://a/b/g");
    CHECK_STR_EQ(norm(base, "./g/."), "http://a/b/c/g/");
    CHECK_STR_EQ(norm(base, "g/./h"), "http://a/b/c/g/h");
    CHECK_STR_EQ(norm(base, "g/../h"), "http://a/b/c/h");
    CHECK_STR_EQ(norm(base, "g;x=1/./y"), "http://a/b/c/g;x=1/y");
    CHECK_STR_EQ(norm(base, "g;x=1/../y"), "http://a/b/c/y");
    CHECK_STR_EQ(norm(base, "g?y/./x"), "http://a/b/c/g?y/./x");
    CHECK_STR_EQ(norm(base, "http:g"), "http://a/b/c/g"); /* as browsers read it */
}

TEST(one_page_many_spellings)
{
    const char *want = "http://example.com/a%20b/~c?q=%2F";
    CHECK_STR_EQ(norm(NULL, "HTTP://EXAMPLE.COM:80/a%20b/%7ec?q=%2f#frag"), want);
    CHECK_STR_EQ(norm(NULL, "http://example.com./a b/~c?q=%2F"), want);
    CHECK_STR_EQ(norm(NULL, "http://user:pw@Example.com/x/../a%20b/./%7Ec?q=%2F"), want);
    CHECK_STR_EQ(norm(NULL, "  http://example.com/a%20b/~c?q=%2F  "), want);
    CHECK_STR_EQ(norm(NULL, "http://exa\tmple.com/a%20b/~c?q=%2F\n"), want);
    CHECK_STR_EQ(norm(NULL, "http://example.com"), "http://example.com/");
    CHECK_STR_EQ(norm(NULL, "https://example.com:443/"), "https://example.com/");
    CHECK_STR_EQ(norm(NULL, "https://example.com:80/"), "https://example.com:80/");
    CHECK_STR_EQ(norm(NULL, "http://example.com:8080"), "http://example.com:8080/");
    CHECK_STR_EQ(norm(NULL, "http://example.com/?"), "http://example.com/");
    CHECK_STR_EQ(norm(NULL, "http://[::1]:8080/x"), "http://[::1]:8080/x");
    CHECK_STR_EQ(norm("http://h/a/b", "..\\c"), "http://h/c");
    /* Percent-encoded reserved bytes stay encoded; unreserved ones are decoded. */
    CHECK_STR_EQ(norm(NULL, "http://h/%41%2d%2f%3F"), "http://h/A-%2F%3F");
    CHECK_STR_EQ(norm(NULL, "http://h/100%"), "http://h/100%25");
    CHECK_STR_EQ(norm(NULL, "http://h/caf\xc3\xa9"), "http://h/caf%C3%A9");
    CHECK_STR_EQ(norm(NULL, "http://h/%2e%2E/x"), "http://h/x");
    /* Hosts: percent-encoding normalised the same way (found by test_fuzz). */
    CHECK_STR_EQ(norm(NULL, "http://A%41%5a.example/"), "http://aaz.example/");
    CHECK_STR_EQ(norm(NULL, "http://a%zz.example/"), "http://a%25zz.example/");
    CHECK_STR_EQ(norm(NULL, "http://a%%44c/"), "http://a%25dc/");
    CHECK_STR_EQ(norm(NULL, "http://%2e./"), "(invalid)");
}

TEST(refuses_what_is_not_http)
{
    CHECK_STR_EQ(norm(NULL, "mailto:x@example.com"), "(invalid)");
    CHECK_STR_EQ(norm("http://h/", "javascript:void(0)"), "(invalid)");
    CHECK_STR_EQ(norm("http://h/", "ftp://h/file"), "(invalid)");
    CHECK_STR_EQ(norm(NULL, "relative/path"), "(invalid)");
    CHECK_STR_EQ(norm(NULL, "http://"), "(invalid)");
    CHECK_STR_EQ(norm(NULL, "http://h:99999/"), "(invalid)");
    CHECK_STR_EQ(norm(NULL, "http://h:8x/"), "(invalid)");
    CHECK_STR_EQ(norm(NULL, "http:/x"), "(invalid)");
    char small[16];
    CHECK_INT_EQ(url_normalize(NULL, "http://example.com/long/path", small, sizeof small), -1);
}

TEST(origin_and_path)
{
    char origin[300];
    CHECK_INT_EQ(url_origin("https://h.example/a?b", origin, sizeof origin), 0);
    CHECK_STR_EQ(origin, "https://h.example:443");
    CHECK_INT_EQ(url_origin("http://h:8080/", origin, sizeof origin), 0);
    CHECK_STR_EQ(origin, "http://h:8080");
    CHECK_STR_EQ(url_path_query("http://h:8080/a/b?c=d"), "/a/b?c=d");
    CHECK_STR_EQ(url_path_query("http://h/"), "/");
}

TEST(scope_modes)
{
    char *seeds[] = {"http://www.example.com/docs/intro.html", "http://127.0.0.1:8080/"};
    scope s;
    cr_err err;
    CHECK_INT_EQ(scope_init(&s, "host", seeds, 2, &err), 0);
    CHECK(scope_allows(&s, "http://www.example.com/other"));
    CHECK(scope_allows(&s, "https://www.example.com/"));
    CHECK(!scope_allows(&s, "http://example.com/"));
    CHECK(scope_allows(&s, "http://127.0.0.1:9999/x"));
    CHECK(!scope_allows(&s, "http://localhost:8080/x"));
    scope_free(&s);

    CHECK_INT_EQ(scope_init(&s, "domain", seeds, 2, &err), 0);
    CHECK(scope_allows(&s, "http://blog.example.com/"));
    CHECK(scope_allows(&s, "http://example.com/"));
    CHECK(!scope_allows(&s, "http://badexample.com/"));
    CHECK(!scope_allows(&s, "http://127.0.0.2/"));
    scope_free(&s);

    CHECK_INT_EQ(scope_init(&s, "prefix", seeds, 1, &err), 0);
    CHECK(scope_allows(&s, "http://www.example.com/docs/a/b.html"));
    CHECK(scope_allows(&s, "https://www.example.com/docs/"));
    CHECK(!scope_allows(&s, "http://www.example.com/doc"));
    CHECK(!scope_allows(&s, "http://www.example.com/"));
    scope_free(&s);

    CHECK_INT_EQ(scope_init(&s, "^https?://[^/]*example\\.com/docs/", seeds, 2, &err), 0);
    CHECK(scope_allows(&s, "http://a.example.com/docs/x"));
    CHECK(!scope_allows(&s, "http://a.example.com/blog/x"));
    scope_free(&s);

    CHECK_INT_EQ(scope_init(&s, "([unclosed", seeds, 2, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "--scope");
}

TEST(seed_files)
{
    seed_list seeds = {0};
    cr_err err;
    const char *text = "# comment\n\n  http://Example.com/a  \nnot a url\nftp://x/\n"
                       "http://example.com/a#dup\r\nhttps://example.com/b\n";
    CHECK_INT_EQ(seeds_add_text(&seeds, text, strlen(text), "seeds.urls", &err), 0);
    CHECK_INT_EQ(seeds.count, 2);
    CHECK_INT_EQ(seeds.rejected, 2);
    if (seeds.count == 2) {
        CHECK_STR_EQ(seeds.urls[0], "http://example.com/a");
        CHECK_STR_EQ(seeds.urls[1], "https://example.com/b");
    }
    CHECK_INT_EQ(seeds_add(&seeds, "/nonexistent/seeds.urls", &err), CR_ENOINPUT);
    CHECK_CONTAINS(err.msg, "seeds");
    seeds_free(&seeds);
    /* binary junk yields no seed and no crash */
    const char junk[] = "\x01\x02\xff\xfe\0\0http\n";
    CHECK_INT_EQ(seeds_add_text(&seeds, junk, sizeof junk, "junk", &err), 0);
    CHECK_INT_EQ(seeds.count, 0);
    seeds_free(&seeds);
}

int main(void)
{
    cr_log_init("test_url", CR_LOG_ERROR);
    RUN(rfc3986_normal_examples);
    RUN(rfc3986_abnormal_examples);
    RUN(one_page_many_spellings);
    RUN(refuses_what_is_not_http);
    RUN(origin_and_path);
    RUN(scope_modes);
    RUN(seed_files);
    return check_summary();
}
