/* links.c — links, <base>, meta robots and declared charset of an HTML page (libxml2 HTML
 * parser, recovering from broken markup), and the <loc> entries of sitemaps (libxml2 XML
 * parser). Network access and entity expansion stay off for both. It does not decide scope or
 * depth (crawl.c) nor save anything (output.c). Tests: tests/crawler/test_links.c. */
#include "links.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "url.h"

/* Beyond this, a page is a link farm: the rest of its links are ignored. */
#define LINKS_MAX_PER_PAGE 5000

static int add_unique(char ***list, size_t *count, size_t *cap, const char *url)
{
    /* Pages hold tens to a few hundred links: a linear duplicate check is cheap enough and
     * keeps document order. */
    if (*count >= LINKS_MAX_PER_PAGE)
        return 0;
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*list)[i], url) == 0)
            return 0;
    if (cr_grow(list, cap, *count + 1, sizeof **list) < 0)
        return -1;
    char *copy = strdup(url);
    if (!copy)
        return -1;
    (*list)[(*count)++] = copy;
    return 0;
}

/* Does a space-separated token list (rel, meta content) contain word, without case? Commas
 * separate meta robots directives too. */
static int has_token(const char *list, const char *word)
{
    size_t word_len = strlen(word);
    const char *p = list;
    while (*p) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',')
            p++;
        if ((size_t)(p - start) == word_len && strncasecmp(start, word, word_len) == 0)
            return 1;
    }
    return 0;
}

static char *attr(xmlNode *node, const char *name)
{
    return (char *)xmlGetProp(node, (const xmlChar *)name);
}

static int name_is(xmlNode *node, const char *name)
{
    return node->name && strcasecmp((const char *)node->name, name) == 0;
}

/* First pass: <base href> and meta robots/charset, which change how links are read. */
static void scan_head(xmlNode *node, const char *agent, page_links *out, char *base,
                      size_t base_size, const char *page_url, int *base_found)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(node, "base") && !*base_found) {
            char *href = attr(node, "href");
            if (href && url_normalize(page_url, href, base, base_size) == 0)
                *base_found = 1;
            xmlFree(href);
        } else if (name_is(node, "meta")) {
            char *meta_name = attr(node, "name");
            char *content = attr(node, "content");
            char *charset = attr(node, "charset");
            char *equiv = attr(node, "http-equiv");
            if (meta_name && content &&
                (strcasecmp(meta_name, "robots") == 0 || strcasecmp(meta_name, agent) == 0)) {
                if (has_token(content, "noindex") || has_token(content, "none"))
                    out->noindex = 1;
                if (has_token(content, "nofollow") || has_token(content, "none"))
                    out->nofollow = 1;
            }
            if (charset && !out->charset[0]) {
                snprintf(out->charset, sizeof out->charset, "%s", charset);
            } else if (equiv && content && strcasecmp(equiv, "content-type") == 0 &&
                       !out->charset[0]) {
                const char *cs = strcasestr(content, "charset=");
                if (cs) {
                    cs += 8;
                    while (*cs == '"' || *cs == '\'' || *cs == ' ')
                        cs++;
                    size_t n = strcspn(cs, "\"'; ");
                    if (n >= sizeof out->charset)
                        n = sizeof out->charset - 1;
                    memcpy(out->charset, cs, n);
                    out->charset[n] = '\0';
                }
            }
            xmlFree(meta_name);
            xmlFree(content);
            xmlFree(charset);
            xmlFree(equiv);
        }
        scan_head(node->children, agent, out, base, base_size, page_url, base_found);
    }
}

static int collect_links(xmlNode *node, const char *base, page_links *out)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        const char *link_attr = NULL;
        if (name_is(node, "a") || name_is(node, "area"))
            link_attr = "href";
        else if (name_is(node, "frame") || name_is(node, "iframe"))
            link_attr = "src";
        if (link_attr) {
            char *value = attr(node, link_attr);
            char *rel = attr(node, "rel");
            if (value && !(rel && has_token(rel, "nofollow"))) {
                char url[URL_MAX];
                if (url_normalize(base, value, url, sizeof url) == 0 &&
                    add_unique(&out->urls, &out->count, &out->cap, url) < 0) {
                    xmlFree(value);
                    xmlFree(rel);
                    return -1;
                }
            }
            xmlFree(value);
            xmlFree(rel);
        }
        if (collect_links(node->children, base, out) < 0)
            return -1;
    }
    return 0;
}

int links_extract(const char *html, size_t len, const char *page_url, const char *charset_hint,
                  const char *agent, page_links *out)
{
    memset(out, 0, sizeof *out);
    if (len > (size_t)INT32_MAX)
        len = INT32_MAX;
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                  HTML_PARSE_NONET | HTML_PARSE_COMPACT;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, page_url,
                                    charset_hint && *charset_hint ? charset_hint : NULL, options);
    if (!doc && charset_hint && *charset_hint) /* an unknown charset name: let libxml2 guess */
        doc = htmlReadMemory(html, (int)len, page_url, NULL, options);
    if (!doc)
        return 0; /* nothing parseable (empty page): no links */
    xmlNode *root = xmlDocGetRootElement(doc);
    char base[URL_MAX];
    snprintf(base, sizeof base, "%s", page_url);
    int base_found = 0;
    scan_head(root, agent, out, base, sizeof base, page_url, &base_found);
    int rc = 0;
    if (!out->nofollow)
        rc = collect_links(root, base, out);
    xmlFreeDoc(doc);
    if (rc < 0) {
        links_free(out);
        return -1;
    }
    return 0;
}

void links_free(page_links *links)
{
    for (size_t i = 0; i < links->count; i++)
        free(links->urls[i]);
    free(links->urls);
    memset(links, 0, sizeof *links);
}

static void collect_locs(xmlNode *node, const char *parent, sitemap_urls *out, int *failed)
{
    for (; node && !*failed; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)node->name;
        if (strcmp(name, "loc") == 0 && parent &&
            strcmp(parent, out->is_index ? "sitemap" : "url") == 0) {
            xmlChar *text = xmlNodeGetContent(node);
            if (text) {
                char *start = (char *)text;
                while (isspace((unsigned char)*start))
                    start++;
                size_t n = strlen(start);
                while (n > 0 && isspace((unsigned char)start[n - 1]))
                    start[--n] = '\0';
                if (n > 0 && add_unique(&out->locs, &out->count, &out->cap, start) < 0)
                    *failed = 1;
                xmlFree(text);
            }
        } else {
            collect_locs(node->children, name, out, failed);
        }
    }
}

int sitemap_parse(const char *xml, size_t len, sitemap_urls *out)
{
    memset(out, 0, sizeof *out);
    if (len > (size_t)INT32_MAX)
        return -1;
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                      XML_PARSE_RECOVER);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    int rc = -1;
    if (root && (strcmp((const char *)root->name, "urlset") == 0 ||
                 strcmp((const char *)root->name, "sitemapindex") == 0)) {
        out->is_index = strcmp((const char *)root->name, "sitemapindex") == 0;
        int failed = 0;
        collect_locs(root->children, NULL, out, &failed);
        rc = failed ? -1 : 0;
    }
    xmlFreeDoc(doc);
    if (rc < 0)
        sitemap_free(out);
    return rc;
}

void sitemap_free(sitemap_urls *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->locs[i]);
    free(s->locs);
    memset(s, 0, sizeof *s);
}
