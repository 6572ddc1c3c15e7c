/* formats.h — documents that are not text: PDF (pdf.c), DOCX and ODT (office.c), EPUB (epub.c),
 * the ZIP reading with its bomb limits they share (zipdoc.c), and the sniffing that tells them
 * apart by content (formats.c). Each extractor lays its text out as paragraphs separated by a
 * blank line; document.c cleans it (text.c), filters and deduplicates it as any prose. */
#ifndef PP_FORMATS_H
#define PP_FORMATS_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

enum pp_format { PP_FORMAT_NONE, PP_FORMAT_PDF, PP_FORMAT_DOCX, PP_FORMAT_ODT, PP_FORMAT_EPUB };

/* Limits that keep a hostile document bounded in time and memory (docs/preprocess.md). */
#define PP_ZIP_MAX_ENTRIES 10000            /* more entries: refused (65) */
#define PP_ZIP_MAX_ENTRY_BYTES (64u << 20)  /* one member, uncompressed: refused beyond */
#define PP_ZIP_MAX_TOTAL_BYTES (256u << 20) /* all members read for one document */
#define PP_ZIP_MAX_RATIO 200                /* uncompressed / compressed, members over 1 MiB */
#define PP_PDF_MAX_PAGES 2000               /* pages read; the rest are cut (meta: truncated) */
#define PP_PDF_MAX_SECONDS 120.0            /* wall time for one PDF's text; then cut likewise */

typedef struct pp_doc_info {
    char title[512];   /* from the metadata (PDF Info, docProps, meta.xml, the OPF) */
    size_t parts;      /* pages (PDF), chapters (EPUB), 1 otherwise */
    size_t parts_read; /* fewer than parts when the document was cut */
    int truncated;     /* 1 when a limit cut the text */
    char reject[40];   /* non-empty: a normal rejection ("encrypted", "image_only") */
    char reject_detail[256];
} pp_doc_info;

/* The format the bytes are in, whatever the file is called: %PDF- in the first KiB; a ZIP
 * whose mimetype member or parts say ODT, EPUB or DOCX. A ZIP that cannot be opened (broken,
 * a bomb) is taken for the format its name says (hint), so that the extractor says what is
 * wrong with it. PP_FORMAT_NONE for anything else, a ZIP of another kind included. */
enum pp_format pp_sniff_format(const char *bytes, size_t len, enum pp_format hint);
/* The format a file name's extension promises (.pdf .docx .odt .epub), else PP_FORMAT_NONE. */
enum pp_format pp_format_of_extension(const char *ext);
/* "pdf", "docx", "odt", "epub" ("" for none). */
const char *pp_format_name(enum pp_format format);

/* The laid-out text of a document, appended to out. CR_OK with info->reject set for a
 * document that is fine but has no text to give (encrypted, image-only); CR_EDATA for a
 * corrupt or hostile one (err says why). */
int pp_extract_document(enum pp_format format, const char *bytes, size_t len, cr_buf *out,
                        pp_doc_info *info, cr_err *err);

/* The dc:title of a metadata part (docProps/core.xml, meta.xml, an EPUB's OPF), or "". */
void pp_xml_dc_title(const cr_buf *xml, char *title, size_t title_size);

int pp_pdf_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err);
int pp_docx_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err);
int pp_odt_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err);
int pp_epub_extract(const char *bytes, size_t len, cr_buf *out, pp_doc_info *info, cr_err *err);

#endif
