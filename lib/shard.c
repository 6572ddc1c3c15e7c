/* shard.c — see shard.h. */
#include "shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int32_t read_le32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int cr_shard_parse_header(const uint8_t *header, int64_t file_size, const char *path,
                          int *version_out, uint64_t *count_out, cr_err *err)
{
    int32_t magic = read_le32(header), version = read_le32(header + 4);
    int64_t count = read_le32(header + 8);
    if (magic != CR_SHARD_MAGIC)
        return cr_fail(err, CR_EDATA, "shard %s: bad magic %d (expected %d)", path, magic,
                       CR_SHARD_MAGIC);
    if (version != 1 && version != 2)
        return cr_fail(err, CR_EDATA, "shard %s: unsupported version %d (expected 1 or 2)", path,
                       version);
    if (count < 0)
        return cr_fail(err, CR_EDATA, "shard %s: negative token count %lld", path,
                       (long long)count);
    size_t width = version == 1 ? 2 : 4;
    size_t expected = CR_SHARD_HEADER_BYTES + (size_t)count * width;
    if (file_size >= 0 && (size_t)file_size < expected)
        return cr_fail(err, CR_EDATA,
                       "shard %s: truncated: header says %lld tokens (%zu bytes), file has "
                       "%zu bytes",
                       path, (long long)count, expected, (size_t)file_size);
    if (file_size >= 0 && (size_t)file_size > expected)
        return cr_fail(err, CR_EDATA,
                       "shard %s: header says %lld tokens (%zu bytes), file has %zu bytes", path,
                       (long long)count, expected, (size_t)file_size);
    *version_out = version;
    *count_out = (uint64_t)count;
    return CR_OK;
}

int cr_shard_open(cr_shard *s, const char *path, cr_err *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    /* O_NONBLOCK: a FIFO named as a shard is refused below, not waited on. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening shard %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int code = cr_fail_errno(err, CR_EIO, "reading shard %s", path);
        close(fd);
        return code;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cr_fail(err, CR_EDATA, "shard %s: not a regular file (%s)", path,
                       S_ISDIR(st.st_mode)                          ? "a folder"
                       : S_ISFIFO(st.st_mode)                       ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "a socket");
    }
    size_t size = (size_t)st.st_size;
    if (size < CR_SHARD_HEADER_BYTES) {
        close(fd);
        return cr_fail(err, CR_EDATA, "shard %s: truncated header (%zu of %d bytes)", path, size,
                       CR_SHARD_HEADER_BYTES);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return cr_fail_errno(err, CR_EIO, "mapping shard %s", path);
    const uint8_t *bytes = map;
    int version;
    uint64_t count;
    int code = cr_shard_parse_header(bytes, (int64_t)size, path, &version, &count, err);
    if (code) {
        munmap(map, size);
        return code;
    }
    s->version = version;
    s->token_count = count;
    s->map = map;
    s->map_len = size;
    s->tokens = bytes + CR_SHARD_HEADER_BYTES;
    return CR_OK;
}

void cr_shard_close(cr_shard *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    s->map = NULL;
    s->tokens = NULL;
}

int cr_shard_check_vocab(const cr_shard *s, uint32_t vocab_size, cr_err *err)
{
    for (uint64_t i = 0; i < s->token_count; i++) {
        uint32_t token = cr_shard_token(s, i);
        if (token >= vocab_size)
            return cr_fail(err, CR_EDATA,
                           "shard %s: token %u at position %llu is outside the vocabulary of %u",
                           s->path, token, (unsigned long long)i, vocab_size);
    }
    return CR_OK;
}

int cr_shard_version_for_vocab(uint64_t vocab_size)
{
    return vocab_size <= 65536 ? 1 : 2;
}

int cr_shard_writer_open(cr_shard_writer *w, const char *path, int version, cr_err *err)
{
    if (version != 1 && version != 2)
        return cr_fail(err, CR_EUSAGE, "shard %s: unsupported version %d", path, version);
    w->version = version;
    w->token_count = 0;
    w->buffered = 0;
    int code = cr_atomic_open(&w->file, path, err);
    if (code)
        return code;
    uint8_t header[CR_SHARD_HEADER_BYTES] = {0}; /* filled in at commit */
    code = cr_atomic_write(&w->file, header, sizeof header, err);
    if (code)
        cr_atomic_abort(&w->file);
    return code;
}

static int flush(cr_shard_writer *w, cr_err *err)
{
    int code = cr_atomic_write(&w->file, w->buffer, w->buffered, err);
    w->buffered = 0;
    return code;
}

int cr_shard_writer_put(cr_shard_writer *w, const uint32_t *tokens, size_t count, cr_err *err)
{
    size_t width = w->version == 1 ? 2 : 4;
    if (w->token_count + count > CR_SHARD_MAX_TOKENS)
        return cr_fail(err, CR_EDATA, "shard %s: more than %llu tokens", w->file.final_path,
                       CR_SHARD_MAX_TOKENS);
    for (size_t i = 0; i < count; i++) {
        uint32_t token = tokens[i];
        if (w->version == 1 && token > 0xffff)
            return cr_fail(err, CR_EDATA,
                           "shard %s: token %u does not fit version 1 (uint16); use version 2",
                           w->file.final_path, token);
        if (w->buffered + width > sizeof w->buffer) {
            int code = flush(w, err);
            if (code)
                return code;
        }
        uint8_t *p = w->buffer + w->buffered;
        p[0] = (uint8_t)token;
        p[1] = (uint8_t)(token >> 8);
        if (width == 4) {
            p[2] = (uint8_t)(token >> 16);
            p[3] = (uint8_t)(token >> 24);
        }
        w->buffered += width;
    }
    w->token_count += count;
    return CR_OK;
}

int cr_shard_writer_commit(cr_shard_writer *w, cr_err *err)
{
    int code = flush(w, err);
    if (code == CR_OK) {
        uint8_t header[12];
        write_le32(header, CR_SHARD_MAGIC);
        write_le32(header + 4, (uint32_t)w->version);
        write_le32(header + 8, (uint32_t)w->token_count);
        code = cr_atomic_pwrite(&w->file, header, sizeof header, 0, err);
    }
    if (code) {
        cr_atomic_abort(&w->file);
        return code;
    }
    return cr_atomic_commit(&w->file, err);
}

void cr_shard_writer_abort(cr_shard_writer *w)
{
    cr_atomic_abort(&w->file);
}
