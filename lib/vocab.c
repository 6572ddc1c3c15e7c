/* vocab.c — the vocabulary in memory and the tokenizer file on disk (see vocab.h).
 * The file is tiktoken's ranks format under a short text header; docs/tokenizer.md describes
 * it byte for byte. This file does not encode (bpe.c) nor pre-tokenise (pretok.c). */
#include "vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "pretok.h"

const char TOK_PATTERN_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char TOK_PATTERN_GPT4[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

uint64_t tok_hash_bytes(const uint8_t *bytes, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        h = (h ^ word) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        bytes += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)bytes[i] << (8 * i);
    h = (h ^ tail) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
}

void tok_vocab_init(tok_vocab *v)
{
    memset(v, 0, sizeof *v);
    v->eot_id = TOK_NONE;
    snprintf(v->pattern_name, sizeof v->pattern_name, "gpt4");
}

void tok_vocab_free(tok_vocab *v)
{
    free(v->offset);
    free(v->length);
    free(v->kind);
    free(v->store);
    free(v->pattern);
    free(v->table);
    tok_vocab_init(v);
}

static int grow_ids(tok_vocab *v, uint32_t id, cr_err *err)
{
    if (id == TOK_NONE || id >= TOK_MAX_VOCAB)
        return cr_fail(err, CR_EDATA, "token id %u is too large (at most %u)", id,
                       TOK_MAX_VOCAB - 1);
    if (id < v->id_capacity)
        return CR_OK;
    /* three arrays of one length: each grows alike from the same capacity; on a failure
     * id_capacity stays what all three hold at least */
    size_t offset_cap = v->id_capacity, length_cap = v->id_capacity, kind_cap = v->id_capacity;
    if (cr_grow(&v->offset, &offset_cap, (size_t)id + 1, sizeof *v->offset) < 0 ||
        cr_grow(&v->length, &length_cap, (size_t)id + 1, sizeof *v->length) < 0 ||
        cr_grow(&v->kind, &kind_cap, (size_t)id + 1, sizeof *v->kind) < 0)
        return cr_fail(err, CR_EOTHER, "out of memory for %u tokens", id + 1);
    memset(v->kind + v->id_capacity, 0, kind_cap - v->id_capacity);
    v->id_capacity = (uint32_t)kind_cap;
    return CR_OK;
}

static int store_bytes(tok_vocab *v, const void *bytes, size_t len, uint64_t *offset, cr_err *err)
{
    if (cr_grow(&v->store, &v->store_cap, v->store_len + len + 1, 1) < 0)
        return cr_fail(err, CR_EOTHER, "out of memory for token bytes");
    memcpy(v->store + v->store_len, bytes, len);
    v->store[v->store_len + len] = 0; /* specials read as C strings */
    *offset = v->store_len;
    v->store_len += len + 1;
    return CR_OK;
}

static int table_insert(tok_vocab *v, uint32_t id, cr_err *err)
{
    if (!v->table || (size_t)v->ordinary_count * 2 >= v->table_mask + 1) {
        size_t size = v->table ? (v->table_mask + 1) * 2 : 1024;
        uint32_t *table = malloc(size * sizeof *table);
        if (!table)
            return cr_fail(err, CR_EOTHER, "out of memory for the token table");
        memset(table, 0xff, size * sizeof *table);
        uint32_t *old = v->table;
        size_t old_size = v->table ? v->table_mask + 1 : 0;
        v->table = table;
        v->table_mask = size - 1;
        for (size_t i = 0; i < old_size; i++) {
            if (old[i] == TOK_NONE)
                continue;
            uint32_t moved = old[i];
            size_t slot =
                tok_hash_bytes(v->store + v->offset[moved], v->length[moved]) & v->table_mask;
            while (table[slot] != TOK_NONE)
                slot = (slot + 1) & v->table_mask;
            table[slot] = moved;
        }
        free(old);
    }
    size_t slot = tok_hash_bytes(v->store + v->offset[id], v->length[id]) & v->table_mask;
    while (v->table[slot] != TOK_NONE)
        slot = (slot + 1) & v->table_mask;
    v->table[slot] = id;
    return CR_OK;
}

uint32_t tok_vocab_find(const tok_vocab *v, const uint8_t *bytes, size_t len)
{
    if (!v->table)
        return TOK_NONE;
    size_t slot = tok_hash_bytes(bytes, len) & v->table_mask;
    for (;;) {
        uint32_t id = v->table[slot];
        if (id == TOK_NONE)
            return TOK_NONE;
        if (v->length[id] == len && memcmp(v->store + v->offset[id], bytes, len) == 0)
            return id;
        slot = (slot + 1) & v->table_mask;
    }
}

int tok_vocab_add(tok_vocab *v, const uint8_t *bytes, size_t len, uint32_t id, cr_err *err)
{
    if (len == 0)
        return cr_fail(err, CR_EDATA, "token %u is empty", id);
    if (len > TOK_MAX_TOKEN_BYTES)
        return cr_fail(err, CR_EDATA, "token %u is longer than %u bytes", id, TOK_MAX_TOKEN_BYTES);
    int code = grow_ids(v, id, err);
    if (code)
        return code;
    if (id < v->vocab_size && v->kind[id] != TOK_UNUSED)
        return cr_fail(err, CR_EDATA, "duplicate rank %u", id);
    uint32_t existing = tok_vocab_find(v, bytes, len);
    if (existing != TOK_NONE)
        return cr_fail(err, CR_EDATA, "ranks %u and %u have the same bytes", existing, id);
    code = store_bytes(v, bytes, len, &v->offset[id], err);
    if (code)
        return code;
    v->length[id] = (uint32_t)len;
    v->kind[id] = TOK_ORDINARY;
    if (id >= v->vocab_size)
        v->vocab_size = id + 1;
    v->ordinary_count++;
    return table_insert(v, id, err);
}

int tok_vocab_add_special(tok_vocab *v, const char *name, uint32_t id, cr_err *err)
{
    size_t len = strlen(name);
    size_t line_len = strcspn(name, "\r\n"); /* the message stays one line */
    if (len == 0 || line_len < len)
        return cr_fail(err, CR_EUSAGE, "special token name \"%.*s%s\" is empty or has a line break",
                       (int)line_len, name, line_len < len ? "..." : "");
    int code = grow_ids(v, id, err);
    if (code)
        return code;
    if (id < v->vocab_size && v->kind[id] != TOK_UNUSED)
        return cr_fail(err, CR_EDATA, "special token %s: id %u is already used", name, id);
    if (tok_vocab_find_special(v, name) != TOK_NONE)
        return cr_fail(err, CR_EDATA, "special token %s given twice", name);
    code = store_bytes(v, name, len, &v->offset[id], err);
    if (code)
        return code;
    v->length[id] = (uint32_t)len;
    v->kind[id] = TOK_SPECIAL;
    if (id >= v->vocab_size)
        v->vocab_size = id + 1;
    v->special_count++;
    return CR_OK;
}

uint32_t tok_vocab_find_special(const tok_vocab *v, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t id = 0; id < v->vocab_size; id++)
        if (v->kind[id] == TOK_SPECIAL && v->length[id] == len &&
            memcmp(v->store + v->offset[id], name, len) == 0)
            return id;
    return TOK_NONE;
}

void tok_vocab_find_eot(tok_vocab *v)
{
    v->eot_id = tok_vocab_find_special(v, "<|endoftext|>");
}

const uint8_t *tok_vocab_bytes(const tok_vocab *v, uint32_t id, size_t *len)
{
    if (id >= v->vocab_size || v->kind[id] == TOK_UNUSED) {
        *len = 0;
        return NULL;
    }
    *len = v->length[id];
    return v->store + v->offset[id];
}

int tok_vocab_set_pattern(tok_vocab *v, const char *name_or_regex, cr_err *err)
{
    const char *regex = name_or_regex;
    const char *name = "custom";
    if (strcmp(name_or_regex, "gpt2") == 0) {
        regex = TOK_PATTERN_GPT2;
        name = "gpt2";
    } else if (strcmp(name_or_regex, "gpt4") == 0 || strcmp(name_or_regex, "cl100k") == 0) {
        regex = TOK_PATTERN_GPT4;
        name = "gpt4";
    } else if (strcmp(regex, TOK_PATTERN_GPT2) == 0) {
        name = "gpt2";
    } else if (strcmp(regex, TOK_PATTERN_GPT4) == 0) {
        name = "gpt4";
    }
    if (!*regex || strpbrk(regex, "\r\n"))
        return cr_fail(err, CR_EUSAGE, "pattern is empty or has a line break");
    /* A pattern that does not compile is refused where it enters (command line, tokenizer
     * file, import), not later when a run first needs it. */
    tok_pretok compiled;
    int code = tok_pretok_compile(&compiled, regex, err);
    if (code)
        return code;
    tok_pretok_free(&compiled);
    char *copy = strdup(regex);
    if (!copy)
        return cr_fail(err, CR_EOTHER, "out of memory");
    free(v->pattern);
    v->pattern = copy;
    snprintf(v->pattern_name, sizeof v->pattern_name, "%s", name);
    return CR_OK;
}

int tok_vocab_check(const tok_vocab *v, cr_err *err)
{
    for (int byte = 0; byte < 256; byte++) {
        uint8_t b = (uint8_t)byte;
        if (tok_vocab_find(v, &b, 1) == TOK_NONE)
            return cr_fail(err, CR_EDATA,
                           "byte 0x%02x is not a token: a byte-level vocabulary needs all 256",
                           byte);
    }
    return CR_OK;
}

/* ---- base64 ---- */

static const char base64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t tok_base64_encode(const uint8_t *bytes, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t chunk = (uint32_t)bytes[i] << 16;
        if (i + 1 < len)
            chunk |= (uint32_t)bytes[i + 1] << 8;
        if (i + 2 < len)
            chunk |= bytes[i + 2];
        out[o++] = base64_digits[chunk >> 18 & 63];
        out[o++] = base64_digits[chunk >> 12 & 63];
        out[o++] = i + 1 < len ? base64_digits[chunk >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? base64_digits[chunk & 63] : '=';
    }
    out[o] = 0;
    return o;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long tok_base64_decode(const char *text, size_t text_len, uint8_t *out)
{
    if (text_len == 0 || text_len % 4 != 0)
        return -1;
    long o = 0;
    for (size_t i = 0; i < text_len; i += 4) {
        int last = i + 4 == text_len;
        int pad = 0;
        uint32_t chunk = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            int value;
            if (c == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                pad++;
                value = 0;
            } else {
                value = base64_value(c);
                if (value < 0 || pad)
                    return -1;
            }
            chunk = chunk << 6 | (uint32_t)value;
        }
        out[o++] = (uint8_t)(chunk >> 16);
        if (pad < 2)
            out[o++] = (uint8_t)(chunk >> 8);
        if (pad < 1)
            out[o++] = (uint8_t)chunk;
    }
    return o;
}

/* ---- the tokenizer file ---- */

int tok_vocab_save(const tok_vocab *v, const char *path, cr_err *err)
{
    cr_buf out;
    cr_buf_init(&out);
    cr_buf_printf(&out, "%s %d\n", TOK_FILE_MAGIC, TOK_FILE_VERSION);
    cr_buf_printf(&out, "pattern-name %s\n", v->pattern_name);
    cr_buf_printf(&out, "pattern %s\n", v->pattern ? v->pattern : TOK_PATTERN_GPT4);
    for (uint32_t id = 0; id < v->vocab_size; id++)
        if (v->kind[id] == TOK_SPECIAL)
            cr_buf_printf(&out, "special %u %s\n", id, (const char *)v->store + v->offset[id]);
    if (v->eot_id != TOK_NONE)
        cr_buf_printf(&out, "end-of-text %u\n", v->eot_id);
    cr_buf_printf(&out, "vocab-size %u\n", v->vocab_size);
    cr_buf_printf(&out, "ranks %u\n\n", v->ordinary_count);
    char *encoded = malloc(4 * ((TOK_MAX_TOKEN_BYTES + 2) / 3) + 1);
    if (!encoded) {
        cr_buf_free(&out);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        if (v->kind[id] != TOK_ORDINARY)
            continue;
        size_t n = tok_base64_encode(v->store + v->offset[id], v->length[id], encoded);
        cr_buf_append(&out, encoded, n);
        cr_buf_printf(&out, " %u\n", id);
    }
    free(encoded);
    if (out.failed) {
        cr_buf_free(&out);
        return cr_fail(err, CR_EOTHER, "out of memory writing %s", path);
    }
    int code = cr_write_file_atomic(path, out.data, out.len, err);
    cr_buf_free(&out);
    return code;
}

static int parse_u32(const char *text, size_t len, uint32_t *value)
{
    if (len == 0 || len > 10)
        return -1;
    uint64_t result = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        result = result * 10 + (uint64_t)(text[i] - '0');
    }
    if (result >= TOK_NONE)
        return -1;
    *value = (uint32_t)result;
    return 0;
}

/* One line of the file: [line, end) without the LF. */
typedef struct line_reader {
    const char *next, *limit;
    long number;
} line_reader;

static int next_line(line_reader *r, const char **line, size_t *len)
{
    if (r->next >= r->limit)
        return 0;
    const char *end = memchr(r->next, '\n', (size_t)(r->limit - r->next));
    if (!end)
        end = r->limit;
    *line = r->next;
    *len = (size_t)(end - r->next);
    r->next = end + 1;
    r->number++;
    return 1;
}

static int parse_file(tok_vocab *v, const char *path, const char *text, size_t size, cr_err *err)
{
    line_reader r = {text, text + size, 0};
    const char *line;
    size_t len;
    char magic[64];
    snprintf(magic, sizeof magic, "%s %d", TOK_FILE_MAGIC, TOK_FILE_VERSION);
    if (!next_line(&r, &line, &len) || len != strlen(magic) || memcmp(line, magic, len) != 0)
        return cr_fail(err, CR_EDATA, "%s:1: not a crystalline tokenizer file (expected \"%s\")",
                       path, magic);
    uint32_t rank_count = TOK_NONE, vocab_size = TOK_NONE, eot = TOK_NONE;
    int have_pattern = 0;
    char name[32] = "custom";
    for (;;) {
        if (!next_line(&r, &line, &len))
            return cr_fail(err, CR_EDATA, "%s:%ld: truncated: the header does not end", path,
                           r.number);
        if (len == 0)
            break;
        const char *space = memchr(line, ' ', len);
        if (!space)
            return cr_fail(err, CR_EDATA, "%s:%ld: header line without a value", path, r.number);
        size_t key_len = (size_t)(space - line);
        const char *value = space + 1;
        size_t value_len = len - key_len - 1;
        char copy[4096];
        if (value_len >= sizeof copy)
            return cr_fail(err, CR_EDATA, "%s:%ld: header line too long", path, r.number);
        memcpy(copy, value, value_len);
        copy[value_len] = 0;
#define KEY(k) (key_len == strlen(k) && memcmp(line, k, key_len) == 0)
        if (KEY("pattern")) {
            if (tok_vocab_set_pattern(v, copy, err)) {
                cr_err_context(err, "%s:%ld", path, r.number);
                err->code = CR_EDATA; /* bad data in the file, not a bad command line */
                return CR_EDATA;
            }
            have_pattern = 1;
        } else if (KEY("pattern-name")) {
            snprintf(name, sizeof name, "%.31s", copy);
        } else if (KEY("special")) {
            char *id_end = strchr(copy, ' ');
            uint32_t id;
            if (!id_end || parse_u32(copy, (size_t)(id_end - copy), &id) != 0)
                return cr_fail(err, CR_EDATA, "%s:%ld: expected \"special ID NAME\"", path,
                               r.number);
            if (tok_vocab_add_special(v, id_end + 1, id, err)) {
                cr_err_context(err, "%s:%ld", path, r.number);
                err->code = CR_EDATA;
                return CR_EDATA;
            }
        } else if (KEY("end-of-text") || KEY("vocab-size") || KEY("ranks")) {
            uint32_t number;
            if (parse_u32(copy, value_len, &number) != 0)
                return cr_fail(err, CR_EDATA, "%s:%ld: bad number \"%s\"", path, r.number, copy);
            if (KEY("end-of-text"))
                eot = number;
            else if (KEY("vocab-size"))
                vocab_size = number;
            else
                rank_count = number;
        } /* other keys: written by a newer version, ignored */
#undef KEY
    }
    if (!have_pattern || rank_count == TOK_NONE || vocab_size == TOK_NONE)
        return cr_fail(err, CR_EDATA, "%s: header lacks %s", path,
                       !have_pattern            ? "a pattern"
                       : rank_count == TOK_NONE ? "ranks"
                                                : "vocab-size");
    snprintf(v->pattern_name, sizeof v->pattern_name, "%s", name);
    uint8_t *bytes = malloc(TOK_MAX_TOKEN_BYTES + 4);
    if (!bytes)
        return cr_fail(err, CR_EOTHER, "out of memory");
    int code = CR_OK;
    for (uint32_t i = 0; i < rank_count && code == CR_OK; i++) {
        if (!next_line(&r, &line, &len)) {
            code = cr_fail(err, CR_EDATA, "%s:%ld: truncated: %u of %u ranks", path, r.number, i,
                           rank_count);
            break;
        }
        const char *space = memchr(line, ' ', len);
        uint32_t rank;
        size_t text_len = space ? (size_t)(space - line) : 0;
        long decoded = -1;
        if (space && text_len <= 4 * ((TOK_MAX_TOKEN_BYTES + 2) / 3))
            decoded = tok_base64_decode(line, text_len, bytes);
        if (!space || decoded <= 0 || parse_u32(space + 1, len - text_len - 1, &rank) != 0) {
            code = cr_fail(err, CR_EDATA, "%s:%ld: expected \"BASE64 RANK\"", path, r.number);
            break;
        }
        code = tok_vocab_add(v, bytes, (size_t)decoded, rank, err);
        if (code) {
            cr_err_context(err, "%s:%ld", path, r.number);
            code = err->code = CR_EDATA;
        }
    }
    free(bytes);
    if (code)
        return code;
    if (next_line(&r, &line, &len) && !(len == 0 && r.next >= r.limit))
        return cr_fail(err, CR_EDATA, "%s:%ld: more ranks than the header's %u", path, r.number,
                       rank_count);
    if (vocab_size != v->vocab_size)
        return cr_fail(err, CR_EDATA, "%s: header says vocab-size %u, the tokens make %u", path,
                       vocab_size, v->vocab_size);
    if (eot != TOK_NONE && tok_vocab_kind(v, eot) != TOK_SPECIAL)
        return cr_fail(err, CR_EDATA, "%s: end-of-text %u is not a special token", path, eot);
    v->eot_id = eot;
    if (tok_vocab_check(v, err))
        return cr_err_context(err, "%s", path);
    return CR_OK;
}

int tok_vocab_load(tok_vocab *v, const char *path, cr_err *err)
{
    tok_vocab_init(v);
    char *text;
    size_t size;
    int code = cr_read_file(path, &text, &size, 0, err);
    if (code)
        return code;
    code = parse_file(v, path, text, size, err);
    free(text);
    if (code) {
        int kept = err ? err->code : code;
        tok_vocab_free(v);
        if (err)
            err->code = kept;
        return kept ? kept : code;
    }
    return CR_OK;
}
