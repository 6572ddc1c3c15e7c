/* robots.c — RFC 9309 robots.txt: groups, rules, longest match, Crawl-delay, Sitemap.
 * Groups naming our product token are merged, else the "*" groups are; a rule's weight is its
 * pattern's length in bytes, and Allow wins a tie. No fetching here (crawl.c fetches and
 * caches per host). Tests: tests/crawler/test_robots.c. */
#include "robots.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "url.h"

void robots_init_allow_all(robots *r)
{
    memset(r, 0, sizeof *r);
    r->crawl_delay_s = -1;
}

void robots_init_disallow_all(robots *r)
{
    robots_init_allow_all(r);
    r->disallow_all = 1;
}

void robots_free(robots *r)
{
    for (size_t i = 0; i < r->rule_count; i++)
        free(r->rules[i].pattern);
    free(r->rules);
    for (size_t i = 0; i < r->sitemap_count; i++)
        free(r->sitemaps[i]);
    free(r->sitemaps);
    robots_init_allow_all(r);
}

/* A rule list being collected for one kind of group (ours or "*"). */
typedef struct rule_list {
    robots_rule *rules;
    size_t count, cap;
    double crawl_delay_s;
    int seen; /* a group for this agent exists, even without rules */
} rule_list;

static int rule_add(rule_list *l, const char *value, size_t len, int allow)
{
    if (cr_grow(&l->rules, &l->cap, l->count + 1, sizeof *l->rules) < 0)
        return -1;
    char raw[URL_MAX], norm[URL_MAX];
    if (len >= sizeof raw)
        len = sizeof raw - 1;
    memcpy(raw, value, len);
    raw[len] = '\0';
    if (url_normalize_encoding(raw, norm, sizeof norm) < 0)
        return 0; /* a pattern too long to hold is skipped */
    char *copy = strdup(norm);
    if (!copy)
        return -1;
    l->rules[l->count].pattern = copy;
    l->rules[l->count].allow = allow;
    l->count++;
    return 0;
}

static void rule_list_free(rule_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->rules[i].pattern);
    free(l->rules);
}

/* The product token of a user-agent value: letters, '-' and '_' (RFC 9309 2.2.1). */
static int agent_matches(const char *value, size_t len, const char *agent)
{
    size_t token_len = 0;
    while (token_len < len && (isalpha((unsigned char)value[token_len]) ||
                               value[token_len] == '-' || value[token_len] == '_'))
        token_len++;
    return token_len > 0 && token_len == strlen(agent) && strncasecmp(value, agent, token_len) == 0;
}

int robots_parse(const char *text, size_t len, const char *agent, robots *out)
{
    robots_init_allow_all(out);
    if (len > ROBOTS_MAX_BYTES)
        len = ROBOTS_MAX_BYTES;
    rule_list mine = {.crawl_delay_s = -1}, star = {.crawl_delay_s = -1};
    /* The current group targets: ours, "*", both or none. */
    int for_mine = 0, for_star = 0, in_agent_lines = 0;
    size_t sitemap_cap = 0;
    int failed = 0;

    const char *p = text, *end = text + len;
    /* A UTF-8 byte order mark is allowed at the start. */
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    while (p < end && !failed) {
        const char *line_end = p;
        while (line_end < end && *line_end != '\n' && *line_end != '\r')
            line_end++;
        const char *hash = memchr(p, '#', (size_t)(line_end - p));
        const char *content_end = hash ? hash : line_end;
        const char *colon = memchr(p, ':', (size_t)(content_end - p));
        if (colon) {
            const char *key = p, *key_end = colon;
            while (key < key_end && isspace((unsigned char)*key))
                key++;
            while (key_end > key && isspace((unsigned char)key_end[-1]))
                key_end--;
            const char *value = colon + 1, *value_end = content_end;
            while (value < value_end && isspace((unsigned char)*value))
                value++;
            while (value_end > value && isspace((unsigned char)value_end[-1]))
                value_end--;
            size_t key_len = (size_t)(key_end - key), value_len = (size_t)(value_end - value);
#define KEY_IS(name) (key_len == strlen(name) && strncasecmp(key, name, key_len) == 0)
            if (KEY_IS("user-agent")) {
                if (!in_agent_lines) {
                    for_mine = for_star = 0;
                    in_agent_lines = 1;
                }
                if (value_len == 1 && value[0] == '*') {
                    for_star = 1;
                    star.seen = 1;
                } else if (agent_matches(value, value_len, agent)) {
                    for_mine = 1;
                    mine.seen = 1;
                }
            } else if (KEY_IS("allow") || KEY_IS("disallow")) {
                in_agent_lines = 0;
                int allow = KEY_IS("allow");
                /* An empty Disallow allows everything: no rule needed. */
                if (value_len > 0) {
                    if (for_mine && rule_add(&mine, value, value_len, allow) < 0)
                        failed = 1;
                    if (for_star && rule_add(&star, value, value_len, allow) < 0)
                        failed = 1;
                }
            } else if (KEY_IS("crawl-delay")) {
                in_agent_lines = 0;
                char number[32];
                if (value_len > 0 && value_len < sizeof number) {
                    memcpy(number, value, value_len);
                    number[value_len] = '\0';
                    char *num_end;
                    double delay = strtod(number, &num_end);
                    if (num_end != number && *num_end == '\0' && delay >= 0 && delay < 86400) {
                        if (for_mine)
                            mine.crawl_delay_s = delay;
                        if (for_star)
                            star.crawl_delay_s = delay;
                    }
                }
            } else if (KEY_IS("sitemap")) {
                /* Not part of any group (RFC 9309 2.3.5). */
                if (value_len > 0) {
                    if (cr_grow(&out->sitemaps, &sitemap_cap, out->sitemap_count + 1,
                                sizeof *out->sitemaps) < 0) {
                        failed = 1;
                        break;
                    }
                    char *copy = strndup(value, value_len);
                    if (!copy) {
                        failed = 1;
                        break;
                    }
                    out->sitemaps[out->sitemap_count++] = copy;
                }
            } else if (key_len > 0) {
                in_agent_lines = 0; /* an unknown key still ends the user-agent lines */
            }
#undef KEY_IS
        }
        p = line_end;
        while (p < end && (*p == '\n' || *p == '\r'))
            p++;
    }
    rule_list *chosen = mine.seen ? &mine : &star;
    rule_list *other = mine.seen ? &star : &mine;
    out->rules = chosen->rules;
    out->rule_count = chosen->count;
    out->crawl_delay_s = chosen->crawl_delay_s;
    chosen->rules = NULL;
    chosen->count = 0;
    rule_list_free(other);
    if (failed) {
        robots_free(out);
        return -1;
    }
    return 0;
}

/* Does pattern match a prefix of path (or the whole of it with a final '$')? '*' matches any
 * run of bytes. Iterative, with one backtrack point per '*', like a glob. */
static int pattern_matches(const char *pattern, const char *path)
{
    const char *p = pattern, *s = path;
    const char *star_p = NULL, *star_s = NULL;
    for (;;) {
        if (*p == '\0')
            return 1; /* prefix match */
        if (*p == '$' && p[1] == '\0') {
            if (*s == '\0')
                return 1;
        } else if (*p == '*') {
            star_p = ++p;
            star_s = s;
            continue;
        } else if (*s != '\0' && *p == *s) {
            p++;
            s++;
            continue;
        }
        if (!star_p || *star_s == '\0')
            return 0;
        p = star_p;
        s = ++star_s;
    }
}

int robots_allowed(const robots *r, const char *path_query)
{
    if (strcmp(path_query, "/robots.txt") == 0)
        return 1;
    if (r->disallow_all)
        return 0;
    size_t best_len = 0;
    int best_allow = 1, matched = 0;
    for (size_t i = 0; i < r->rule_count; i++) {
        const robots_rule *rule = &r->rules[i];
        if (!pattern_matches(rule->pattern, path_query))
            continue;
        size_t len = strlen(rule->pattern);
        if (!matched || len > best_len || (len == best_len && rule->allow && !best_allow)) {
            matched = 1;
            best_len = len;
            best_allow = rule->allow;
        }
    }
    return best_allow;
}
