/* blocks.h — text repeated across documents (licence headers, generated banners, site-wide
 * boilerplate) cut out of every document but the first few that carry it, with the blocks
 * remembered in a SQLite file beside the dedup index so that later runs count them too.
 * Whole-document duplicates are dedup.h's; the quality filters that judge what is left are
 * filters.h's. */
#ifndef PP_BLOCKS_H
#define PP_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "status.h"

#define PP_BLOCKS_MIN_BYTES 200 /* the default smallest window, in bytes of its lines */
#define PP_BLOCKS_MAX_KEEP 64   /* --block-dedup N is at most this */

/* A window (a block of lines that may repeat): runs of consecutive non-blank lines (blank lines
 * between them are skipped, not part of its text) cut where the content says: a window closes
 * after a line whose hash is 0 mod 4 once its lines hold min_bytes bytes (trailing blanks not
 * counted), and a line of min_bytes or more is a window of its own; lines left over at the end
 * under min_bytes are in no window. So a run of lines two documents share is cut into the same
 * windows in both, a line or so after its start. first/last are line numbers (0-based, counting
 * every line). */
typedef struct pp_block_window {
    uint64_t hash;
    size_t first, end; /* the non-blank lines first..end-1 */
} pp_block_window;

typedef struct pp_block_windows {
    pp_block_window *items;
    size_t count;
    uint64_t *line_hashes; /* of each non-blank line */
    size_t *line_numbers;  /* of each non-blank line in the text (0-based, every line counted) */
    size_t lines;          /* non-blank lines */
    size_t line_count;     /* all lines */
} pp_block_windows;

/* The windows of text, in order. -1 when out of memory. */
int pp_blocks_windows(const char *text, size_t len, size_t min_bytes, pp_block_windows *out);
void pp_block_windows_free(pp_block_windows *windows);

/* text without the non-blank lines marked in cut[] (one mark per non-blank line): a blank line
 * goes with them when the lines on both sides of it go; blank lines left at the start, the end,
 * or doubled where a block went are dropped; the result ends in one newline (or is empty).
 * *blocks is the number of separate runs of lines cut. -1 when out of memory. */
int pp_blocks_cut(const char *text, size_t len, const pp_block_windows *windows,
                  const unsigned char *cut, cr_buf *out, size_t *blocks);

typedef struct pp_blocks pp_blocks;

/* Opens the block index at path (its own SQLite file, created if needed: writes are batched in
 * transactions of several documents, which must not hold up the dedup index). min_bytes 0: the size
 * the index was made with, else PP_BLOCKS_MIN_BYTES; another size than the index's is refused
 * (CR_EUSAGE: its windows would never match). keep: how many documents keep a block (>= 1).
 * CR_EIO when the file cannot be opened. */
int pp_blocks_open(pp_blocks **blocks, const char *path, size_t min_bytes, int keep, cr_err *err);
/* Commits what is recorded and closes; CR_EIO (or CR_ETEMP) when the last commit fails: the
 * documents are written, but the blocks they keep are not remembered. */
int pp_blocks_close(pp_blocks *blocks, cr_err *err);

typedef struct pp_blocks_result {
    size_t blocks; /* separate runs of lines cut */
    size_t bytes;  /* bytes cut */
    int changed;   /* out holds the new text; else the text stays as it is */
} pp_blocks_result;

/* Forgets what document id kept on an earlier run, then for each window of
 * text in order: a window no document has is recorded as kept by id; one that fewer than keep
 * documents have is kept by id too; one that keep other documents have is cut. A document is
 * never cut by its own earlier run. When something is cut, out holds the new text. Thread-safe.
 * CR_ETEMP when another process holds the index too long; CR_EIO on a write failure. */
int pp_blocks_apply(pp_blocks *blocks, const char *id, const char *text, size_t len, cr_buf *out,
                    pp_blocks_result *result, cr_err *err);
/* Forgets that id keeps any block (its outputs were not written, or it was rejected). */
int pp_blocks_forget(pp_blocks *blocks, const char *id, cr_err *err);

#endif
