/* shard.h — the one reader and writer of token shards (llm.c's data format, SPEC.md).
 * Header: 256 little-endian int32, [0]=20240520, [1]=version (1: uint16 tokens, 2: uint32
 * tokens, our extension for vocabularies over 65,535), [2]=token count; then the tokens.
 * The reader maps the file and refuses a bad magic, an unknown version, a truncated file and a
 * count that disagrees with the size, naming the file. The writer is atomic (fs.h). */
#ifndef CR_SHARD_H
#define CR_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "status.h"

#define CR_SHARD_MAGIC 20240520
#define CR_SHARD_HEADER_INTS 256
#define CR_SHARD_HEADER_BYTES (CR_SHARD_HEADER_INTS * 4)
#define CR_SHARD_MAX_TOKENS 0x7fffffffULL /* the count is an int32 */

typedef struct cr_shard {
    char path[4096];
    int version; /* 1 or 2 */
    uint64_t token_count;
    const uint8_t *tokens; /* little-endian uint16 (v1) or uint32 (v2) */
    void *map;
    size_t map_len;
} cr_shard;

/* Maps a shard file; a path that is not a regular file (a folder, a FIFO, a device) is
 * CR_EDATA, refused without reading or waiting. */
int cr_shard_open(cr_shard *s, const char *path, cr_err *err);
/* Checks the first CR_SHARD_HEADER_BYTES of a shard and gives its version and token count;
 * file_size (-1 when unknown: a stream) must then match the count exactly. The one header
 * check, shared by cr_shard_open and the readers of a stream. */
int cr_shard_parse_header(const uint8_t *header, int64_t file_size, const char *path, int *version,
                          uint64_t *count, cr_err *err);
void cr_shard_close(cr_shard *s);
static inline uint32_t cr_shard_token(const cr_shard *s, uint64_t i)
{
    const uint8_t *p = s->tokens + (s->version == 1 ? 2 : 4) * i;
    return s->version == 1
               ? (uint32_t)(p[0] | p[1] << 8)
               : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
/* CR_EDATA naming the first token >= vocab_size and its position. */
int cr_shard_check_vocab(const cr_shard *s, uint32_t vocab_size, cr_err *err);

typedef struct cr_shard_writer {
    cr_atomic_file file;
    int version;
    uint64_t token_count;
    size_t buffered; /* bytes in buffer */
    uint8_t buffer[1 << 16];
} cr_shard_writer;

/* version 1 (uint16) or 2 (uint32). */
int cr_shard_writer_open(cr_shard_writer *w, const char *path, int version, cr_err *err);
/* CR_EDATA for a token that does not fit the version, or a shard over 2^31-1 tokens. */
int cr_shard_writer_put(cr_shard_writer *w, const uint32_t *tokens, size_t count, cr_err *err);
/* Writes the header with the final count and renames the file into place. */
int cr_shard_writer_commit(cr_shard_writer *w, cr_err *err);
void cr_shard_writer_abort(cr_shard_writer *w);

/* The version a vocabulary needs: 1 up to 65,536 tokens (ids 0..65535), else 2. */
int cr_shard_version_for_vocab(uint64_t vocab_size);

#endif
