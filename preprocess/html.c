/* html.c — from a parsed page to its main text, in passes over libxml2's tree: flatten
 * pathological nesting, drop what is never text (script, style, hidden elements), find the main
 * region (<main>, role=main, a lone <article>, else a text-density score in the spirit of
 * jusText and Readability), drop the chrome inside it (nav, aside, footer, cookie banners, ...),
 * then lay the text out. It does not decode charsets (charset.c) nor normalise Unicode (text.c). */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "xmlarena.h"

/* ---- names ------------------------------------------------------------------------------- */

/* Never text: removed everywhere before anything else. */
static const char *const never_text[] = {
    "script", "style",  "noscript", "template", "svg",    "math",  "button", "input",
    "select", "option", "textarea", "iframe",   "object", "embed", "canvas", "video",
    "audio",  "map",    "dialog",   "link",     "meta",   "head",  NULL};

/* Navigation chrome by element name. */
static const char *const chrome_tags[] = {"nav", "aside", "footer", "form", "menu", NULL};

static const char *const chrome_roles[] = {
    "navigation", "banner",  "contentinfo", "complementary", "search", "menu",
    "menubar",    "toolbar", "dialog",      "alertdialog",   "alert",  NULL};

/* Class or id words that name chrome: found anywhere in the value ("sphinxsidebar")... */
static const char *const chrome_substrings[] = {"sidebar",    "cookie",  "breadcrumb", "navbar",
                                                "navigation", "consent", "newsletter", "masthead",
                                                "pagination", "footer",  "menu",       NULL};
/* ...or only as a whole word ("nav", not "canvas"). */
static const char *const chrome_words[] = {
    "nav",   "banner",  "share",  "sharing",    "social",    "advert",    "ads",
    "ad",    "sponsor", "promo",  "popup",      "modal",     "subscribe", "related",
    "skip",  "toolbar", "pager",  "comments",   "comment",   "widget",    "signup",
    "login", "gdpr",    "header", "headerlink", "permalink", NULL};

static const char *const paragraph_blocks[] = {
    "p",       "h1",      "h2",      "h3",     "h4",         "h5",         "h6",
    "ul",      "ol",      "dl",      "table",  "blockquote", "div",        "section",
    "article", "main",    "header",  "footer", "figure",     "figcaption", "hr",
    "address", "details", "summary", "center", "fieldset",   "body",       "caption",
    "pre",     "nav",     "aside",   "form",   "legend",     "hgroup",     NULL};
static const char *const line_blocks[] = {"li", "tr", "td", "th", "dt", "dd", "option", NULL};

static const char *const sibling_blocks[] = {"p",  "ul", "ol", "blockquote", "pre", "table", "h1",
                                             "h2", "h3", "h4", "h5",         "h6",  NULL};

/* The lists above merged into one sorted table of flags, so that each element costs one binary
 * search instead of a strcmp per list entry (this was a tenth of the run time). */
enum {
    T_NEVER = 1,
    T_CHROME = 2,
    T_PARAGRAPH = 4,
    T_LINE = 8,
    T_SIBLING = 32,
    T_CODE = 64,
    T_LINK_LIST = 128
};
static const char *const code_tags[] = {"code", "kbd", "samp", "tt", NULL};
static const char *const link_list_tags[] = {"ul", "ol", "table", "dl", NULL};
typedef struct tag_entry {
    const char *name;
    unsigned flags;
} tag_entry;
static tag_entry tag_table[160];
static size_t tag_count;
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;

static int compare_tags(const void *a, const void *b)
{
    return strcmp(((const tag_entry *)a)->name, ((const tag_entry *)b)->name);
}

static void tag_add(const char *const *list, unsigned flag)
{
    for (; *list; list++) {
        size_t i = 0;
        while (i < tag_count && strcmp(tag_table[i].name, *list) != 0)
            i++;
        if (i == tag_count && tag_count < sizeof tag_table / sizeof tag_table[0])
            tag_table[tag_count++] = (tag_entry){*list, 0};
        if (i < tag_count)
            tag_table[i].flags |= flag;
    }
}

static const char *sorted_chrome_words[64];
static size_t chrome_word_count;

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void tag_table_init(void)
{
    tag_add(never_text, T_NEVER);
    tag_add(chrome_tags, T_CHROME);
    tag_add(paragraph_blocks, T_PARAGRAPH);
    tag_add(line_blocks, T_LINE);
    tag_add(sibling_blocks, T_SIBLING);
    tag_add(code_tags, T_CODE);
    tag_add(link_list_tags, T_LINK_LIST);
    qsort(tag_table, tag_count, sizeof tag_table[0], compare_tags);
    for (const char *const *w = chrome_words; *w && chrome_word_count < 64; w++)
        sorted_chrome_words[chrome_word_count++] = *w;
    qsort(sorted_chrome_words, chrome_word_count, sizeof sorted_chrome_words[0], compare_strings);
}

static unsigned tag_flags_lookup(const xmlChar *name)
{
    tag_entry key = {(const char *)name, 0};
    const tag_entry *found = bsearch(&key, tag_table, tag_count, sizeof tag_table[0], compare_tags);
    return found ? found->flags : 0;
}

/* Element names come from the parser's dictionary: one pointer per name in a page. A small
 * cache by pointer saves the binary search (strcmp) for every element of every pass; it is
 * emptied for each page (tag_cache_clear), since another page's dictionary may reuse the
 * addresses. */
#define TAG_CACHE_SIZE 128
typedef struct tag_cache_entry {
    const xmlChar *name;
    unsigned flags;
} tag_cache_entry;
static _Thread_local tag_cache_entry tag_cache[TAG_CACHE_SIZE];

static void tag_cache_clear(void)
{
    memset(tag_cache, 0, sizeof tag_cache);
}

static unsigned tag_flags(const xmlChar *name)
{
    size_t slot = ((uintptr_t)name >> 4) % TAG_CACHE_SIZE;
    tag_cache_entry *e = &tag_cache[slot];
    if (e->name == name)
        return e->flags;
    unsigned flags = tag_flags_lookup(name);
    e->name = name;
    e->flags = flags;
    return flags;
}

static int is_element(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && node->name[0] == (xmlChar)name[0] &&
           strcmp((const char *)node->name, name) == 0;
}

/* The value of an attribute, without copying (NULL when absent). */
static const char *attr(xmlNodePtr node, const char *name)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        if (a->name && strcasecmp((const char *)a->name, name) == 0) {
            if (a->children && a->children->content)
                return (const char *)a->children->content;
            return "";
        }
    }
    return NULL;
}

static int has_substring_ci(const char *haystack, const char *needle)
{
    return strcasestr(haystack, needle) != NULL;
}

static int is_chrome_word(const char *word)
{
    return bsearch(&word, sorted_chrome_words, chrome_word_count, sizeof sorted_chrome_words[0],
                   compare_strings) != NULL;
}

/* A class or id names chrome when one of its words (runs of letters and digits, lower-cased)
 * contains a chrome substring or is a chrome word. */
static int value_names_chrome(const char *value, int allow_header)
{
    if (!value || !*value)
        return 0;
    const char *p = value;
    while (*p) {
        char word[64];
        size_t n = 0;
        while (*p &&
               !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            p++;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
            if (n + 1 < sizeof word)
                word[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            p++;
        }
        word[n] = '\0';
        if (n < 2)
            continue;
        if (is_chrome_word(word) && (allow_header || strcmp(word, "header") != 0))
            return 1;
        if (n < 4)
            continue;
        for (const char *const *s = chrome_substrings; *s; s++)
            if (strstr(word, *s))
                return 1;
    }
    return 0;
}

/* hidden, aria-hidden=true, or display:none / visibility:hidden in style: one walk over the
 * attributes (this runs for every element of every page). */
static int is_hidden(xmlNodePtr node)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        if (!name)
            continue;
        char first = name[0] | 0x20;
        if (first != 'h' && first != 'a' && first != 's')
            continue;
        const char *value =
            a->children && a->children->content ? (const char *)a->children->content : "";
        if (first == 'h' && strcasecmp(name, "hidden") == 0)
            return 1;
        if (first == 'a' && strcasecmp(name, "aria-hidden") == 0 && strcasecmp(value, "true") == 0)
            return 1;
        if (first == 's' && strcasecmp(name, "style") == 0) {
            char compact[256];
            size_t n = 0;
            for (const char *p = value; *p && n + 1 < sizeof compact; p++)
                if (*p != ' ' && *p != '\t' && *p != '\n')
                    compact[n++] = *p;
            compact[n] = '\0';
            if (has_substring_ci(compact, "display:none") ||
                has_substring_ci(compact, "visibility:hidden"))
                return 1;
        }
    }
    return 0;
}

/* ---- pass 0: depth ---------------------------------------------------------------------- */

/* The passes below recurse; a page of 100,000 unclosed <div>s would overflow the stack. Below
 * MAX_DEPTH an element's subtree is replaced by its text (a pathological page loses its layout
 * there, not its words). This walk itself is iterative. */
#define MAX_DEPTH 400

static void flatten_deep(xmlDocPtr doc, xmlNodePtr root)
{
    xmlNodePtr node = root;
    int depth = 0;
    while (node) {
        if (node->type == XML_ELEMENT_NODE && node->children) {
            if (depth < MAX_DEPTH) {
                node = node->children;
                depth++;
                continue;
            }
            xmlChar *text = xmlNodeGetContent(node);
            xmlFreeNodeList(node->children);
            node->children = node->last = NULL;
            if (text) {
                xmlNodePtr child = xmlNewDocText(doc, text);
                if (child)
                    xmlAddChild(node, child);
                xmlFree(text);
            }
        }
        while (node != root && !node->next) {
            node = node->parent;
            depth--;
        }
        if (node == root)
            break;
        node = node->next;
    }
}

/* The parse, with the deepest element depth noted on the way (from the parser's own stack of
 * open elements, which the tree follows), so that flatten_deep's walk is skipped on the pages
 * that cannot need it: nearly all of them. */
typedef struct depth_probe {
    startElementSAXFunc start;
    int max_depth;
} depth_probe;
static _Thread_local depth_probe probe;

static void probe_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    if (ctxt->nameNr > probe.max_depth)
        probe.max_depth = ctxt->nameNr;
    probe.start(ctx, name, atts);
}

static htmlDocPtr parse_page(const char *utf8, int len, const char *url, int options,
                             int *max_depth)
{
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    htmlDocPtr doc;
    if (ctxt->sax && ctxt->sax->startElement && ctxt->userData == ctxt) {
        probe.start = ctxt->sax->startElement;
        probe.max_depth = 0;
        ctxt->sax->startElement = probe_start; /* this context's own copy of the handlers */
        doc = htmlCtxtReadMemory(ctxt, utf8, len, url, "UTF-8", options);
        *max_depth = probe.max_depth;
    } else {
        doc = htmlCtxtReadMemory(ctxt, utf8, len, url, "UTF-8", options);
        *max_depth = MAX_DEPTH; /* unknown: walk */
    }
    htmlFreeParserCtxt(ctxt);
    return doc;
}

/* ---- pass 1: what is never text ---------------------------------------------------------- */

static void drop_never_text(xmlNodePtr node)
{
    xmlNodePtr child = node->children;
    while (child) {
        xmlNodePtr next = child->next;
        if (child->type == XML_COMMENT_NODE || child->type == XML_PI_NODE ||
            (child->type == XML_ELEMENT_NODE &&
             ((tag_flags(child->name) & T_NEVER) || is_hidden(child)))) {
            xmlUnlinkNode(child);
            xmlFreeNode(child);
        } else if (child->type == XML_ELEMENT_NODE) {
            drop_never_text(child);
        }
        child = next;
    }
}

/* ---- text measures ----------------------------------------------------------------------- */

/* Per element figures, reached through node->_private (an index + 1 into the table). */
typedef struct node_info {
    xmlNodePtr node;
    size_t text;   /* non-blank bytes of text below */
    size_t link;   /* of which inside <a> */
    size_t direct; /* in text children of the element itself */
    size_t commas;
    size_t good;       /* good text directly in this element (density mode) */
    size_t good_total; /* good text below it */
    double score;
    int scored;
} node_info;

typedef struct info_table {
    node_info *rows;
    size_t count, cap;
} info_table;

static node_info *info_of(info_table *t, xmlNodePtr node)
{
    uintptr_t index = (uintptr_t)node->_private;
    return index ? &t->rows[index - 1] : NULL;
}

static size_t count_non_blank(const xmlChar *s, size_t *commas)
{
    size_t n = 0;
    for (const unsigned char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f')
            continue;
        if (*p == ',')
            (*commas)++;
        else if (p[0] == 0xE3 && p[1] == 0x80 && (p[2] == 0x81 || p[2] == 0x82)) /* 、。 */
            (*commas)++;
        n++;
    }
    return n;
}

/* Post-order walk filling the table; returns the element's row index + 1 (0 on failure). */
static int measure(info_table *t, xmlNodePtr node, int in_link)
{
    if (cr_grow(&t->rows, &t->cap, t->count + 1, sizeof *t->rows) < 0)
        return -1;
    size_t index = t->count++;
    memset(&t->rows[index], 0, sizeof t->rows[index]);
    t->rows[index].node = node;
    node->_private = (void *)(uintptr_t)(index + 1);
    int link = in_link || is_element(node, "a");
    size_t text = 0, linked = 0, direct = 0, commas = 0;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            size_t n = c->content ? count_non_blank(c->content, &commas) : 0;
            text += n;
            direct += n;
            if (link)
                linked += n;
        } else if (c->type == XML_ELEMENT_NODE) {
            if (measure(t, c, link) < 0)
                return -1;
            node_info *ci = info_of(t, c);
            text += ci->text;
            linked += ci->link;
            commas += ci->commas;
        }
    }
    node_info *row = &t->rows[index];
    row->text = text;
    row->link = linked;
    row->direct = direct;
    row->commas = commas;
    return 0;
}

static void forget_measures(xmlNodePtr node)
{
    node->_private = NULL;
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            forget_measures(c);
}

static double link_density(const node_info *row)
{
    return row->text ? (double)row->link / (double)row->text : 0.0;
}

/* ---- pass 2: the main region ------------------------------------------------------------- */

static xmlNodePtr find_first(xmlNodePtr node, int (*match)(xmlNodePtr))
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (match(c))
            return c;
        xmlNodePtr found = find_first(c, match);
        if (found)
            return found;
    }
    return NULL;
}

static int match_main(xmlNodePtr n)
{
    return is_element(n, "main");
}
static int match_role_main(xmlNodePtr n)
{
    const char *role = attr(n, "role");
    return role && strcasecmp(role, "main") == 0;
}
static int match_title(xmlNodePtr n)
{
    return is_element(n, "title");
}
static int match_h1(xmlNodePtr n)
{
    return is_element(n, "h1");
}
static int match_body(xmlNodePtr n)
{
    return is_element(n, "body");
}

/* The first <main> and the first [role=main] in one walk (a page without <main> would
 * otherwise be walked twice). The walk stops once a <main> is found: it wins anyway. */
static int find_mains(xmlNodePtr node, xmlNodePtr *main_element, xmlNodePtr *role_main)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (match_main(c)) {
            *main_element = c;
            return 1;
        }
        if (!*role_main && match_role_main(c))
            *role_main = c;
        if (find_mains(c, main_element, role_main))
            return 1;
    }
    return 0;
}

static void collect_articles(xmlNodePtr node, xmlNodePtr *found, size_t *count, size_t cap)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_element(c, "article")) {
            if (*count < cap)
                found[*count] = c;
            (*count)++;
            continue; /* nested articles (comments) belong to their article */
        }
        collect_articles(c, found, count, cap);
    }
}

/* ---- pass 3: chrome ---------------------------------------------------------------------- */

static int inside_article(xmlNodePtr node, xmlNodePtr stop)
{
    for (xmlNodePtr p = node->parent; p && p != stop; p = p->parent)
        if (is_element(p, "article") || is_element(p, "main"))
            return 1;
    return stop && (is_element(stop, "article") || is_element(stop, "main"));
}

static int is_chrome(xmlNodePtr node, xmlNodePtr root, int use_ids)
{
    if (tag_flags(node->name) & T_CHROME)
        return 1;
    if (is_element(node, "header") && !inside_article(node, root))
        return 1;
    const char *role = attr(node, "role");
    if (role) {
        for (const char *const *r = chrome_roles; *r; r++)
            if (strcasecmp(role, *r) == 0)
                return 1;
    }
    int allow_header = !inside_article(node, root);
    if (value_names_chrome(attr(node, "class"), allow_header))
        return 1;
    if (use_ids && value_names_chrome(attr(node, "id"), allow_header))
        return 1;
    return 0;
}

/* Removes chrome below root. A "chrome" element holding more than half of root's text is a
 * page wrapper with an unlucky class (ASP.NET's page-wide <form>, "has-sidebar"), so it stays. */
static void drop_chrome(info_table *t, xmlNodePtr node, xmlNodePtr root, size_t root_text,
                        int use_ids)
{
    xmlNodePtr child = node->children;
    while (child) {
        xmlNodePtr next = child->next;
        if (child->type == XML_ELEMENT_NODE) {
            node_info *row = info_of(t, child);
            int wrapper = row && root_text > 0 && row->text * 2 > root_text;
            if (!wrapper && is_chrome(child, root, use_ids)) {
                xmlUnlinkNode(child);
                xmlFreeNode(child);
            } else if (!is_element(child, "pre") && !is_element(child, "code")) {
                /* (inside code, classes are syntax colours, never chrome) */
                drop_chrome(t, child, root, root_text, use_ids);
            }
        }
        child = next;
    }
}

/* ---- pass 2b: text density, when the page does not mark its main region ------------------- */

/* Text density, in the spirit of jusText: a block (p, li, td, div, ...) with 25+ bytes of text
 * and at most half of it in links is good; each element's value is the good, unlinked text
 * below it, times (1 - its link density). The pick is the smallest element holding at least
 * 90% of the best value: big enough to hold all of the article (its sections, lists, code),
 * small enough to leave out what surrounds it. */
static void mark_good(info_table *t, xmlNodePtr node, int block_good, int in_link)
{
    node_info *row = info_of(t, node);
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            if (block_good && !in_link && row) {
                size_t commas = 0;
                row->good += count_non_blank(c->content, &commas);
            }
        } else if (c->type == XML_ELEMENT_NODE) {
            node_info *crow = info_of(t, c);
            if (!crow)
                continue;
            int good = block_good;
            unsigned flags = tag_flags(c->name);
            if (flags & (T_PARAGRAPH | T_LINE)) {
                int heading =
                    c->name[0] == 'h' && c->name[1] >= '1' && c->name[1] <= '6' && !c->name[2];
                good = (crow->text >= 25 || heading) && link_density(crow) <= 0.5;
            }
            mark_good(t, c, good, in_link || is_element(c, "a"));
        }
    }
}

static xmlNodePtr density_pick(info_table *t, xmlNodePtr body)
{
    mark_good(t, body, 0, 0);
    for (size_t i = 0; i < t->count; i++)
        t->rows[i].good_total = t->rows[i].good;
    /* rows are in document (pre-)order: a row's descendants come after it, so summing from the
     * end adds every subtree into its parent before the parent is added to its own */
    for (size_t i = t->count; i-- > 1;) {
        node_info *row = &t->rows[i];
        node_info *parent = row->node->parent ? info_of(t, row->node->parent) : NULL;
        if (parent)
            parent->good_total += row->good_total;
    }
    double best_value = 0;
    for (size_t i = 0; i < t->count; i++) {
        node_info *row = &t->rows[i];
        row->score = (double)row->good_total * (1.0 - link_density(row));
        row->scored = row->score > 0;
        if (row->score > best_value)
            best_value = row->score;
    }
    node_info *best = NULL;
    for (size_t i = 0; i < t->count; i++) {
        node_info *row = &t->rows[i];
        if (row->scored && row->score >= 0.9 * best_value && (!best || row->text < best->text))
            best = row;
    }
    return best ? best->node : NULL;
}

/* The siblings of best that carry text too (after Readability): a scored sibling within a
 * fifth of the best score, or a paragraph, list, quote or heading with few links (broken
 * markup often pushes the end of an article out of its container). */
static int sibling_belongs(info_table *t, xmlNodePtr sibling, double threshold)
{
    node_info *row = info_of(t, sibling);
    if (!row)
        return 0;
    if (row->scored && row->score >= threshold)
        return 1;
    if ((tag_flags(sibling->name) & T_SIBLING) && row->text > 0 && link_density(row) < 0.25) {
        int short_ok =
            (sibling->name[0] == 'h' && sibling->name[1] >= '1' && sibling->name[1] <= '6') ||
            is_element(sibling, "ul") || is_element(sibling, "ol");
        return short_ok || row->text >= 25;
    }
    return 0;
}

/* ---- pass 4: layout ---------------------------------------------------------------------- */

typedef struct layout {
    cr_buf *out;
    int pending_break; /* 0 none, 1 newline, 2 blank line */
    int pending_space;
    int drop_link_lists; /* density mode: lists and tables that are mostly links are chrome */
    info_table *table;
} layout;

static void request_break(layout *l, int level)
{
    if (level > l->pending_break)
        l->pending_break = level;
    l->pending_space = 0;
}

static void flush_pending(layout *l)
{
    if (l->out->len > 0) {
        if (l->pending_break == 2)
            cr_buf_puts(l->out, "\n\n");
        else if (l->pending_break == 1)
            cr_buf_putc(l->out, '\n');
        else if (l->pending_space)
            cr_buf_putc(l->out, ' ');
    }
    l->pending_break = 0;
    l->pending_space = 0;
}

/* Prose text: runs of blanks (NBSP included) become one space. */
static void put_prose(layout *l, const xmlChar *text)
{
    const unsigned char *p = text;
    while (*p) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f') {
            l->pending_space = 1;
            p++;
            continue;
        }
        if (p[0] == 0xC2 && p[1] == 0xA0) {
            l->pending_space = 1;
            p += 2;
            continue;
        }
        const unsigned char *start = p;
        while (*p && !(*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f') &&
               !(p[0] == 0xC2 && p[1] == 0xA0))
            p++;
        flush_pending(l);
        cr_buf_append(l->out, start, (size_t)(p - start));
    }
}

static void raw_text(xmlNodePtr node, cr_buf *out)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            cr_buf_puts(out, (const char *)c->content);
        else if (c->type == XML_ELEMENT_NODE && is_element(c, "br"))
            cr_buf_putc(out, '\n');
        else if (c->type == XML_ELEMENT_NODE)
            raw_text(c, out);
    }
}

/* A <pre> (or a <code> that spans lines): its text as written, as its own paragraph. */
static void put_verbatim_block(layout *l, xmlNodePtr node)
{
    cr_buf code;
    cr_buf_init(&code);
    raw_text(node, &code);
    const char *start = code.data ? code.data : "";
    size_t len = code.len;
    if (len && start[0] == '\n') { /* HTML drops the newline right after <pre> */
        start++;
        len--;
    }
    while (len && (start[len - 1] == '\n' || start[len - 1] == ' ' || start[len - 1] == '\t' ||
                   start[len - 1] == '\r'))
        len--;
    size_t blank = 0;
    while (blank < len && (start[blank] == ' ' || start[blank] == '\n' || start[blank] == '\t'))
        blank++;
    if (blank < len) {
        request_break(l, 2);
        flush_pending(l);
        cr_buf_append(l->out, start, len);
        request_break(l, 2);
    }
    cr_buf_free(&code);
}

static void lay_out(layout *l, xmlNodePtr node);

static void lay_out_element(layout *l, xmlNodePtr node)
{
    const xmlChar *name = node->name;
    unsigned flags = tag_flags(name);
    if (name[0] == 'b' && name[1] == 'r' && !name[2]) {
        request_break(l, 1);
        return;
    }
    if (is_element(node, "pre")) {
        put_verbatim_block(l, node);
        return;
    }
    if (flags & T_CODE) {
        cr_buf code;
        cr_buf_init(&code);
        raw_text(node, &code);
        if (code.data && strchr(code.data, '\n')) {
            put_verbatim_block(l, node);
        } else if (code.len) {
            size_t k = 0;
            while (k < code.len && code.data[k] == ' ')
                k++;
            if (k < code.len) {
                flush_pending(l);
                cr_buf_append(l->out, code.data, code.len);
            }
        }
        cr_buf_free(&code);
        return;
    }
    if (is_element(node, "img"))
        return;
    if (l->drop_link_lists && (flags & T_LINK_LIST)) {
        node_info *row = info_of(l->table, node);
        if (row && row->text > 0 && link_density(row) > 0.6)
            return;
    }
    int level = flags & T_PARAGRAPH ? 2 : flags & T_LINE ? 1 : 0;
    if (level)
        request_break(l, level);
    lay_out(l, node);
    if (level)
        request_break(l, level);
}

static void lay_out(layout *l, xmlNodePtr node)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            put_prose(l, c->content);
        else if (c->type == XML_ELEMENT_NODE)
            lay_out_element(l, c);
    }
}

/* ---- the whole ----------------------------------------------------------------------------- */

void pp_html_init(void)
{
    pp_xml_arena_install(); /* before any other libxml2 call */
    xmlInitParser();
    pthread_once(&tag_once, tag_table_init);
}

static void collapse_into(const xmlChar *text, char *out, size_t out_size)
{
    cr_buf b;
    cr_buf_init(&b);
    layout l = {.out = &b};
    put_prose(&l, text);
    snprintf(out, out_size, "%s", b.data ? b.data : "");
    /* do not leave half a UTF-8 character at a cut */
    size_t n = strlen(out);
    if (n + 1 == out_size) {
        while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
            n--;
        out[n] = '\0';
    }
    cr_buf_free(&b);
}

static void find_title(xmlNodePtr root, pp_html_info *info)
{
    xmlNodePtr title = find_first(root, match_title);
    if (!title || !title->children)
        title = find_first(root, match_h1);
    if (!title)
        return;
    xmlChar *text = xmlNodeGetContent(title);
    if (text) {
        collapse_into(text, info->title, sizeof info->title);
        xmlFree(text);
    }
}

/* The tree's memory: with the arena, the dictionary alone needs freeing (it holds a mutex
 * from the heap); the nodes go with the arena. */
static void free_doc(htmlDocPtr doc, int in_arena)
{
    if (!in_arena) {
        xmlFreeDoc(doc);
    } else if (doc->dict) {
        xmlDictFree(doc->dict);
    }
}

static int extract_tree(const char *utf8, size_t len, const char *url, cr_buf *out,
                        pp_html_info *info, int in_arena, cr_err *err);

int pp_html_extract(const char *utf8, size_t len, const char *url, cr_buf *out, pp_html_info *info,
                    cr_err *err)
{
    int in_arena = pp_xml_arena_installed();
    if (in_arena)
        pp_xml_arena_begin();
    int code = extract_tree(utf8, len, url, out, info, in_arena, err);
    if (in_arena) {
        xmlResetLastError(); /* its message would outlive the arena */
        pp_xml_arena_end();
    }
    return code;
}

static int extract_tree(const char *utf8, size_t len, const char *url, cr_buf *out,
                        pp_html_info *info, int in_arena, cr_err *err)
{
    pthread_once(&tag_once, tag_table_init);
    tag_cache_clear();
    memset(info, 0, sizeof *info);
    info->method = "body";
    if (len > (size_t)INT32_MAX)
        return cr_fail(err, CR_EDATA, "page too large for the HTML parser (%zu bytes)", len);
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                  HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC |
                  XML_PARSE_HUGE;
    int max_depth = 0;
    htmlDocPtr doc = parse_page(utf8, (int)len, url, options, &max_depth);
    if (!doc)
        return cr_fail(err, CR_EDATA, "no HTML document could be parsed");
    xmlNodePtr html = xmlDocGetRootElement(doc);
    if (!html) {
        free_doc(doc, in_arena);
        return cr_fail(err, CR_EDATA, "no HTML document could be parsed");
    }
    if (max_depth >= MAX_DEPTH) /* (a walk of the whole tree: only when it can find work) */
        flatten_deep(doc, html);
    find_title(html, info);
    drop_never_text(html);

    xmlNodePtr body = is_element(html, "body") ? html : find_first(html, match_body);
    if (!body)
        body = html;
    xmlNodePtr root = NULL;
    xmlNodePtr first_main = NULL, first_role_main = NULL;
    find_mains(body, &first_main, &first_role_main);
    if ((root = first_main))
        info->method = "main";
    else if ((root = first_role_main))
        info->method = "role=main";
    else {
        xmlNodePtr articles[2];
        size_t article_count = 0;
        collect_articles(body, articles, &article_count, 2);
        if (article_count == 1) {
            root = articles[0];
            info->method = "article";
        }
    }

    info_table table = {0};
    int code = CR_OK;
    if (root) {
        /* A marked region with almost nothing in it (a <main> around a search box) is not
         * where the text is: fall back to the density score. */
        if (measure(&table, body, 0) < 0) {
            code = cr_fail(err, CR_EOTHER, "reading the page: out of memory");
        } else {
            node_info *root_row = info_of(&table, root), *body_row = info_of(&table, body);
            if (root_row->text < 200 && root_row->text * 10 < body_row->text) {
                root = NULL;
                info->method = "density";
            } else {
                drop_chrome(&table, root, root, root_row->text, 0);
            }
        }
    }
    layout l = {.out = out, .table = &table};
    if (code == CR_OK && root) {
        lay_out(&l, root);
    } else if (code == CR_OK) {
        forget_measures(body);
        table.count = 0;
        if (measure(&table, body, 0) < 0) {
            code = cr_fail(err, CR_EOTHER, "reading the page: out of memory");
        } else {
            drop_chrome(&table, body, body, info_of(&table, body)->text, 1);
            forget_measures(body);
            table.count = 0;
            if (measure(&table, body, 0) < 0)
                code = cr_fail(err, CR_EOTHER, "reading the page: out of memory");
        }
        if (code == CR_OK) {
            xmlNodePtr best = density_pick(&table, body);
            l.drop_link_lists = 1;
            if (!best || best == body) {
                info->method = "body";
                lay_out(&l, body);
            } else {
                info->method = "density";
                double threshold = info_of(&table, best)->score * 0.2;
                if (threshold < 10)
                    threshold = 10;
                xmlNodePtr parent = best->parent;
                for (xmlNodePtr s = parent->children; s; s = s->next) {
                    if (s->type != XML_ELEMENT_NODE)
                        continue;
                    if (s == best || sibling_belongs(&table, s, threshold)) {
                        request_break(&l, 2);
                        lay_out_element(&l, s);
                    }
                }
            }
        }
    }
    if (!in_arena) /* (in the arena the tree is dropped as a whole: nobody reads _private) */
        forget_measures(html);
    free(table.rows);
    free_doc(doc, in_arena);
    if (code == CR_OK && out->failed)
        code = cr_fail(err, CR_EOTHER, "reading the page: out of memory");
    return code;
}
