/* formats.c — which document format a file is, by its bytes (not its name), and the dispatch to
 * the extractor of that format (pdf.c, office.c, epub.c). Plain pages and text are not its
 * business: document.c reads those directly. */
#include "formats.h"

#include <string.h>
#include <strings.h>

#include "zipdoc.h"

enum pp_format pp_format_of_extension(const char *ext)
{
    if (!strcasecmp(ext, "pdf"))
        return PP_FORMAT_PDF;
    if (!strcasecmp(ext, "docx") || !strcasecmp(ext, "docm") || !strcasecmp(ext, "dotx"))
        return PP_FORMAT_DOCX;
    if (!strcasecmp(ext, "odt") || !strcasecmp(ext, "ott"))
        return PP_FORMAT_ODT;
    if (!strcasecmp(ext, "epub"))
        return PP_FORMAT_EPUB;
    return PP_FORMAT_NONE;
}

const char *pp_format_name(enum pp_format format)
{
    switch (format) {
    case PP_FORMAT_PDF:
        return "pdf";
    case PP_FORMAT_DOCX:
        return "docx";
    case PP_FORMAT_ODT:
        return "odt";
    case PP_FORMAT_EPUB:
        return "epub";
    default:
        return "";
    }
}

static enum pp_format sniff_zip(const char *bytes, size_t len, enum pp_format hint)
{
    int zip_hint = hint == PP_FORMAT_DOCX || hint == PP_FORMAT_ODT || hint == PP_FORMAT_EPUB;
    pp_zip *zip;
    cr_err err;
    if (pp_zip_open(&zip, bytes, len, &err) != CR_OK)
        return zip_hint ? hint : PP_FORMAT_NONE;
    enum pp_format format = PP_FORMAT_NONE;
    cr_buf mimetype;
    cr_buf_init(&mimetype);
    if (pp_zip_has(zip, "mimetype") && pp_zip_read(zip, "mimetype", &mimetype, &err) == CR_OK) {
        const char *m = mimetype.data;
        size_t n = mimetype.len;
        while (n && (m[n - 1] == '\n' || m[n - 1] == '\r' || m[n - 1] == ' '))
            n--;
        if (n == 20 && memcmp(m, "application/epub+zip", 20) == 0)
            format = PP_FORMAT_EPUB;
        else if (n >= 39 && memcmp(m, "application/vnd.oasis.opendocument.text", 39) == 0 &&
                 (n == 39 || memcmp(m + 39, "-template", n - 39) == 0))
            format = PP_FORMAT_ODT;
    }
    cr_buf_free(&mimetype);
    if (format == PP_FORMAT_NONE) {
        if (pp_zip_has(zip, "word/document.xml"))
            format = PP_FORMAT_DOCX;
        else if (pp_zip_has(zip, "META-INF/container.xml") && hint == PP_FORMAT_EPUB)
            format = PP_FORMAT_EPUB; /* an EPUB that lost its mimetype member */
        else if (pp_zip_has(zip, "content.xml") && hint == PP_FORMAT_ODT)
            format = PP_FORMAT_ODT;
    }
    pp_zip_close(zip);
    return format;
}

enum pp_format pp_sniff_format(const char *bytes, size_t len, enum pp_format hint)
{
    /* %PDF- may follow some junk (a mail header, a BOM): readers look in the first KiB */
    size_t window = len < 1024 ? len : 1024;
    if (window >= 5 && memmem(bytes, window, "%PDF-", 5))
        return PP_FORMAT_PDF;
    if (len >= 4 && memcmp(bytes, "PK\3\4", 4) == 0)
        return sniff_zip(bytes, len, hint);
    return PP_FORMAT_NONE;
}

int pp_extract_document(enum pp_format format, const char *bytes, size_t len, cr_buf *out,
                        pp_doc_info *info, cr_err *err)
{
    memset(info, 0, sizeof *info);
    switch (format) {
    case PP_FORMAT_PDF:
        return pp_pdf_extract(bytes, len, out, info, err);
    case PP_FORMAT_DOCX:
        return pp_docx_extract(bytes, len, out, info, err);
    case PP_FORMAT_ODT:
        return pp_odt_extract(bytes, len, out, info, err);
    case PP_FORMAT_EPUB:
        return pp_epub_extract(bytes, len, out, info, err);
    default:
        return cr_fail(err, CR_EDATA, "not a document format preprocess reads");
    }
}
