/* zipdoc.c — reading the members of a DOCX, ODT or EPUB (ZIP archives) with libzip, bounded:
 * the entry count is read from the end-of-central-directory record before libzip builds its
 * table, each member's declared size and ratio are checked before it is inflated, and the
 * inflation itself stops at the limit whatever the header claimed. The formats are office.c's
 * and epub.c's business. */
#include "zipdoc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "formats.h"

struct pp_zip {
    zip_t *archive;
    size_t total_read; /* uncompressed bytes handed out so far, for PP_ZIP_MAX_TOTAL_BYTES */
};

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* The entry count of the end-of-central-directory record (the last 22..65557 bytes), or -1
 * when there is none. ZIP64 archives say 0xFFFF here: more than we ever accept. */
static long eocd_entries(const unsigned char *bytes, size_t len)
{
    if (len < 22)
        return -1;
    size_t lowest = len > 22 + 65535 ? len - 22 - 65535 : 0;
    for (size_t at = len - 22 + 1; at-- > lowest;) {
        if (bytes[at] == 'P' && bytes[at + 1] == 'K' && bytes[at + 2] == 5 && bytes[at + 3] == 6)
            return (long)le16(bytes + at + 10);
    }
    return -1;
}

int pp_zip_open(pp_zip **out, const char *bytes, size_t len, cr_err *err)
{
    *out = NULL;
    long entries = eocd_entries((const unsigned char *)bytes, len);
    if (entries < 0)
        return cr_fail(err, CR_EDATA, "not a ZIP archive (no end-of-central-directory record)");
    if (entries > PP_ZIP_MAX_ENTRIES)
        return cr_fail(err, CR_EDATA, "ZIP archive with %ld entries, more than the limit of %d",
                       entries, PP_ZIP_MAX_ENTRIES);
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(bytes, len, 0, &zerr);
    if (!src) {
        zip_error_fini(&zerr);
        return cr_fail(err, CR_EOTHER, "reading the ZIP archive: out of memory");
    }
    zip_t *archive = zip_open_from_source(src, ZIP_RDONLY, &zerr);
    if (!archive) {
        int code = cr_fail(err, CR_EDATA, "broken ZIP archive: %s", zip_error_strerror(&zerr));
        zip_source_free(src);
        zip_error_fini(&zerr);
        return code;
    }
    zip_error_fini(&zerr);
    zip_int64_t count = zip_get_num_entries(archive, 0);
    if (count > PP_ZIP_MAX_ENTRIES) { /* the record above lied */
        zip_discard(archive);
        return cr_fail(err, CR_EDATA, "ZIP archive with %lld entries, more than the limit of %d",
                       (long long)count, PP_ZIP_MAX_ENTRIES);
    }
    pp_zip *zip = calloc(1, sizeof *zip);
    if (!zip) {
        zip_discard(archive);
        return cr_fail(err, CR_EOTHER, "reading the ZIP archive: out of memory");
    }
    zip->archive = archive;
    *out = zip;
    return CR_OK;
}

void pp_zip_close(pp_zip *zip)
{
    if (!zip)
        return;
    zip_discard(zip->archive);
    free(zip);
}

int pp_zip_has(pp_zip *zip, const char *name)
{
    return zip_name_locate(zip->archive, name, 0) >= 0;
}

int pp_zip_read(pp_zip *zip, const char *name, cr_buf *out, cr_err *err)
{
    cr_buf_reset(out);
    zip_int64_t index = zip_name_locate(zip->archive, name, 0);
    if (index < 0)
        return cr_fail(err, CR_ENOINPUT, "no %s in the archive", name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip->archive, (zip_uint64_t)index, 0, &st) < 0)
        return cr_fail(err, CR_EDATA, "%s: unreadable ZIP entry", name);
    size_t budget = PP_ZIP_MAX_TOTAL_BYTES - zip->total_read;
    if (budget > PP_ZIP_MAX_ENTRY_BYTES)
        budget = PP_ZIP_MAX_ENTRY_BYTES;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > budget)
        return cr_fail(err, CR_EDATA,
                       "%s: %llu bytes uncompressed, over the limit of %zu (ZIP bomb?)", name,
                       (unsigned long long)st.size, budget);
    if ((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) && st.size > (1u << 20) &&
        st.size / (st.comp_size ? st.comp_size : 1) > PP_ZIP_MAX_RATIO)
        return cr_fail(err, CR_EDATA, "%s: compressed %llu:1, over the limit of %d:1 (ZIP bomb?)",
                       name, (unsigned long long)(st.size / (st.comp_size ? st.comp_size : 1)),
                       PP_ZIP_MAX_RATIO);
    zip_file_t *file = zip_fopen_index(zip->archive, (zip_uint64_t)index, 0);
    if (!file)
        return cr_fail(err, CR_EDATA, "%s: %s", name, zip_strerror(zip->archive));
    int code = CR_OK;
    char chunk[65536];
    for (;;) {
        zip_int64_t got = zip_fread(file, chunk, sizeof chunk);
        if (got < 0) {
            code = cr_fail(err, CR_EDATA, "%s: %s", name, zip_file_strerror(file));
            break;
        }
        if (got == 0)
            break;
        if (out->len + (size_t)got > budget) { /* the header lied about the size */
            code = cr_fail(err, CR_EDATA, "%s: more than %zu bytes uncompressed (ZIP bomb?)", name,
                           budget);
            break;
        }
        if (cr_buf_append(out, chunk, (size_t)got) < 0 || out->failed) {
            code = cr_fail(err, CR_EOTHER, "%s: out of memory", name);
            break;
        }
    }
    zip_fclose(file);
    if (code == CR_OK) {
        zip->total_read += out->len;
        if (!out->data) /* an empty member: still a string */
            cr_buf_append(out, "", 0);
    }
    if (code)
        cr_buf_reset(out);
    return code;
}
