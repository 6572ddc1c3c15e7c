/* html.c — from a page to its main text. libxml2's HTML parser reads the page (its tokenizer
 * and its error recovery: implied and auto-closed elements), but no libxml2 tree is built: its
 * SAX events build a compact tree of our own, in document order, leaving out on the way what is
 * never text (script, style, hidden elements, comments). On that tree: find the main region
 * (<main>, role=main, a lone <article>, else a text-density score in the spirit of jusText and
 * Readability), drop the chrome inside it (nav, aside, footer, cookie banners, ...), then lay
 * the text out. The result is the text the tree-based extraction gave (same passes, same
 * rules); only the building is cheaper. It does not decode charsets (charset.c) nor normalise
 * Unicode (text.c). */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
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

/* chrome_substrings by their first letter, each list NULL-terminated */
static const char *substrings_by_letter[26][8];

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
    for (const char *const *sub = chrome_substrings; *sub; sub++) {
        const char **list = substrings_by_letter[(*sub)[0] - 'a'];
        size_t k = 0;
        while (k + 1 < 8 && list[k])
            k++;
        if (k + 1 < 8) /* (list[7] stays the terminator) */
            list[k] = *sub;
    }
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

static int has_substring_ci(const char *haystack, const char *needle)
{
    return strcasestr(haystack, needle) != NULL;
}

static int is_chrome_word(const char *word)
{
    return bsearch(&word, sorted_chrome_words, chrome_word_count, sizeof sorted_chrome_words[0],
                   compare_strings) != NULL;
}

/* strstr of each chrome substring in word, by the substrings that start with each letter of
 * the word (eleven strstr a word were a twentieth of the run time on class-heavy pages). */
static int has_chrome_substring(const char *word, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++) {
        unsigned char c = (unsigned char)word[i];
        if (c < 'a' || c > 'z')
            continue;
        for (const char *const *s = substrings_by_letter[c - 'a']; s && *s; s++) {
            size_t len = strlen(*s);
            if (len <= n - i && memcmp(word + i, *s, len) == 0)
                return 1;
        }
    }
    return 0;
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
        if (has_chrome_substring(word, n))
            return 1;
    }
    return 0;
}

/* ---- the page's tree ---------------------------------------------------------------------- */

/* One element or text of the page. Nodes sit in an array in document order (a node's subtree
 * is the range [node, end)), linked by index; node 0 is the document, so index 0 also means
 * "none". Names come from the parser's dictionary, which lives as long as the parse. */
typedef struct hnode {
    const xmlChar *name; /* NULL for a text node */
    uint32_t parent, first_child, last_child, next;
    uint32_t end;
    uint32_t text_at;                  /* text: its NUL-terminated bytes in page.text */
    uint32_t class_at, id_at, role_at; /* offset + 1 of the value in page.attrs; 0: absent */
    unsigned flags;                    /* tag_flags of the name */
    uint8_t removed;                   /* chrome, dropped with its subtree */
    uint8_t alive;                     /* neither it nor an ancestor removed (measure) */
    uint8_t in_link;                   /* it or an ancestor is an <a> */
    uint8_t good_block;                /* density mode: inside a block of good text */
    uint8_t scored;
    uint32_t text;       /* non-blank bytes of text below (a text node: its own); a page is
                            under 2 GiB (pp_html_extract) */
    uint32_t link;       /* of which inside <a> */
    uint32_t good;       /* good text directly in this element (density mode) */
    uint32_t good_total; /* good text below it */
    double score;
} hnode;

/* The parser's open elements, as SAX reports them (a subtree that is not kept still has its
 * entries: the depth and the title are counted in it). */
typedef struct open_element {
    uint32_t node;   /* its node; 0 when it is not kept */
    uint32_t depth;  /* the root element is at 0 */
    uint8_t in_tree; /* part of the root element's tree, and not below MAX_DEPTH */
} open_element;

/* The text of the first <title> or <h1> of the tree (wherever it is: the title lives in <head>,
 * which is never text), collapsed as it streams in. */
typedef struct capture {
    size_t open_at; /* its place in the open stack + 1 while it is open */
    int found, has_child;
    cr_buf text;
    int pending_space;
} capture;

/* The passes below recurse; a page of 100,000 unclosed <div>s would overflow the stack. At
 * MAX_DEPTH an element keeps all of its subtree's text as one text child (a pathological page
 * loses its layout there, not its words). */
#define MAX_DEPTH 400

enum { DOC_EMPTY, DOC_ROOT, DOC_OTHER };

typedef struct page {
    hnode *nodes;
    size_t count, cap;
    cr_buf text;  /* text nodes' bytes, each NUL-terminated */
    cr_buf attrs; /* class, id and role values, each NUL-terminated */
    open_element *open;
    size_t open_count, open_cap;
    size_t flat_at; /* the open element at MAX_DEPTH (stack place + 1) taking all text below */
    uint32_t root;  /* the root element (<html>): node 1 once the parse has begun */
    int doc_first;  /* the document's first child: DOC_EMPTY, DOC_ROOT (the root element) or
                       DOC_OTHER (a doctype, a comment, a PI) */
    int seen_doctype;
    int failed; /* out of memory */
    capture title, h1;
    htmlParserCtxtPtr ctxt;
} page;

static _Thread_local page *building; /* the page the SAX handlers of this thread build */

static int named(const hnode *n, const char *name)
{
    return n->name && n->name[0] == (xmlChar)name[0] && strcmp((const char *)n->name, name) == 0;
}

static int is_heading_name(const xmlChar *name)
{
    return name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2];
}

static void build_failed(page *p)
{
    if (!p->failed) {
        p->failed = 1;
        xmlStopParser(p->ctxt);
    }
}

static uint32_t new_node(page *p, const xmlChar *name, uint32_t parent)
{
    if (p->count >= UINT32_MAX - 1 ||
        cr_grow(&p->nodes, &p->cap, p->count + 1, sizeof *p->nodes) < 0) {
        build_failed(p);
        return 0;
    }
    uint32_t index = (uint32_t)p->count++;
    hnode *n = &p->nodes[index];
    memset(n, 0, sizeof *n);
    n->name = name;
    n->parent = parent;
    hnode *up = &p->nodes[parent];
    if (up->last_child)
        p->nodes[up->last_child].next = index;
    else
        up->first_child = index;
    up->last_child = index;
    return index;
}

/* Text appended to parent's last child when that is a text node (and so the last of page.text:
 * nothing is added to the tree between the two), else as a new text node. */
static void add_text(page *p, uint32_t parent, const xmlChar *bytes, size_t len)
{
    uint32_t last = p->nodes[parent].last_child;
    if (last && !p->nodes[last].name && last == p->count - 1) {
        p->text.len--; /* its NUL */
    } else {
        if (p->text.len >= UINT32_MAX || !new_node(p, NULL, parent)) {
            build_failed(p);
            return;
        }
        p->nodes[p->count - 1].text_at = (uint32_t)p->text.len;
    }
    cr_buf_append(&p->text, bytes, len);
    cr_buf_putc(&p->text, '\0');
    if (p->text.failed)
        build_failed(p);
}

static uint32_t keep_attr(page *p, const xmlChar *value)
{
    if (p->attrs.len >= UINT32_MAX - 1)
        return 0;
    uint32_t at = (uint32_t)p->attrs.len + 1;
    cr_buf_puts(&p->attrs, value ? (const char *)value : "");
    cr_buf_putc(&p->attrs, '\0');
    return at;
}

static const char *attr_value(const page *p, uint32_t at)
{
    return at ? p->attrs.data + at - 1 : NULL;
}

/* hidden, aria-hidden=true, or display:none / visibility:hidden in style: one walk over the
 * attributes (this runs for every element of every page). */
static int is_hidden(const xmlChar **atts)
{
    for (; atts && atts[0]; atts += 2) {
        const char *name = (const char *)atts[0];
        char first = name[0] | 0x20;
        if (first != 'h' && first != 'a' && first != 's')
            continue;
        const char *value = atts[1] ? (const char *)atts[1] : "";
        if (first == 'h' && strcasecmp(name, "hidden") == 0)
            return 1;
        if (first == 'a' && strcasecmp(name, "aria-hidden") == 0 && strcasecmp(value, "true") == 0)
            return 1;
        if (first == 's' && strcasecmp(name, "style") == 0) {
            char compact[256];
            size_t n = 0;
            for (const char *c = value; *c && n + 1 < sizeof compact; c++)
                if (*c != ' ' && *c != '\t' && *c != '\n')
                    compact[n++] = *c;
            compact[n] = '\0';
            if (has_substring_ci(compact, "display:none") ||
                has_substring_ci(compact, "visibility:hidden"))
                return 1;
        }
    }
    return 0;
}

/* ---- collapsing prose ---------------------------------------------------------------------- */

typedef struct layout {
    cr_buf *out;
    int pending_break; /* 0 none, 1 newline, 2 blank line */
    int pending_space;
    int drop_link_lists; /* density mode: lists and tables that are mostly links are chrome */
    page *page;
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

static int is_blank_byte(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}

/* Prose text (up to len bytes or a NUL): runs of blanks (NBSP included) become one space. */
static void put_prose(layout *l, const xmlChar *text, size_t len)
{
    const unsigned char *p = text, *end = text + len;
    while (p < end && *p) {
        if (is_blank_byte(*p)) {
            l->pending_space = 1;
            p++;
            continue;
        }
        if (p[0] == 0xC2 && p + 1 < end && p[1] == 0xA0) {
            l->pending_space = 1;
            p += 2;
            continue;
        }
        const unsigned char *start = p;
        while (p < end && *p && !is_blank_byte(*p) &&
               !(p[0] == 0xC2 && p + 1 < end && p[1] == 0xA0))
            p++;
        flush_pending(l);
        cr_buf_append(l->out, start, (size_t)(p - start));
    }
}

/* ---- building: the SAX handlers ------------------------------------------------------------ */

/* A title longer than this is cut anyway (pp_html_info.title). */
#define CAPTURE_LIMIT (2 * sizeof(((pp_html_info *)0)->title))

static void capture_text(capture *c, const xmlChar *bytes, size_t len)
{
    c->has_child = 1;
    if (c->text.len > CAPTURE_LIMIT)
        return;
    layout l = {.out = &c->text, .pending_space = c->pending_space};
    put_prose(&l, bytes, len);
    c->pending_space = l.pending_space;
}

static void capture_start(capture *c, size_t open_at, const xmlChar *name, const char *wanted,
                          int in_tree)
{
    if (c->open_at)
        c->has_child = 1; /* an element inside it */
    else if (!c->found && in_tree && strcmp((const char *)name, wanted) == 0) {
        c->found = 1;
        c->open_at = open_at;
    }
}

static open_element *push_open(page *p)
{
    if (cr_grow(&p->open, &p->open_cap, p->open_count + 1, sizeof *p->open) < 0) {
        build_failed(p);
        return NULL;
    }
    open_element *e = &p->open[p->open_count++];
    memset(e, 0, sizeof *e);
    return e;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    (void)ctx;
    page *p = building;
    if (p->failed)
        return;
    open_element *up = p->open_count ? &p->open[p->open_count - 1] : NULL;
    uint32_t parent = 0;
    int in_tree = 0;
    uint32_t depth = 0;
    if (up) {
        parent = up->node;
        in_tree = up->in_tree && up->depth < MAX_DEPTH;
        depth = up->depth + 1;
    } else if (!p->root) {
        in_tree = 1; /* the root element */
        p->doc_first = p->doc_first ? p->doc_first : DOC_ROOT;
    } else if (p->doc_first == DOC_ROOT) {
        /* after the root element was closed: libxml2's tree adds a new top element to the
         * document's first child when that is an element (else it goes beside it, out of the
         * root's tree) */
        parent = p->root;
        in_tree = 1;
        depth = 1;
    }
    open_element *e = push_open(p);
    if (!e)
        return;
    e->depth = depth;
    e->in_tree = (uint8_t)in_tree;
    capture_start(&p->title, p->open_count, name, "title", in_tree);
    capture_start(&p->h1, p->open_count, name, "h1", in_tree);

    unsigned flags = tag_flags(name);
    int kept = in_tree && !p->flat_at && (parent || !p->root) &&
               !(depth > 0 && ((flags & T_NEVER) || is_hidden(atts)));
    if (!kept)
        return;
    uint32_t index = new_node(p, name, parent);
    if (!index)
        return;
    if (!p->root)
        p->root = index;
    e->node = index;
    hnode *n = &p->nodes[index];
    n->flags = flags;
    for (; atts && atts[0]; atts += 2) {
        const char *attr = (const char *)atts[0];
        uint32_t *slot = NULL;
        if (!n->class_at && strcasecmp(attr, "class") == 0)
            slot = &n->class_at;
        else if (!n->id_at && strcasecmp(attr, "id") == 0)
            slot = &n->id_at;
        else if (!n->role_at && strcasecmp(attr, "role") == 0)
            slot = &n->role_at;
        if (slot && !(*slot = keep_attr(p, atts[1])))
            build_failed(p);
    }
    if (p->attrs.failed)
        build_failed(p);
    if (depth == MAX_DEPTH)
        p->flat_at = p->open_count;
}

static void on_end(void *ctx, const xmlChar *name)
{
    (void)ctx;
    (void)name;
    page *p = building;
    if (!p->open_count)
        return;
    if (p->flat_at == p->open_count)
        p->flat_at = 0;
    if (p->title.open_at == p->open_count)
        p->title.open_at = 0;
    if (p->h1.open_at == p->open_count)
        p->h1.open_at = 0;
    p->open_count--;
}

/* Where a piece of text goes: into the open kept element, or the flattened one. */
static void take_text(page *p, const xmlChar *bytes, int len)
{
    if (p->title.open_at)
        capture_text(&p->title, bytes, (size_t)len);
    if (p->h1.open_at)
        capture_text(&p->h1, bytes, (size_t)len);
    if (p->failed)
        return;
    if (p->flat_at)
        add_text(p, p->open[p->flat_at - 1].node, bytes, (size_t)len);
    else if (p->open[p->open_count - 1].node)
        add_text(p, p->open[p->open_count - 1].node, bytes, (size_t)len);
}

/* Text, and the CDATA of <script> and <style> too: never kept (they are never text), but it is
 * text of a flattened subtree and of the title (libxml2's node content holds it). */
static void on_text(void *ctx, const xmlChar *bytes, int len)
{
    (void)ctx;
    page *p = building;
    if (!p->open_count || p->failed)
        return; /* (libxml2's tree drops text outside any element too) */
    take_text(p, bytes, len);
}

static void on_comment(void *ctx, const xmlChar *value)
{
    (void)ctx;
    (void)value;
    page *p = building;
    if (p->open_count) {
        if (p->title.open_at)
            p->title.has_child = 1;
        if (p->h1.open_at)
            p->h1.has_child = 1;
    } else if (!p->doc_first) {
        p->doc_first = DOC_OTHER;
    }
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    on_comment(ctx, NULL);
}

/* The first doctype becomes the document's first child in libxml2's tree, whatever came
 * before it. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    page *p = building;
    if (p->seen_doctype)
        return;
    p->seen_doctype = 1;
    p->doc_first = DOC_OTHER;
}

/* ---- text measures ----------------------------------------------------------------------- */

static uint32_t count_non_blank(const char *s)
{
    uint32_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += !is_blank_byte(*p);
    return n;
}

static double link_density(const hnode *n)
{
    return n->text ? (double)n->link / (double)n->text : 0.0;
}

/* Text and linked text below every element of top's subtree that is still there. */
static void measure(page *p, uint32_t top)
{
    hnode *nodes = p->nodes;
    uint32_t end = nodes[top].end;
    for (uint32_t i = top; i < end; i++) {
        hnode *n = &nodes[i];
        if (i == top) {
            n->alive = !n->removed;
            n->in_link = named(n, "a");
        } else {
            const hnode *up = &nodes[n->parent];
            n->alive = up->alive && !n->removed;
            n->in_link = up->in_link || named(n, "a");
        }
        if (n->name)
            n->text = n->link = 0;
    }
    /* children come after their parent: from the end, each subtree is summed before its
     * parent is added to its own */
    for (uint32_t i = end; i-- > top + 1;) {
        const hnode *n = &nodes[i];
        if (!n->alive)
            continue;
        hnode *up = &nodes[n->parent];
        up->text += n->text;
        up->link += n->name ? n->link : up->in_link ? n->text : 0;
    }
}

/* ---- pass 2: the main region ------------------------------------------------------------- */

static int is_role_main(const page *p, const hnode *n)
{
    const char *role = attr_value(p, n->role_at);
    return role && strcasecmp(role, "main") == 0;
}

/* The first <main> below top, and the first [role=main] before it. */
static void find_mains(const page *p, uint32_t top, uint32_t *main_element, uint32_t *role_main)
{
    for (uint32_t i = top + 1; i < p->nodes[top].end; i++) {
        const hnode *n = &p->nodes[i];
        if (!n->name)
            continue;
        if (named(n, "main")) {
            *main_element = i;
            return;
        }
        if (!*role_main && is_role_main(p, n))
            *role_main = i;
    }
}

/* The <article>s below top that are not inside another one (nested articles are comments). */
static size_t count_articles(const page *p, uint32_t top, uint32_t *first)
{
    size_t count = 0;
    for (uint32_t i = top + 1; i < p->nodes[top].end; i++) {
        const hnode *n = &p->nodes[i];
        if (named(n, "article")) {
            if (!count)
                *first = i;
            count++;
            i = n->end - 1;
        }
    }
    return count;
}

static uint32_t find_element(const page *p, uint32_t top, const char *name)
{
    for (uint32_t i = top + 1; i < p->nodes[top].end; i++)
        if (named(&p->nodes[i], name))
            return i;
    return 0;
}

/* ---- pass 3: chrome ---------------------------------------------------------------------- */

static int inside_article(const page *p, uint32_t node, uint32_t stop)
{
    for (uint32_t up = p->nodes[node].parent; up && up != stop; up = p->nodes[up].parent)
        if (named(&p->nodes[up], "article") || named(&p->nodes[up], "main"))
            return 1;
    return stop && (named(&p->nodes[stop], "article") || named(&p->nodes[stop], "main"));
}

static int is_chrome(const page *p, uint32_t node, uint32_t root, int use_ids)
{
    const hnode *n = &p->nodes[node];
    if (n->flags & T_CHROME)
        return 1;
    if (named(n, "header") && !inside_article(p, node, root))
        return 1;
    const char *role = attr_value(p, n->role_at);
    if (role) {
        for (const char *const *r = chrome_roles; *r; r++)
            if (strcasecmp(role, *r) == 0)
                return 1;
    }
    const char *class_value = attr_value(p, n->class_at);
    const char *id_value = use_ids ? attr_value(p, n->id_at) : NULL;
    if ((!class_value || !*class_value) && (!id_value || !*id_value))
        return 0;
    int allow_header = !inside_article(p, node, root);
    if (value_names_chrome(class_value, allow_header))
        return 1;
    if (use_ids && value_names_chrome(id_value, allow_header))
        return 1;
    return 0;
}

/* Removes chrome below node. A "chrome" element holding more than half of root's text is a
 * page wrapper with an unlucky class (ASP.NET's page-wide <form>, "has-sidebar"), so it stays.
 * (The measures are those from before this pass.) */
static void drop_chrome(page *p, uint32_t node, uint32_t root, size_t root_text, int use_ids)
{
    for (uint32_t c = p->nodes[node].first_child; c; c = p->nodes[c].next) {
        hnode *child = &p->nodes[c];
        if (!child->name || child->removed)
            continue;
        int wrapper = root_text > 0 && (size_t)child->text * 2 > root_text;
        if (!wrapper && is_chrome(p, c, root, use_ids))
            child->removed = 1;
        else if (!named(child, "pre") && !named(child, "code"))
            /* (inside code, classes are syntax colours, never chrome) */
            drop_chrome(p, c, root, root_text, use_ids);
    }
}

/* ---- pass 2b: text density, when the page does not mark its main region ------------------- */

/* Text density, in the spirit of jusText: a block (p, li, td, div, ...) with 25+ bytes of text
 * and at most half of it in links is good; each element's value is the good, unlinked text
 * below it, times (1 - its link density). The pick is the smallest element holding at least
 * 90% of the best value: big enough to hold all of the article (its sections, lists, code),
 * small enough to leave out what surrounds it. The measures must be fresh (measure). */
static uint32_t density_pick(page *p, uint32_t body)
{
    hnode *nodes = p->nodes;
    uint32_t end = nodes[body].end;
    for (uint32_t i = body; i < end; i++) {
        hnode *n = &nodes[i];
        if (!n->alive)
            continue;
        if (i == body) {
            n->good_block = 0;
            n->good = 0;
            continue;
        }
        hnode *up = &nodes[n->parent];
        if (!n->name) {
            if (up->good_block && !up->in_link)
                up->good += n->text;
            continue;
        }
        n->good = 0;
        n->good_block = up->good_block;
        if (n->flags & (T_PARAGRAPH | T_LINE))
            n->good_block = (n->text >= 25 || is_heading_name(n->name)) && link_density(n) <= 0.5;
    }
    for (uint32_t i = body; i < end; i++)
        nodes[i].good_total = nodes[i].name ? nodes[i].good : 0;
    for (uint32_t i = end; i-- > body + 1;)
        if (nodes[i].alive && nodes[i].name)
            nodes[nodes[i].parent].good_total += nodes[i].good_total;
    double best_value = 0;
    for (uint32_t i = body; i < end; i++) {
        hnode *n = &nodes[i];
        if (!n->alive || !n->name)
            continue;
        n->score = (double)n->good_total * (1.0 - link_density(n));
        n->scored = n->score > 0;
        if (n->score > best_value)
            best_value = n->score;
    }
    uint32_t best = 0;
    for (uint32_t i = body; i < end; i++) {
        const hnode *n = &nodes[i];
        if (n->alive && n->name && n->scored && n->score >= 0.9 * best_value &&
            (!best || n->text < nodes[best].text))
            best = i;
    }
    return best;
}

/* The siblings of best that carry text too (after Readability): a scored sibling within a
 * fifth of the best score, or a paragraph, list, quote or heading with few links (broken
 * markup often pushes the end of an article out of its container). */
static int sibling_belongs(const hnode *sibling, double threshold)
{
    if (sibling->scored && sibling->score >= threshold)
        return 1;
    if ((sibling->flags & T_SIBLING) && sibling->text > 0 && link_density(sibling) < 0.25) {
        int short_ok =
            is_heading_name(sibling->name) || named(sibling, "ul") || named(sibling, "ol");
        return short_ok || sibling->text >= 25;
    }
    return 0;
}

/* ---- pass 4: layout ---------------------------------------------------------------------- */

static const char *text_of(const page *p, const hnode *n)
{
    return p->text.data + n->text_at;
}

static void raw_text(const page *p, uint32_t node, cr_buf *out)
{
    for (uint32_t c = p->nodes[node].first_child; c; c = p->nodes[c].next) {
        const hnode *n = &p->nodes[c];
        if (n->removed)
            continue;
        if (!n->name)
            cr_buf_puts(out, text_of(p, n));
        else if (named(n, "br"))
            cr_buf_putc(out, '\n');
        else
            raw_text(p, c, out);
    }
}

/* A <pre> (or a <code> that spans lines): its text as written, as its own paragraph. */
static void put_verbatim_block(layout *l, uint32_t node)
{
    cr_buf code;
    cr_buf_init(&code);
    raw_text(l->page, node, &code);
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

static void lay_out(layout *l, uint32_t node);

static void lay_out_element(layout *l, uint32_t node)
{
    const hnode *n = &l->page->nodes[node];
    const xmlChar *name = n->name;
    unsigned flags = n->flags;
    if (name[0] == 'b' && name[1] == 'r' && !name[2]) {
        request_break(l, 1);
        return;
    }
    if (named(n, "pre")) {
        put_verbatim_block(l, node);
        return;
    }
    if (flags & T_CODE) {
        cr_buf code;
        cr_buf_init(&code);
        raw_text(l->page, node, &code);
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
    if (named(n, "img"))
        return;
    if (l->drop_link_lists && (flags & T_LINK_LIST) && n->text > 0 && link_density(n) > 0.6)
        return;
    int level = flags & T_PARAGRAPH ? 2 : flags & T_LINE ? 1 : 0;
    if (level)
        request_break(l, level);
    lay_out(l, node);
    if (level)
        request_break(l, level);
}

static void lay_out(layout *l, uint32_t node)
{
    const page *p = l->page;
    for (uint32_t c = p->nodes[node].first_child; c; c = p->nodes[c].next) {
        const hnode *n = &p->nodes[c];
        if (n->removed)
            continue;
        if (!n->name)
            put_prose(l, (const xmlChar *)text_of(p, n), strlen(text_of(p, n)));
        else
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

static void set_title(const capture *c, pp_html_info *info)
{
    char *out = info->title;
    size_t out_size = sizeof info->title;
    snprintf(out, out_size, "%s", c->text.data ? c->text.data : "");
    /* do not leave half a UTF-8 character at a cut */
    size_t n = strlen(out);
    if (n + 1 == out_size) {
        while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
            n--;
        out[n] = '\0';
    }
}

/* The parse: SAX events into p (the handlers of this context's own copy of the SAX table). */
static int parse_page(page *p, const char *utf8, int len, const char *url)
{
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                  HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC |
                  XML_PARSE_HUGE;
    p->ctxt = htmlNewParserCtxt();
    if (!p->ctxt || !p->ctxt->sax)
        return -1;
    htmlSAXHandler *sax = p->ctxt->sax;
    sax->startDocument = NULL;
    sax->endDocument = NULL;
    sax->internalSubset = on_doctype;
    sax->externalSubset = NULL;
    sax->startElement = on_start;
    sax->endElement = on_end;
    sax->characters = on_text;
    sax->cdataBlock = on_text;
    sax->ignorableWhitespace = NULL;
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;
    sax->reference = NULL;
    if (cr_grow(&p->nodes, &p->cap, 1024, sizeof *p->nodes) < 0)
        return -1;
    memset(&p->nodes[0], 0, sizeof p->nodes[0]); /* node 0: the document */
    p->count = 1;
    building = p;
    htmlDocPtr doc = htmlCtxtReadMemory(p->ctxt, utf8, len, url, "UTF-8", options);
    building = NULL;
    if (doc) /* (never, without the tree handlers) */
        xmlFreeDoc(doc);
    return p->failed ? -1 : 0;
}

/* A thread's page is kept from one page to the next, its arrays with it: fresh memory for
 * every page cost a page fault every 4 KiB (a tenth of the run time). Past KEEP_BYTES the
 * arrays are given back. */
#define KEEP_BYTES (32u << 20)
static pthread_key_t page_key;
static pthread_once_t page_key_once = PTHREAD_ONCE_INIT;
static _Thread_local page *thread_page;

static void page_release_arrays(page *p)
{
    free(p->nodes);
    free(p->open);
    p->nodes = NULL;
    p->open = NULL;
    p->cap = p->open_cap = 0;
    cr_buf_free(&p->text);
    cr_buf_free(&p->attrs);
    cr_buf_free(&p->title.text);
    cr_buf_free(&p->h1.text);
}

static void page_destroy(void *arg)
{
    page_release_arrays(arg);
    free(arg);
}

static void make_page_key(void)
{
    pthread_key_create(&page_key, page_destroy);
}

/* This thread's page, emptied (NULL when out of memory). */
static page *page_begin(void)
{
    page *p = thread_page;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            return NULL;
        pthread_once(&page_key_once, make_page_key);
        pthread_setspecific(page_key, p);
        thread_page = p;
    }
    p->count = p->open_count = p->flat_at = 0;
    p->root = 0;
    p->doc_first = DOC_EMPTY;
    p->seen_doctype = p->failed = 0;
    p->ctxt = NULL;
    cr_buf_reset(&p->text);
    cr_buf_reset(&p->attrs);
    p->text.failed = p->attrs.failed = 0;
    cr_buf title_text = p->title.text, h1_text = p->h1.text;
    memset(&p->title, 0, sizeof p->title);
    memset(&p->h1, 0, sizeof p->h1);
    p->title.text = title_text;
    p->h1.text = h1_text;
    cr_buf_reset(&p->title.text);
    cr_buf_reset(&p->h1.text);
    p->title.text.failed = p->h1.text.failed = 0;
    return p;
}

static void page_end(page *p)
{
    if (p->ctxt)
        htmlFreeParserCtxt(p->ctxt);
    p->ctxt = NULL;
    size_t held =
        p->cap * sizeof *p->nodes + p->open_cap * sizeof *p->open + p->text.cap + p->attrs.cap;
    if (held > KEEP_BYTES || p->failed)
        page_release_arrays(p);
}

/* Subtree ends and the text nodes' own measures, once the tree is complete. */
static void finish_tree(page *p)
{
    hnode *nodes = p->nodes;
    for (size_t i = p->count; i-- > 0;) {
        hnode *n = &nodes[i];
        if (n->end < i + 1)
            n->end = (uint32_t)i + 1;
        if (i && nodes[n->parent].end < n->end)
            nodes[n->parent].end = n->end;
        if (!n->name && i)
            n->text = count_non_blank(text_of(p, n));
    }
}

static int extract_page(page *p, const char *utf8, size_t len, const char *url, cr_buf *out,
                        pp_html_info *info, cr_err *err);

int pp_html_extract(const char *utf8, size_t len, const char *url, cr_buf *out, pp_html_info *info,
                    cr_err *err)
{
    pthread_once(&tag_once, tag_table_init);
    tag_cache_clear();
    memset(info, 0, sizeof *info);
    info->method = "body";
    if (len > (size_t)INT32_MAX)
        return cr_fail(err, CR_EDATA, "page too large for the HTML parser (%zu bytes)", len);
    int in_arena = pp_xml_arena_installed();
    if (in_arena)
        pp_xml_arena_begin();
    page *p = page_begin();
    int code = p ? extract_page(p, utf8, len, url, out, info, err)
                 : cr_fail(err, CR_EOTHER, "reading the page: out of memory");
    if (p)
        page_end(p);
    if (in_arena) {
        xmlResetLastError(); /* its message would outlive the arena */
        pp_xml_arena_end();
    }
    return code;
}

static int extract_page(page *p, const char *utf8, size_t len, const char *url, cr_buf *out,
                        pp_html_info *info, cr_err *err)
{
    if (parse_page(p, utf8, (int)len, url) < 0)
        return p->failed ? cr_fail(err, CR_EOTHER, "reading the page: out of memory")
                         : cr_fail(err, CR_EDATA, "no HTML document could be parsed");
    if (!p->root)
        return cr_fail(err, CR_EDATA, "no HTML document could be parsed");
    finish_tree(p);
    const capture *title = p->title.found && p->title.has_child ? &p->title
                           : p->h1.found                        ? &p->h1
                                                                : NULL;
    if (title)
        set_title(title, info);

    uint32_t html = p->root;
    uint32_t body = named(&p->nodes[html], "body") ? html : find_element(p, html, "body");
    if (!body)
        body = html;
    uint32_t root = 0, first_main = 0, first_role_main = 0, article = 0;
    find_mains(p, body, &first_main, &first_role_main);
    if ((root = first_main))
        info->method = "main";
    else if ((root = first_role_main))
        info->method = "role=main";
    else if (count_articles(p, body, &article) == 1) {
        root = article;
        info->method = "article";
    }

    measure(p, body);
    if (root) {
        /* A marked region with almost nothing in it (a <main> around a search box) is not
         * where the text is: fall back to the density score. */
        size_t root_text = p->nodes[root].text;
        if (root_text < 200 && root_text * 10 < p->nodes[body].text) {
            root = 0;
            info->method = "density";
        } else {
            drop_chrome(p, root, root, root_text, 0);
        }
    }
    layout l = {.out = out, .page = p};
    if (root) {
        lay_out(&l, root);
    } else {
        drop_chrome(p, body, body, p->nodes[body].text, 1);
        measure(p, body);
        uint32_t best = density_pick(p, body);
        l.drop_link_lists = 1;
        if (!best || best == body) {
            info->method = "body";
            lay_out(&l, body);
        } else {
            info->method = "density";
            double threshold = p->nodes[best].score * 0.2;
            if (threshold < 10)
                threshold = 10;
            uint32_t parent = p->nodes[best].parent;
            for (uint32_t s = p->nodes[parent].first_child; s; s = p->nodes[s].next) {
                const hnode *n = &p->nodes[s];
                if (!n->name || n->removed)
                    continue;
                if (s == best || sibling_belongs(n, threshold)) {
                    request_break(&l, 2);
                    lay_out_element(&l, s);
                }
            }
        }
    }
    if (out->failed)
        return cr_fail(err, CR_EOTHER, "reading the page: out of memory");
    return CR_OK;
}
