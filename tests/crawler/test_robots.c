/* test_robots.c — RFC 9309 parsing and matching (robots.c), including the RFC's own examples. */
#include <string.h>

#include "check.h"
#include "robots.h"

static robots parse(const char *text)
{
    robots r;
    if (robots_parse(text, strlen(text), "crystalline-crawler", &r) < 0)
        robots_init_disallow_all(&r);
    return r;
}

TEST(longest_match_wins_and_allow_wins_ties)
{
    robots r = parse("User-agent: *\nDisallow: /private/\nAllow: /private/public.html\n"
                     "Disallow: /x\nAllow: /x\n");
    CHECK(!robots_allowed(&r, "/private/secret.html"));
    CHECK(robots_allowed(&r, "/private/public.html"));
    CHECK(robots_allowed(&r, "/privateer"));
    CHECK(robots_allowed(&r, "/x/y")); /* equal length: allow */
    CHECK(robots_allowed(&r, "/robots.txt"));
    robots_free(&r);
}

TEST(wildcards_and_end_anchor)
{
    robots r = parse("user-agent: *\ndisallow: /*.php$\ndisallow: /wild*card\n"
                     "disallow: /fish*.gif$\nallow: /$\ndisallow: /\n");
    CHECK(robots_allowed(&r, "/")); /* "/$" is longer than "/" */
    CHECK(!robots_allowed(&r, "/page.php"));
    CHECK(!robots_allowed(&r, "/a/b/index.php"));
    CHECK(!robots_allowed(&r, "/page.php?x=1")); /* "/" still disallows */
    robots_free(&r);
    r = parse("User-agent: *\nDisallow: /*.php$\nDisallow: /wild*card\n");
    CHECK(robots_allowed(&r, "/page.php?x=1"));
    CHECK(robots_allowed(&r, "/page.phpx"));
    CHECK(!robots_allowed(&r, "/wildcard"));
    CHECK(!robots_allowed(&r, "/wild-and-free-card/x"));
    CHECK(robots_allowed(&r, "/wild"));
    robots_free(&r);
}

TEST(our_group_is_chosen_over_star)
{
    robots r = parse("User-agent: *\nDisallow: /\n\n"
                     "User-agent: Crystalline-Crawler\nUser-agent: other\nDisallow: /mine/\n"
                     "Crawl-delay: 0.5\n\nUser-agent: crystalline-crawler\nDisallow: /more/\n");
    CHECK(robots_allowed(&r, "/anything"));
    CHECK(!robots_allowed(&r, "/mine/x"));
    CHECK(!robots_allowed(&r, "/more/x")); /* groups for one agent are merged */
    CHECK_NEAR(r.crawl_delay_s, 0.5, 1e-9);
    robots_free(&r);
    /* A longer product token is not ours. */
    r = parse("User-agent: crystalline-crawler-pro\nDisallow: /\n");
    CHECK(robots_allowed(&r, "/x"));
    robots_free(&r);
}

TEST(comments_blank_lines_and_junk)
{
    robots r = parse("\xEF\xBB\xBF# hello\nUser-agent: * # everyone\n\nDisallow: /a # no a\r\n"
                     "Disallow:\nfoo bar baz\nCrawl-delay: abc\nSitemap: http://h/s.xml\n"
                     "Sitemap: /relative.xml\n");
    CHECK(!robots_allowed(&r, "/a/b"));
    CHECK(robots_allowed(&r, "/b"));
    CHECK(r.crawl_delay_s < 0);
    CHECK_INT_EQ(r.sitemap_count, 2);
    if (r.sitemap_count == 2) {
        CHECK_STR_EQ(r.sitemaps[0], "http://h/s.xml");
        CHECK_STR_EQ(r.sitemaps[1], "/relative.xml");
    }
    robots_free(&r);
}

TEST(percent_encoding_is_compared_normalised)
{
    robots r = parse("User-agent: *\nDisallow: /%7ejoe/\nDisallow: /caf\xc3\xa9\n");
    CHECK(!robots_allowed(&r, "/~joe/index.html"));
    CHECK(!robots_allowed(&r, "/caf%C3%A9/menu"));
    robots_free(&r);
}

TEST(empty_missing_and_unreachable)
{
    robots r = parse("");
    CHECK(robots_allowed(&r, "/x"));
    robots_free(&r);
    robots_init_disallow_all(&r);
    CHECK(!robots_allowed(&r, "/x"));
    CHECK(robots_allowed(&r, "/robots.txt"));
    robots_free(&r);
    /* RFC 9309 2.1: blank lines do not end a group, so consecutive user-agent lines share
     * the rules that follow them. */
    r = parse("User-agent: crystalline-crawler\n\nUser-agent: *\nDisallow: /\n");
    CHECK(!robots_allowed(&r, "/x"));
    robots_free(&r);
    /* Our group without rules wins over a star group that has some. */
    r = parse("User-agent: crystalline-crawler\nCrawl-delay: 1\n\nUser-agent: *\nDisallow: /\n");
    CHECK(robots_allowed(&r, "/x"));
    robots_free(&r);
}

TEST(huge_file_is_cut_not_refused)
{
    size_t len = ROBOTS_MAX_BYTES + 100000;
    char *text = malloc(len + 1);
    memset(text, '#', len);
    const char *rule = "User-agent: *\nDisallow: /early\n";
    memcpy(text, rule, strlen(rule));
    text[strlen(rule)] = '\n';
    const char *late = "\nDisallow: /late\n";
    memcpy(text + len - strlen(late), late, strlen(late));
    text[len] = '\0';
    robots r;
    CHECK_INT_EQ(robots_parse(text, len, "crystalline-crawler", &r), 0);
    CHECK(!robots_allowed(&r, "/early"));
    CHECK(robots_allowed(&r, "/late"));
    robots_free(&r);
    free(text);
}

int main(void)
{
    RUN(longest_match_wins_and_allow_wins_ties);
    RUN(wildcards_and_end_anchor);
    RUN(our_group_is_chosen_over_star);
    RUN(comments_blank_lines_and_junk);
    RUN(percent_encoding_is_compared_normalised);
    RUN(empty_missing_and_unreachable);
    RUN(huge_file_is_cut_not_refused);
    return check_summary();
}
