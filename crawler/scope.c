/* scope.c — the crawl's boundary: seeds' hosts, domains, folders or a regular expression.
 * Hosts are compared without the port or scheme, so http and https of one host are one scope.
 * It does not look at robots.txt (robots.c) or depth (crawl.c). Tests: test_scope in
 * tests/crawler/test_url.c. */
#include "scope.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

void scope_domain_of(const char *host, char *out, size_t out_size)
{
    int is_ip = host[0] == '[';
    if (!is_ip) {
        is_ip = 1;
        for (const char *p = host; *p; p++)
            if (!isdigit((unsigned char)*p) && *p != '.')
                is_ip = 0;
    }
    const char *start = host;
    if (!is_ip) {
        const char *last = strrchr(host, '.');
        if (last) {
            const char *p = last;
            while (p > host && p[-1] != '.')
                p--;
            start = p;
        }
    }
    snprintf(out, out_size, "%s", start);
}

static int add_item(scope *s, const char *text)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->items[i], text) == 0)
            return 0;
    char **grown = realloc(s->items, (s->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    s->items = grown;
    if (!(s->items[s->count] = strdup(text)))
        return -1;
    s->count++;
    return 0;
}

int scope_init(scope *s, const char *spec, char *const *seeds, size_t seed_count, cr_err *err)
{
    memset(s, 0, sizeof *s);
    if (strcmp(spec, "host") == 0)
        s->mode = SCOPE_HOST;
    else if (strcmp(spec, "domain") == 0)
        s->mode = SCOPE_DOMAIN;
    else if (strcmp(spec, "prefix") == 0)
        s->mode = SCOPE_PREFIX;
    else {
        s->mode = SCOPE_REGEX;
        int rc = regcomp(&s->regex, spec, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[256];
            regerror(rc, &s->regex, why, sizeof why);
            return cr_fail(err, CR_EUSAGE, "--scope '%s': %s", spec, why);
        }
        s->regex_ready = 1;
        return CR_OK;
    }
    for (size_t i = 0; i < seed_count; i++) {
        url_parts parts;
        if (url_split(seeds[i], &parts) < 0)
            continue;
        char item[URL_MAX];
        if (s->mode == SCOPE_HOST) {
            snprintf(item, sizeof item, "%s", parts.host);
        } else if (s->mode == SCOPE_DOMAIN) {
            scope_domain_of(parts.host, item, sizeof item);
        } else {
            /* The seed's folder, query dropped: "http://h/a/b.html" -> "http://h/a/". */
            snprintf(item, sizeof item, "%s", seeds[i]);
            char *query = strchr(item + strlen(parts.scheme) + 3, '?');
            if (query)
                *query = '\0';
            char *slash = strrchr(item + strlen(parts.scheme) + 3, '/');
            if (slash)
                slash[1] = '\0';
        }
        if (add_item(s, item) < 0)
            return cr_fail(err, CR_EOTHER, "scope: out of memory");
    }
    return CR_OK;
}

int scope_allows(const scope *s, const char *url)
{
    if (s->mode == SCOPE_REGEX)
        return regexec(&s->regex, url, 0, NULL, 0) == 0;
    if (s->mode == SCOPE_PREFIX) {
        for (size_t i = 0; i < s->count; i++) {
            /* http and https of one folder are one scope. */
            const char *a = strstr(s->items[i], "://"), *b = strstr(url, "://");
            if (a && b && strncmp(b, a, strlen(a)) == 0)
                return 1;
        }
        return 0;
    }
    url_parts parts;
    if (url_split(url, &parts) < 0)
        return 0;
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(parts.host, s->items[i]) == 0)
            return 1;
        if (s->mode == SCOPE_DOMAIN) {
            size_t host_len = strlen(parts.host), item_len = strlen(s->items[i]);
            if (host_len > item_len && parts.host[host_len - item_len - 1] == '.' &&
                strcmp(parts.host + host_len - item_len, s->items[i]) == 0)
                return 1;
        }
    }
    return 0;
}

void scope_free(scope *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    if (s->regex_ready)
        regfree(&s->regex);
    memset(s, 0, sizeof *s);
}
