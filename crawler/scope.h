/* scope.h — which URLs belong to the crawl: the seeds' hosts (default), their domains, the
 * folders of the seed URLs (like wget --no-parent), or a POSIX extended regular expression on
 * the normalised URL. Decided on the URL text alone; robots.txt is robots.c's business. */
#ifndef CRAWLER_SCOPE_H
#define CRAWLER_SCOPE_H

#include <regex.h>
#include <stddef.h>

#include "status.h"

enum scope_mode { SCOPE_HOST, SCOPE_DOMAIN, SCOPE_PREFIX, SCOPE_REGEX };

typedef struct scope {
    int mode;
    char **items; /* hosts, domains or prefixes, from the seeds */
    size_t count;
    regex_t regex;
    int regex_ready;
} scope;

/* spec: "host", "domain", "prefix", or a regular expression. seeds: normalised URLs.
 * CR_EUSAGE for a regular expression that does not compile. */
int scope_init(scope *s, const char *spec, char *const *seeds, size_t seed_count, cr_err *err);
int scope_allows(const scope *s, const char *url);
void scope_free(scope *s);

/* The domain of a host as this file reads it: the last two labels ("www.example.com" ->
 * "example.com"); an IP address or a one-label host is its own domain. No public-suffix list:
 * "a.co.uk" and "b.co.uk" share the domain "co.uk". */
void scope_domain_of(const char *host, char *out, size_t out_size);

#endif
