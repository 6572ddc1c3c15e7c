/* seeds.h — the crawl's starting URLs: from seed files (one URL a line, '#' comments, blank
 * lines) and from URLs given on the command line, normalised and deduplicated. Malformed
 * lines are reported and skipped; the caller decides what no valid seed means (exit 65). */
#ifndef CRAWLER_SEEDS_H
#define CRAWLER_SEEDS_H

#include <stddef.h>

#include "status.h"

typedef struct seed_list {
    char **urls;
    size_t count, cap;
    size_t rejected; /* lines that were not http(s) URLs */
} seed_list;

/* Adds a URL (text containing "://") or every URL of a file. A missing file is CR_ENOINPUT. */
int seeds_add(seed_list *seeds, const char *url_or_file, cr_err *err);
/* Adds the URLs of a text already in memory; name is used in warnings ("file:line"). */
int seeds_add_text(seed_list *seeds, const char *text, size_t len, const char *name, cr_err *err);
void seeds_free(seed_list *seeds);

#endif
