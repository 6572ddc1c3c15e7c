/* office.c — the text of a Word (DOCX: word/document.xml) or OpenDocument text (ODT:
 * content.xml) file, streamed with libxml2's xmlTextReader so that memory stays flat whatever
 * the size: headings and paragraphs separated by a blank line, list items and table cells one
 * a line, tables a block of their own. Deleted revisions, comments, notes and fallback copies
 * are left out. ZIP reading is zipdoc.c's, sniffing formats.c's, clean-up text.c's. */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats.h"
#include "zipdoc.h"

/* ---- the layout both formats share ------------------------------------------------------- */

typedef struct writer {
    cr_buf *out;
    int pending;       /* break before the next text: 0 none, 1 newline, 2 blank line */
    int table_depth;   /* paragraphs in a table cell are lines, not blocks */
    int para_is_list;  /* the paragraph being read is a list item */
    int para_is_title; /* ...a heading or the title (for the title fallback) */
    int para_started;  /* ...has put text already */
    int prev_was_list; /* the last paragraph with text was a list item */
    cr_buf heading;    /* the first heading's text */
    int heading_done;
} writer;

static void want_break(writer *w, int level)
{
    if (level > w->pending)
        w->pending = level;
}

static void para_begin(writer *w)
{
    w->para_is_list = 0;
    w->para_is_title = 0;
    w->para_started = 0;
}

static void para_end(writer *w)
{
    if (w->para_started) {
        w->prev_was_list = w->para_is_list;
        want_break(w, w->table_depth ? 1 : w->para_is_list ? 1 : 2);
        if (w->para_is_title && w->heading.len)
            w->heading_done = 1;
    }
    w->para_started = 0;
}

/* Text of the current paragraph; newlines and tabs inside XML text are blanks. */
static void put_text(writer *w, const char *text, size_t len)
{
    if (!len)
        return;
    if (!w->para_started) {
        /* a list item after a non-list paragraph, or the reverse, starts a block */
        if (!w->table_depth && w->para_is_list != w->prev_was_list)
            want_break(w, 2);
        w->para_started = 1;
    }
    if (w->out->len > 0 && w->pending)
        cr_buf_puts(w->out, w->pending == 2 ? "\n\n" : "\n");
    w->pending = 0;
    size_t start = w->out->len;
    cr_buf_append(w->out, text, len);
    for (size_t i = start; i < w->out->len; i++)
        if (w->out->data[i] == '\n' || w->out->data[i] == '\r' || w->out->data[i] == '\t')
            w->out->data[i] = ' ';
    if (w->para_is_title && !w->heading_done && w->heading.len < 1024)
        cr_buf_append(&w->heading, text, len);
}

static void copy_title(pp_doc_info *info, const char *text)
{
    /* collapse blanks; cut on a character boundary */
    size_t n = 0;
    int space = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < sizeof info->title;
         p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = n > 0;
            continue;
        }
        if (space)
            info->title[n++] = ' ';
        space = 0;
        info->title[n++] = (char)*p;
    }
    while (n > 0 && ((unsigned char)info->title[n - 1] & 0xC0) == 0x80 &&
           n + 5 >= sizeof info->title)
        n--;
    info->title[n] = '\0';
}

static int names(xmlTextReaderPtr r, const char *ns_suffix, const char *local)
{
    const xmlChar *name = xmlTextReaderConstLocalName(r);
    if (!name || strcmp((const char *)name, local) != 0)
        return 0;
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
    if (!ns)
        return 0;
    size_t ns_len = strlen((const char *)ns), suffix_len = strlen(ns_suffix);
    return ns_len >= suffix_len && strcmp((const char *)ns + ns_len - suffix_len, ns_suffix) == 0;
}

static xmlTextReaderPtr reader_for(const cr_buf *xml, const char *name)
{
    return xmlReaderForMemory(xml->data, (int)xml->len, name, NULL,
                              XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
}

/* ---- DOCX -------------------------------------------------------------------------------- */

#define W_NS "wordprocessingml/2006/main"
#define W_NS_STRICT "wordprocessingml/main"

static int is_w(xmlTextReaderPtr r, const char *local)
{
    return names(r, W_NS, local) || names(r, W_NS_STRICT, local);
}

static int docx_body(const cr_buf *xml, writer *w, cr_err *err)
{
    xmlTextReaderPtr r = reader_for(xml, "word/document.xml");
    if (!r)
        return cr_fail(err, CR_EDATA, "word/document.xml: not XML");
    int in_text = 0, status;
    /* xmlTextReaderNext skips a subtree and lands on the node after it, which is read
     * next without another xmlTextReaderRead */
    int skipped = 0;
    while ((status = skipped ? 1 : xmlTextReaderRead(r)) == 1) {
        skipped = 0;
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            const xmlChar *local = xmlTextReaderConstLocalName(r);
            /* fallback copies of text boxes (mc:Fallback), comments: never text */
            if (strcmp((const char *)local, "Fallback") == 0 && !empty) {
                if ((status = xmlTextReaderNext(r)) != 1)
                    break;
                skipped = 1;
                continue;
            }
            if (is_w(r, "p")) {
                para_begin(w);
                if (empty)
                    para_end(w);
            } else if (is_w(r, "t")) {
                in_text = !empty;
            } else if (is_w(r, "tab")) {
                put_text(w, " ", 1);
            } else if (is_w(r, "br") || is_w(r, "cr")) {
                if (w->para_started)
                    want_break(w, 1);
            } else if (is_w(r, "noBreakHyphen")) {
                put_text(w, "-", 1);
            } else if (is_w(r, "numPr")) {
                w->para_is_list = 1;
            } else if (is_w(r, "pStyle")) {
                xmlChar *val = xmlTextReaderGetAttributeNs(r, (const xmlChar *)"val",
                                                           xmlTextReaderConstNamespaceUri(r));
                if (val) {
                    if (strncasecmp((const char *)val, "List", 4) == 0)
                        w->para_is_list = 1;
                    if (strncasecmp((const char *)val, "Heading", 7) == 0 ||
                        strcasecmp((const char *)val, "Title") == 0)
                        w->para_is_title = 1;
                    xmlFree(val);
                }
            } else if (is_w(r, "tbl")) {
                want_break(w, 2);
                w->table_depth++;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (is_w(r, "p"))
                para_end(w);
            else if (is_w(r, "t"))
                in_text = 0;
            else if (is_w(r, "tbl")) {
                w->table_depth--;
                want_break(w, 2);
            } else if (is_w(r, "tc") || is_w(r, "tr"))
                want_break(w, 1);
        } else if (in_text &&
                   (type == XML_READER_TYPE_TEXT ||
                    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
                    type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_CDATA)) {
            const char *value = (const char *)xmlTextReaderConstValue(r);
            if (value)
                put_text(w, value, strlen(value));
        }
    }
    xmlFreeTextReader(r);
    if (status < 0)
        return cr_fail(err, CR_EDATA, "word/document.xml: malformed XML");
    if (w->out->failed)
        return cr_fail(err, CR_EOTHER, "word/document.xml: out of memory");
    return CR_OK;
}

/* The dc:title of a metadata part (docProps/core.xml, meta.xml, an EPUB's OPF), or "". */
void pp_xml_dc_title(const cr_buf *xml, char *title, size_t title_size)
{
    title[0] = '\0';
    xmlTextReaderPtr r = reader_for(xml, "metadata");
    if (!r)
        return;
    cr_buf text;
    cr_buf_init(&text);
    int inside = 0;
    while (xmlTextReaderRead(r) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT && names(r, "purl.org/dc/elements/1.1/", "title"))
            inside = !xmlTextReaderIsEmptyElement(r);
        else if (type == XML_READER_TYPE_END_ELEMENT && inside)
            break;
        else if (inside && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA)) {
            const char *value = (const char *)xmlTextReaderConstValue(r);
            if (value && text.len < 4096)
                cr_buf_puts(&text, value);
        }
    }
    xmlFreeTextReader(r);
    if (text.data) {
        pp_doc_info tmp;
        copy_title(&tmp, text.data);
        snprintf(title, title_size, "%s", tmp.title);
    }
    cr_buf_free(&text);
}

static void finish_title(pp_doc_info *info, writer *w)
{
    if (!info->title[0] && w->heading.data)
        copy_title(info, w->heading.data);
}

/* The part both formats share: a ZIP, the title from a metadata part, the text from one XML
 * part read by the format's own walker. */
typedef int (*body_reader)(const cr_buf *xml, writer *w, cr_err *err);

static int extract_zip_document(const char *bytes, size_t len, const char *meta_part,
                                const char *body_part, const char *missing_body, body_reader body,
                                cr_buf *out, pp_doc_info *info, cr_err *err)
{
    pp_zip *zip;
    int code = pp_zip_open(&zip, bytes, len, err);
    if (code)
        return code;
    cr_buf xml;
    cr_buf_init(&xml);
    writer w = {.out = out};
    cr_buf_init(&w.heading);
    info->parts = info->parts_read = 1;
    if (pp_zip_read(zip, meta_part, &xml, err) == CR_OK)
        pp_xml_dc_title(&xml, info->title, sizeof info->title);
    code = pp_zip_read(zip, body_part, &xml, err);
    if (code == CR_ENOINPUT)
        code = cr_fail(err, CR_EDATA, "%s", missing_body);
    if (code == CR_OK)
        code = body(&xml, &w, err);
    if (code == CR_OK)
        finish_title(info, &w);
    cr_buf_free(&xml);
    cr_buf_free(&w.heading);
    pp_zip_close(zip);
    return code;
}

int pp_docx_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err)
{
    return extract_zip_document(bytes, len, "docProps/core.xml", "word/document.xml",
                                "a DOCX without word/document.xml", docx_body, out, info, err);
}

/* ---- ODT --------------------------------------------------------------------------------- */

#define TEXT_NS "opendocument:xmlns:text:1.0"
#define TABLE_NS "opendocument:xmlns:table:1.0"
#define OFFICE_NS "opendocument:xmlns:office:1.0"

static int odt_body(const cr_buf *xml, writer *w, cr_err *err)
{
    xmlTextReaderPtr r = reader_for(xml, "content.xml");
    if (!r)
        return cr_fail(err, CR_EDATA, "content.xml: not XML");
    int para_depth = 0, list_depth = 0, in_body = 0, status;
    /* xmlTextReaderNext skips a subtree and lands on the node after it, which is read
     * next without another xmlTextReaderRead */
    int skipped = 0;
    while ((status = skipped ? 1 : xmlTextReaderRead(r)) == 1) {
        skipped = 0;
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            if (names(r, OFFICE_NS, "text")) {
                in_body = !empty;
                continue;
            }
            if (!in_body)
                continue;
            /* notes, comments, tracked (deleted) changes, declarations: never the text */
            if (!empty && (names(r, TEXT_NS, "note") || names(r, OFFICE_NS, "annotation") ||
                           names(r, TEXT_NS, "tracked-changes") ||
                           names(r, TEXT_NS, "sequence-decls") || names(r, OFFICE_NS, "forms"))) {
                if ((status = xmlTextReaderNext(r)) != 1)
                    break;
                skipped = 1;
                continue;
            }
            if (names(r, TEXT_NS, "p") || names(r, TEXT_NS, "h")) {
                if (para_depth == 0) {
                    para_begin(w);
                    w->para_is_list = list_depth > 0;
                    w->para_is_title = names(r, TEXT_NS, "h");
                }
                if (!empty)
                    para_depth++;
                else if (para_depth == 0)
                    para_end(w);
            } else if (names(r, TEXT_NS, "list-item") || names(r, TEXT_NS, "list-header")) {
                if (!empty)
                    list_depth++;
            } else if (names(r, TABLE_NS, "table")) {
                want_break(w, 2);
                if (!empty)
                    w->table_depth++;
            } else if (para_depth && names(r, TEXT_NS, "s")) {
                put_text(w, " ", 1);
            } else if (para_depth && names(r, TEXT_NS, "tab")) {
                put_text(w, " ", 1);
            } else if (para_depth && names(r, TEXT_NS, "line-break")) {
                if (w->para_started)
                    want_break(w, 1);
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (names(r, OFFICE_NS, "text")) {
                in_body = 0;
            } else if (!in_body) {
                continue;
            } else if (names(r, TEXT_NS, "p") || names(r, TEXT_NS, "h")) {
                if (para_depth > 0 && --para_depth == 0)
                    para_end(w);
            } else if (names(r, TEXT_NS, "list-item") || names(r, TEXT_NS, "list-header")) {
                list_depth--;
            } else if (names(r, TABLE_NS, "table")) {
                w->table_depth--;
                want_break(w, 2);
            } else if (names(r, TABLE_NS, "table-cell") || names(r, TABLE_NS, "table-row")) {
                want_break(w, 1);
            }
        } else if (para_depth && in_body &&
                   (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
            const char *value = (const char *)xmlTextReaderConstValue(r);
            if (value)
                put_text(w, value, strlen(value));
        }
    }
    xmlFreeTextReader(r);
    if (status < 0)
        return cr_fail(err, CR_EDATA, "content.xml: malformed XML");
    if (w->out->failed)
        return cr_fail(err, CR_EOTHER, "content.xml: out of memory");
    return CR_OK;
}

int pp_odt_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err)
{
    return extract_zip_document(bytes, len, "meta.xml", "content.xml",
                                "an OpenDocument file without content.xml", odt_body, out, info,
                                err);
}
