/* links.h — what the crawler needs from an HTML page: its outgoing links (resolved and
 * normalised), <base href>, meta robots (noindex, nofollow) and the charset it declares.
 * libxml2's HTML parser in recovery mode, so broken HTML still yields its links. Saving the
 * page is output.c's job; deciding which links to follow is crawl.c's. */
#ifndef CRAWLER_LINKS_H
#define CRAWLER_LINKS_H

#include <stddef.h>

typedef struct page_links {
    char **urls; /* normalised absolute http(s) URLs, duplicates removed, in document order */
    size_t count, cap;
    int noindex;      /* <meta name="robots" content="noindex"> (or our agent's name) */
    int nofollow;     /* the same with nofollow: no link is returned */
    char charset[64]; /* from <meta charset> or http-equiv Content-Type, "" when none */
} page_links;

/* Parses html (len bytes) fetched from page_url. charset_hint (may be NULL or "") is the
 * charset of the Content-Type header. agent is our product token for <meta name=AGENT>.
 * Returns 0, or -1 when out of memory. Links with rel="nofollow" are left out. */
int links_extract(const char *html, size_t len, const char *page_url, const char *charset_hint,
                  const char *agent, page_links *out);
void links_free(page_links *links);

/* Sitemaps (sitemaps.org 0.9): the <loc> of each <url> (is_index 0) or of each <sitemap>
 * (is_index 1), as written. libxml2's XML parser, network access off. */
typedef struct sitemap_urls {
    char **locs;
    size_t count, cap;
    int is_index;
} sitemap_urls;

/* Returns 0, or -1 when the document is not a sitemap (or out of memory). */
int sitemap_parse(const char *xml, size_t len, sitemap_urls *out);
void sitemap_free(sitemap_urls *s);

#endif
