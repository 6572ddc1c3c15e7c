/* test_links.c — links, <base>, meta robots and charset from HTML (links.c), sitemaps. */
#include <string.h>

#include "check.h"
#include "links.h"

static page_links extract(const char *html, const char *url)
{
    page_links l;
    if (links_extract(html, strlen(html), url, NULL, "crystalline-crawler", &l) < 0)
        memset(&l, 0, sizeof l);
    return l;
}

static int has(const page_links *l, const char *url)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->urls[i], url) == 0)
            return 1;
    return 0;
}

TEST(anchors_areas_frames_resolved_and_deduplicated)
{
    page_links l = extract("<html><body><a href='b.html'>b</a><a href='/c.html#x'>c</a>"
                           "<a href='B.html'>B</a><a href='./b.html'>again</a>"
                           "<map><area href='../area.html'></map><iframe src='frame.html'></iframe>"
                           "<a href='mailto:x@y'>m</a><a href='javascript:x()'>j</a><a>none</a>"
                           "<a href='https://other.example/'>o</a></body></html>",
                           "http://h/dir/page.html");
    CHECK_INT_EQ(l.count, 6);
    CHECK(has(&l, "http://h/dir/b.html"));
    CHECK(has(&l, "http://h/c.html"));
    CHECK(has(&l, "http://h/dir/B.html"));
    CHECK(has(&l, "http://h/area.html"));
    CHECK(has(&l, "http://h/dir/frame.html"));
    CHECK(has(&l, "https://other.example/"));
    if (l.count >= 1)
        CHECK_STR_EQ(l.urls[0], "http://h/dir/b.html"); /* document order */
    CHECK(!l.noindex && !l.nofollow);
    links_free(&l);
}

TEST(base_href_changes_resolution)
{
    page_links l = extract("<html><head><base href='/based/'></head><body>"
                           "<a href='page.html'>p</a></body></html>",
                           "http://h/base/index.html");
    CHECK_INT_EQ(l.count, 1);
    CHECK(has(&l, "http://h/based/page.html"));
    links_free(&l);
}

TEST(nofollow_noindex_and_rel)
{
    page_links l = extract("<html><head><meta name='ROBOTS' content='NoIndex, follow'></head>"
                           "<body><a rel='external nofollow' href='/n'>n</a><a href='/y'>y</a>"
                           "</body></html>",
                           "http://h/");
    CHECK(l.noindex);
    CHECK(!l.nofollow);
    CHECK_INT_EQ(l.count, 1);
    CHECK(has(&l, "http://h/y"));
    links_free(&l);
    l = extract("<meta name='crystalline-crawler' content='nofollow'><a href='/y'>y</a>",
                "http://h/");
    CHECK(l.nofollow);
    CHECK_INT_EQ(l.count, 0);
    links_free(&l);
    l = extract("<meta name='robots' content='none'><a href='/y'>y</a>", "http://h/");
    CHECK(l.nofollow && l.noindex);
    links_free(&l);
    l = extract("<meta name='otherbot' content='noindex,nofollow'><a href='/y'>y</a>", "http://h/");
    CHECK(!l.nofollow && !l.noindex);
    CHECK_INT_EQ(l.count, 1);
    links_free(&l);
}

TEST(broken_html_still_yields_links)
{
    page_links l = extract("<html><head><title>broken</head><body><div><p>unclosed <b>bold"
                           "<a href=\"/c.html\">c<a href='/e.html'>e</a><table><tr><td>"
                           "<a href=/a.html>a</a><p <a href=\"/t.html\">x</a>",
                           "http://h/");
    CHECK(has(&l, "http://h/c.html"));
    CHECK(has(&l, "http://h/e.html"));
    CHECK(has(&l, "http://h/a.html"));
    links_free(&l);
    l = extract("", "http://h/");
    CHECK_INT_EQ(l.count, 0);
    links_free(&l);
    const char binary[] = "\x00\x01\x02<a href='/x'>\xff\xfe";
    CHECK_INT_EQ(links_extract(binary, sizeof binary, "http://h/", NULL, "c", &l), 0);
    links_free(&l);
}

TEST(declared_charset)
{
    page_links l = extract("<html><head><meta charset='ISO-8859-1'></head></html>", "http://h/");
    CHECK_STR_EQ(l.charset, "ISO-8859-1");
    links_free(&l);
    l = extract(
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"
        "</head></html>",
        "http://h/");
    CHECK_STR_EQ(l.charset, "windows-1252");
    links_free(&l);
}

TEST(sitemaps_and_indexes)
{
    const char *urlset =
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        "<url><loc> http://h/a </loc><lastmod>2020</lastmod></url>"
        "<url><loc>http://h/b</loc></url></urlset>";
    sitemap_urls s;
    CHECK_INT_EQ(sitemap_parse(urlset, strlen(urlset), &s), 0);
    CHECK_INT_EQ(s.is_index, 0);
    CHECK_INT_EQ(s.count, 2);
    if (s.count == 2) {
        CHECK_STR_EQ(s.locs[0], "http://h/a");
        CHECK_STR_EQ(s.locs[1], "http://h/b");
    }
    sitemap_free(&s);
    const char *index = "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                        "<sitemap><loc>http://h/s1.xml</loc></sitemap></sitemapindex>";
    CHECK_INT_EQ(sitemap_parse(index, strlen(index), &s), 0);
    CHECK_INT_EQ(s.is_index, 1);
    CHECK_INT_EQ(s.count, 1);
    sitemap_free(&s);
    const char *html = "<html><body>not a sitemap</body></html>";
    CHECK_INT_EQ(sitemap_parse(html, strlen(html), &s), -1);
    CHECK_INT_EQ(sitemap_parse("", 0, &s), -1);
    /* An external entity is not fetched (network off, no entity expansion). */
    const char *xxe = "<?xml version='1.0'?><!DOCTYPE u [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
                      "<urlset><url><loc>http://h/&e;</loc></url></urlset>";
    if (sitemap_parse(xxe, strlen(xxe), &s) == 0) {
        for (size_t i = 0; i < s.count; i++)
            CHECK(strstr(s.locs[i], "root:") == NULL);
        sitemap_free(&s);
    }
}

int main(void)
{
    RUN(anchors_areas_frames_resolved_and_deduplicated);
    RUN(base_href_changes_resolution);
    RUN(nofollow_noindex_and_rel);
    RUN(broken_html_still_yields_links);
    RUN(declared_charset);
    RUN(sitemaps_and_indexes);
    return check_summary();
}
