/* epub.c — the text of an EPUB: META-INF/container.xml names the package (OPF), whose spine
 * gives the chapters' order; each chapter (XHTML) goes through the same charset decoding and
 * HTML extraction as a web page (charset.c, html.c), chapters separated by a blank line. The
 * title is the package's dc:title. ZIP limits are zipdoc.c's. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "formats.h"
#include "html.h"
#include "zipdoc.h"

#define EPUB_MAX_CHAPTERS 5000

static xmlDocPtr parse_xml(const cr_buf *xml, const char *name)
{
    return xmlReadMemory(xml->data, (int)xml->len, name, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int local_is(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

static xmlNodePtr find_element(xmlNodePtr node, const char *name)
{
    for (; node; node = node->next) {
        if (local_is(node, name))
            return node;
        xmlNodePtr below = find_element(node->children, name);
        if (below)
            return below;
    }
    return NULL;
}

static int hex(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* base (the OPF's folder, with its slash) + href, percent-decoded, "#fragment" cut, "." and
 * ".." segments resolved. 0 when it does not fit or climbs out of the archive. */
static int resolve(const char *base, const char *href, char *out, size_t size)
{
    char joined[2048];
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < sizeof joined; p++)
        joined[n++] = *p;
    for (const char *p = href; *p && *p != '#' && n + 1 < sizeof joined; p++) {
        if (*p == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
            joined[n++] = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
        } else {
            joined[n++] = *p;
        }
    }
    joined[n] = '\0';
    /* segment by segment */
    size_t used = 0;
    char *save, *segment = strtok_r(joined, "/", &save);
    out[0] = '\0';
    while (segment) {
        if (strcmp(segment, "..") == 0) {
            if (used == 0)
                return 0;
            while (used > 0 && out[used - 1] != '/')
                used--;
            if (used > 0)
                used--; /* the slash */
            out[used] = '\0';
        } else if (strcmp(segment, ".") != 0) {
            size_t len = strlen(segment);
            if (used + len + 2 > size)
                return 0;
            if (used)
                out[used++] = '/';
            memcpy(out + used, segment, len);
            used += len;
            out[used] = '\0';
        }
        segment = strtok_r(NULL, "/", &save);
    }
    return used > 0;
}

static int chapter_text(pp_zip *zip, const char *path, cr_buf *xhtml, cr_buf *out, cr_err *err)
{
    int code = pp_zip_read(zip, path, xhtml, err);
    if (code == CR_ENOINPUT) /* a spine entry that is missing: skip it, as readers do */
        return CR_OK;
    if (code)
        return code;
    cr_buf decoded, text;
    cr_buf_init(&decoded);
    cr_buf_init(&text);
    pp_decoded decode_info;
    pp_html_info html_info;
    code = pp_decode_html(xhtml->data, xhtml->len, NULL, &decoded, &decode_info, err);
    if (code == CR_OK)
        code = pp_html_extract(decoded.data ? decoded.data : "", decoded.len, NULL, &text,
                               &html_info, err);
    if (code == CR_OK && text.len) {
        if (out->len)
            cr_buf_puts(out, "\n\n");
        cr_buf_append(out, text.data, text.len);
    }
    if (code)
        cr_err_context(err, "%s", path);
    cr_buf_free(&decoded);
    cr_buf_free(&text);
    return code;
}

int pp_epub_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err)
{
    pp_zip *zip;
    int code = pp_zip_open(&zip, bytes, len, err);
    if (code)
        return code;
    cr_buf xml;
    cr_buf_init(&xml);
    xmlDocPtr container = NULL, package = NULL;
    char opf_path[1024] = "", base[1024] = "";
    code = pp_zip_read(zip, "META-INF/container.xml", &xml, err);
    if (code == CR_ENOINPUT)
        code = cr_fail(err, CR_EDATA, "an EPUB without META-INF/container.xml");
    if (code == CR_OK && !(container = parse_xml(&xml, "container.xml")))
        code = cr_fail(err, CR_EDATA, "META-INF/container.xml: malformed XML");
    if (code == CR_OK) {
        xmlNodePtr rootfile = find_element(xmlDocGetRootElement(container), "rootfile");
        xmlChar *full = rootfile ? xmlGetProp(rootfile, (const xmlChar *)"full-path") : NULL;
        if (!full || !resolve("", (const char *)full, opf_path, sizeof opf_path))
            code = cr_fail(err, CR_EDATA, "META-INF/container.xml names no package file");
        xmlFree(full);
    }
    if (code == CR_OK) {
        const char *slash = strrchr(opf_path, '/');
        if (slash)
            snprintf(base, sizeof base, "%.*s/", (int)(slash - opf_path), opf_path);
        code = pp_zip_read(zip, opf_path, &xml, err);
        if (code == CR_ENOINPUT)
            code = cr_fail(err, CR_EDATA, "an EPUB without its package file %s", opf_path);
    }
    if (code == CR_OK && !(package = parse_xml(&xml, opf_path)))
        code = cr_fail(err, CR_EDATA, "%s: malformed XML", opf_path);
    if (code == CR_OK) {
        pp_xml_dc_title(&xml, info->title, sizeof info->title);
        xmlNodePtr root = xmlDocGetRootElement(package);
        xmlNodePtr manifest = find_element(root, "manifest");
        xmlNodePtr spine = find_element(root, "spine");
        if (!manifest || !spine)
            code = cr_fail(err, CR_EDATA, "%s: no manifest or no spine", opf_path);
        for (xmlNodePtr ref = spine ? spine->children : NULL; ref && code == CR_OK;
             ref = ref->next) {
            if (!local_is(ref, "itemref"))
                continue;
            xmlChar *idref = xmlGetProp(ref, (const xmlChar *)"idref");
            xmlChar *linear = xmlGetProp(ref, (const xmlChar *)"linear");
            int skip = !idref || (linear && strcmp((const char *)linear, "no") == 0);
            xmlFree(linear);
            if (!skip && ++info->parts > EPUB_MAX_CHAPTERS) {
                info->truncated = 1;
                skip = 1;
            }
            xmlChar *href = NULL;
            for (xmlNodePtr item = manifest->children; item && !skip && !href; item = item->next) {
                if (!local_is(item, "item"))
                    continue;
                xmlChar *id = xmlGetProp(item, (const xmlChar *)"id");
                if (id && strcmp((const char *)id, (const char *)idref) == 0)
                    href = xmlGetProp(item, (const xmlChar *)"href");
                xmlFree(id);
            }
            char path[1024];
            if (href && resolve(base, (const char *)href, path, sizeof path)) {
                cr_buf xhtml;
                cr_buf_init(&xhtml);
                code = chapter_text(zip, path, &xhtml, out, err);
                cr_buf_free(&xhtml);
                info->parts_read++;
            }
            xmlFree(href);
            xmlFree(idref);
        }
    }
    if (out->failed && code == CR_OK)
        code = cr_fail(err, CR_EOTHER, "EPUB: out of memory");
    xmlFreeDoc(container);
    xmlFreeDoc(package);
    cr_buf_free(&xml);
    pp_zip_close(zip);
    return code;
}
