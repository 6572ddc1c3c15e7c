/* zipdoc.h — the members of an in-memory ZIP archive (libzip), read with the limits of
 * formats.h so that a ZIP bomb (a huge ratio, thousands of entries, a lying size field) is
 * refused instead of filling memory. It knows nothing of what the members mean: office.c and
 * epub.c do. */
#ifndef PP_ZIPDOC_H
#define PP_ZIPDOC_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

typedef struct pp_zip pp_zip;

/* Opens bytes (kept, not copied: they must outlive the archive) as a ZIP. CR_EDATA for a
 * broken archive or one with more than PP_ZIP_MAX_ENTRIES entries. */
int pp_zip_open(pp_zip **zip, const char *bytes, size_t len, cr_err *err);
void pp_zip_close(pp_zip *zip);
/* 1 when the archive has a member of that exact name. */
int pp_zip_has(pp_zip *zip, const char *name);
/* The member's bytes into out (replaced; NUL-terminated). CR_ENOINPUT when there is no such
 * member; CR_EDATA when it is over the per-member or per-archive limit, its ratio gives it
 * away as a bomb, or it does not decompress. */
int pp_zip_read(pp_zip *zip, const char *name, cr_buf *out, cr_err *err);

#endif
