/* pdf.c — the text of a PDF with poppler-glib: each page's text in poppler's reading order,
 * with the box of every character, so that lines can be rebuilt into paragraphs (a gap, a
 * change of size, an indent or a short last line ends one), words hyphenated at a line end
 * joined, running headers and footers (the same line at a page's edge on many pages) and page
 * numbers dropped, and the title taken from the document's metadata. Encrypted and image-only
 * files are rejections; pages past PP_PDF_MAX_PAGES or PP_PDF_MAX_SECONDS are cut. */
#include <ctype.h>
#include <math.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "formats.h"

#include "buf.h"

typedef struct pdf_line {
    char *text; /* NUL-terminated, owned by the page's text */
    double x0, y0, x1, y1;
    int has_box;
    int dropped; /* a running header or footer, a page number */
} pdf_line;

typedef struct pdf_page {
    char *text; /* poppler's, g_free'd */
    pdf_line *lines;
    size_t line_count;
} pdf_page;

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

/* Splits poppler's text into lines, each with the union of its characters' boxes (the layout
 * has one rectangle per character of the text, newlines included). */
static int read_page(PopplerPage *page, pdf_page *out)
{
    memset(out, 0, sizeof *out);
    out->text = poppler_page_get_text(page);
    if (!out->text)
        return 0;
    PopplerRectangle *rects = NULL;
    guint rect_count = 0;
    if (!poppler_page_get_text_layout(page, &rects, &rect_count))
        rect_count = 0;
    size_t chars = (size_t)g_utf8_strlen(out->text, -1);
    int boxes = rects && rect_count == chars;
    size_t cap = 16;
    out->lines = malloc(cap * sizeof *out->lines);
    if (!out->lines) {
        g_free(rects);
        return -1;
    }
    char *p = out->text;
    size_t char_index = 0;
    while (*p) {
        if (cr_grow(&out->lines, &cap, out->line_count + 1, sizeof *out->lines) < 0) {
            g_free(rects);
            return -1;
        }
        pdf_line *line = &out->lines[out->line_count];
        memset(line, 0, sizeof *line);
        line->text = p;
        line->x0 = line->y0 = INFINITY;
        line->x1 = line->y1 = -INFINITY;
        while (*p && *p != '\n') {
            unsigned char c = (unsigned char)*p;
            if (boxes && char_index < rect_count && !isspace(c)) {
                const PopplerRectangle *r = &rects[char_index];
                line->x0 = fmin(line->x0, r->x1);
                line->x1 = fmax(line->x1, r->x2);
                line->y0 = fmin(line->y0, r->y1);
                line->y1 = fmax(line->y1, r->y2);
                line->has_box = 1;
            }
            p = g_utf8_next_char(p);
            char_index++;
        }
        if (*p == '\n') {
            *p++ = '\0';
            char_index++;
        }
        if (!blank(line->text))
            out->line_count++;
    }
    g_free(rects);
    return 0;
}

/* A line with its digits as '#' and blanks squeezed: "Page 3 of 9" and "Page 4 of 9" match. */
static void edge_key(const char *text, char *key, size_t size)
{
    size_t n = 0;
    int space = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 2 < size; p++) {
        if (isspace(*p)) {
            space = n > 0;
            continue;
        }
        if (space)
            key[n++] = ' ';
        space = 0;
        key[n++] = isdigit(*p) ? '#' : (char)tolower(*p);
    }
    key[n] = '\0';
}

/* "12", "- 12 -", "Page 12", "12 of 40", "12/40", "xii": a page number alone on its line. */
static int is_page_number(const char *text)
{
    char key[128], squeezed[128];
    edge_key(text, key, sizeof key);
    size_t n = 0;
    for (const char *k = key; *k && n + 1 < sizeof squeezed; k++)
        if (*k != ' ' && *k != '-' && *k != '.' && *k != '|')
            squeezed[n++] = *k;
    squeezed[n] = '\0';
    const char *k = squeezed;
    if (strncmp(k, "page", 4) == 0)
        k += 4;
    else if (k[0] == 'p' && k[1] == '#')
        k += 1;
    size_t len = strspn(k, "#");
    if (len == 0) {
        len = strspn(k, "ivxlc");
        if (len == 0 || len > 6)
            return 0;
    }
    k += len;
    if (strncmp(k, "of", 2) == 0)
        k += 2;
    else if (*k == '/')
        k += 1;
    else
        return *k == '\0';
    return *k == '#' && strspn(k, "#") == strlen(k);
}

#define EDGE_LINES 2 /* lines looked at from each edge of a page */

typedef struct edge_count {
    char key[160];
    size_t pages;
} edge_count;

/* Marks as dropped the lines at a page's edge whose key is at an edge of at least 3 pages and of
 * half of them, and lone page numbers at an edge. */
static void drop_running_lines(pdf_page *pages, size_t page_count)
{
    size_t cap = page_count * EDGE_LINES * 2, used = 0;
    edge_count *counts = cap ? calloc(cap, sizeof *counts) : NULL;
    for (size_t p = 0; p < page_count && counts; p++) {
        pdf_page *page = &pages[p];
        for (size_t i = 0; i < page->line_count; i++) {
            if (i >= EDGE_LINES && i + EDGE_LINES < page->line_count)
                continue;
            char key[160];
            edge_key(page->lines[i].text, key, sizeof key);
            /* counted once per page: a key seen earlier on this page is skipped */
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) {
                if (j >= EDGE_LINES && j + EDGE_LINES < page->line_count)
                    continue;
                char other[160];
                edge_key(page->lines[j].text, other, sizeof other);
                seen = strcmp(key, other) == 0;
            }
            if (seen)
                continue;
            size_t k = 0;
            while (k < used && strcmp(counts[k].key, key) != 0)
                k++;
            if (k == used && used < cap) {
                snprintf(counts[k].key, sizeof counts[k].key, "%s", key);
                used++;
            }
            if (k < used)
                counts[k].pages++;
        }
    }
    for (size_t p = 0; p < page_count; p++) {
        pdf_page *page = &pages[p];
        for (size_t i = 0; i < page->line_count; i++) {
            if (i >= EDGE_LINES && i + EDGE_LINES < page->line_count)
                continue;
            pdf_line *line = &page->lines[i];
            if (is_page_number(line->text)) {
                line->dropped = 1;
                continue;
            }
            char key[160];
            edge_key(line->text, key, sizeof key);
            for (size_t k = 0; k < used && counts; k++) {
                if (strcmp(counts[k].key, key) == 0) {
                    line->dropped = counts[k].pages >= 3 && counts[k].pages * 2 >= page_count;
                    break;
                }
            }
        }
    }
    free(counts);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, size_t count)
{
    if (!count)
        return 0;
    qsort(values, count, sizeof *values, compare_doubles);
    return values[count / 2];
}

static int ends_sentence(const char *text)
{
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (!len)
        return 0;
    unsigned char last = (unsigned char)text[len - 1];
    if (strchr(".!?:;\")'", last))
        return 1;
    /* ” ’ » (UTF-8) */
    return len >= 2 &&
           ((unsigned char)text[len - 2] == 0x80 || (unsigned char)text[len - 2] == 0xC2) &&
           (last == 0x9D || last == 0x99 || last == 0xBB);
}

static const char *first_visible(const char *text)
{
    while (*text && isspace((unsigned char)*text))
        text++;
    return text;
}

static int starts_lowercase(const char *text)
{
    const char *t = first_visible(text);
    gunichar c = g_utf8_get_char_validated(t, -1);
    return c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_islower(c);
}

/* Appends a line to the paragraph being built: a word cut by a hyphen at the end of the last
 * line and going on in lower case is joined; otherwise lines are joined by a space. */
static void append_line(cr_buf *out, int *open, const char *text)
{
    const char *t = first_visible(text);
    size_t len = strlen(t);
    while (len && isspace((unsigned char)t[len - 1]))
        len--;
    if (*open) {
        size_t n = out->len;
        int hyphen = n >= 2 && out->data[n - 1] == '-' && isalpha((unsigned char)out->data[n - 2]);
        int soft = n >= 2 && (unsigned char)out->data[n - 2] == 0xC2 &&
                   (unsigned char)out->data[n - 1] == 0xAD;
        if ((hyphen || soft) && starts_lowercase(t))
            out->len -= hyphen ? 1 : 2;
        else if (soft)
            out->len -= 2, cr_buf_putc(out, ' ');
        else
            cr_buf_putc(out, ' ');
    } else if (out->len) {
        cr_buf_puts(out, "\n\n");
    }
    cr_buf_append(out, t, len);
    *open = 1;
}

/* The document's usual line height and line step (median over every kept line of every page:
 * a page with three lines says too little on its own). */
typedef struct pdf_metrics {
    double line_height, leading;
} pdf_metrics;

static void measure_lines(const pdf_page *pages, size_t page_count, pdf_metrics *m)
{
    size_t total = 0;
    for (size_t p = 0; p < page_count; p++)
        total += pages[p].line_count;
    m->line_height = m->leading = 0;
    double *values = malloc((total + 1) * sizeof *values);
    if (!values)
        return;
    size_t n = 0;
    for (size_t p = 0; p < page_count; p++)
        for (size_t i = 0; i < pages[p].line_count; i++)
            if (!pages[p].lines[i].dropped && pages[p].lines[i].has_box)
                values[n++] = pages[p].lines[i].y1 - pages[p].lines[i].y0;
    m->line_height = median(values, n);
    n = 0;
    for (size_t p = 0; p < page_count; p++) {
        const pdf_line *prev = NULL;
        for (size_t i = 0; i < pages[p].line_count; i++) {
            const pdf_line *line = &pages[p].lines[i];
            if (line->dropped || !line->has_box)
                continue;
            if (prev && line->y0 > prev->y0)
                values[n++] = line->y0 - prev->y0;
            prev = line;
        }
    }
    /* the lower quartile: paragraph gaps and headings are the long steps */
    if (n) {
        qsort(values, n, sizeof *values, compare_doubles);
        m->leading = values[n / 4];
    }
    free(values);
}

/* Lays out one page's remaining lines as paragraphs. *open says whether the paragraph of the
 * previous page may go on: 0 no (it ended a sentence), 1 if this page starts in lower case, 2
 * yes (its last line was full and mid-sentence). */
static void page_paragraphs(const pdf_page *page, const pdf_metrics *m, cr_buf *out, int *open)
{
    size_t count = page->line_count;
    double line_height = m->line_height, leading = m->leading, left = INFINITY, right = -INFINITY;
    for (size_t i = 0; i < count; i++) {
        const pdf_line *line = &page->lines[i];
        if (line->dropped || !line->has_box)
            continue;
        left = fmin(left, line->x0);
        right = fmax(right, line->x1);
    }
    const pdf_line *prev = NULL;
    for (size_t i = 0; i < count; i++) {
        const pdf_line *line = &page->lines[i];
        if (line->dropped)
            continue;
        int new_paragraph = 0;
        if (!prev) {
            /* the page's first line goes on the last page's paragraph only when that one was
             * cut mid-sentence and this line carries on in lower case */
            new_paragraph = !*open || (*open == 1 && !starts_lowercase(line->text));
        } else if (prev->has_box && line->has_box && line_height > 0) {
            double step = line->y0 - prev->y0;
            double prev_height = prev->y1 - prev->y0, height = line->y1 - line->y0;
            if (step <= 0 || (leading > 0 && step > leading * 1.3) ||
                fabs(height - prev_height) > 0.25 * line_height)
                new_paragraph = 1; /* a gap, a new column, a change of size (a heading) */
            else if (line->x0 > left + line_height * 1.5 && line->x0 > prev->x0 + line_height)
                new_paragraph = 1; /* an indented first line */
            else if (ends_sentence(prev->text) && prev->x1 < right - (right - left) * 0.15)
                new_paragraph = 1; /* a short last line */
        }
        if (new_paragraph)
            *open = 0;
        append_line(out, open, line->text);
        prev = line;
    }
    if (prev && ends_sentence(prev->text))
        *open = 0;
    else if (prev && prev->has_box && prev->x1 >= right - (right - left) * 0.15)
        *open = 2; /* a full last line, mid-sentence: the paragraph surely goes on */
}

int pp_pdf_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err)
{
    GBytes *data = g_bytes_new_static(bytes, len);
    GError *gerr = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(data, NULL, &gerr);
    if (!doc) {
        int code = CR_OK;
        if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED) {
            snprintf(info->reject, sizeof info->reject, "encrypted");
            snprintf(info->reject_detail, sizeof info->reject_detail,
                     "the PDF is encrypted and needs a password");
        } else {
            code = cr_fail(err, CR_EDATA, "not a readable PDF: %s",
                           gerr ? gerr->message : "poppler could not open it");
        }
        if (gerr)
            g_error_free(gerr);
        g_bytes_unref(data);
        return code;
    }
    gchar *title = poppler_document_get_title(doc);
    if (title) {
        snprintf(info->title, sizeof info->title, "%s", title);
        g_free(title);
    }
    int page_total = poppler_document_get_n_pages(doc);
    info->parts = page_total > 0 ? (size_t)page_total : 0;
    size_t want = info->parts < PP_PDF_MAX_PAGES ? info->parts : PP_PDF_MAX_PAGES;
    pdf_page *pages = want ? calloc(want, sizeof *pages) : NULL;
    int code = CR_OK;
    if (want && !pages)
        code = cr_fail(err, CR_EOTHER, "PDF: out of memory");
    double started = cr_now_s();
    size_t read = 0, visible = 0;
    for (; read < want && code == CR_OK; read++) {
        if (cr_now_s() - started > PP_PDF_MAX_SECONDS)
            break;
        PopplerPage *page = poppler_document_get_page(doc, (int)read);
        if (!page)
            continue;
        if (read_page(page, &pages[read]) < 0)
            code = cr_fail(err, CR_EOTHER, "PDF: out of memory");
        g_object_unref(page);
        for (size_t i = 0; i < pages[read].line_count; i++)
            for (const char *c = pages[read].lines[i].text; *c; c++)
                visible += !isspace((unsigned char)*c);
    }
    info->parts_read = read;
    info->truncated = read < info->parts;
    if (code == CR_OK && visible == 0) {
        if (info->parts == 0) {
            code = cr_fail(err, CR_EDATA, "a PDF without pages");
        } else {
            snprintf(info->reject, sizeof info->reject, "image_only");
            snprintf(info->reject_detail, sizeof info->reject_detail,
                     "%zu page%s and no text layer (a scan or images only)", info->parts,
                     info->parts == 1 ? "" : "s");
        }
    }
    if (code == CR_OK && !info->reject[0]) {
        drop_running_lines(pages, read);
        pdf_metrics metrics;
        measure_lines(pages, read, &metrics);
        int open = 0;
        for (size_t p = 0; p < read; p++)
            page_paragraphs(&pages[p], &metrics, out, &open);
        if (out->failed)
            code = cr_fail(err, CR_EOTHER, "PDF: out of memory");
    }
    for (size_t p = 0; p < want && pages; p++) {
        g_free(pages[p].text);
        free(pages[p].lines);
    }
    free(pages);
    g_object_unref(doc);
    g_bytes_unref(data);
    return code;
}
