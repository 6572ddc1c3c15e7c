/* robots.h — robots.txt per RFC 9309: the group for our product token (or "*"), longest-match
 * Allow/Disallow with '*' and '$', Crawl-delay (an extension most crawlers honour) and the
 * Sitemap lines. Parsing and matching only; fetching and the per-host cache live in crawl.c. */
#ifndef CRAWLER_ROBOTS_H
#define CRAWLER_ROBOTS_H

#include <stddef.h>

typedef struct robots_rule {
    char *pattern; /* percent-encoding normalised, as URLs are */
    int allow;
} robots_rule;

typedef struct robots {
    robots_rule *rules;
    size_t rule_count;
    double crawl_delay_s; /* < 0 when the group gives none */
    char **sitemaps;      /* absolute URLs as written */
    size_t sitemap_count;
    int disallow_all; /* robots.txt unreachable (5xx, network): RFC 9309 2.3.1.4 */
} robots;

/* RFC 9309 asks parsers to read at least 500 KiB; the rest is ignored. */
#define ROBOTS_MAX_BYTES (512 * 1024)

/* Parses text for the product token agent (e.g. "crystalline-crawler", compared without case).
 * Returns 0, or -1 when out of memory. An empty text allows everything. */
int robots_parse(const char *text, size_t len, const char *agent, robots *out);
/* Everything allowed (robots.txt missing: 4xx) or disallowed (unreachable). */
void robots_init_allow_all(robots *r);
void robots_init_disallow_all(robots *r);
/* 1 when path_query ("/a/b?c", normalised) may be fetched. */
int robots_allowed(const robots *r, const char *path_query);
void robots_free(robots *r);

#endif
