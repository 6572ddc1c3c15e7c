/* url.h — RFC 3986 URL resolution and normalisation for http and https, so that one page has
 * one spelling and is fetched once. Pure string work: no I/O, no DNS, no IDN conversion (a
 * non-ASCII host is percent-encoded as bytes). The crawl scope that uses these parts is in
 * scope.c. */
#ifndef CRAWLER_URL_H
#define CRAWLER_URL_H

#include <stddef.h>

#define URL_MAX 4096

/* Parts of an absolute URL after normalisation; each points into a buffer of its own. */
typedef struct url_parts {
    char scheme[8];     /* "http" or "https" */
    char host[256];     /* lowercase, no trailing dot; IPv6 with its brackets */
    int port;           /* explicit port, or the scheme's default */
    char path[URL_MAX]; /* starts with '/', dot segments removed */
} url_parts;

/* Resolves ref against base (NULL or "" when ref must be absolute) and writes the normal form
 * into out: scheme and host lowercased, default port dropped, empty path made "/", dot
 * segments removed, percent-encoding normalised (hex uppercased, unreserved bytes decoded,
 * bytes that may not appear encoded), fragment dropped. Returns 0, or -1 when the result is
 * not an http(s) URL, has no host, or does not fit. */
int url_normalize(const char *base, const char *ref, char *out, size_t out_size);

/* Splits a normalised URL. Returns 0 or -1. */
int url_split(const char *url, url_parts *parts);

/* "scheme://host:port", the key of a host's politeness slot and robots.txt cache. */
int url_origin(const char *url, char *out, size_t out_size);

/* The path and query of a normalised URL ("/a/b?c"), for robots.txt matching. */
const char *url_path_query(const char *url);

/* Normalises the percent-encoding of a path-and-query text the way url_normalize does (for
 * robots.txt patterns, so that "/%7ejoe" matches "/~joe"). '*' and '$' are kept. */
int url_normalize_encoding(const char *text, char *out, size_t out_size);

#endif
