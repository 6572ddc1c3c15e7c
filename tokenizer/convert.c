/* convert.c — importing tiktoken ranks and GPT-2's files, exporting tiktoken ranks and Hugging
 * Face's tokenizer.json, and the `info` summary (see convert.h). GPT-2's files write each
 * byte as a printable code point (bytes_to_unicode); tok_gpt2_byte_char is that table.
 * The HF export lists, for each token in rank order, every split of it into two tokens as a
 * merge, so that HF's lowest-merge-first rule reproduces tiktoken's lowest-rank-first rule. */
#include "convert.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "json.h"
#include "parse.h"
#include "shard.h"
#include "utf8.h"

uint32_t tok_gpt2_byte_char(uint8_t byte)
{
    /* Printable Latin-1 stands for itself; the other 68 bytes take 256, 257, ... in order. */
    if ((byte >= '!' && byte <= '~') || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae)
        return byte;
    uint32_t shifted = 0;
    for (int b = 0; b < byte; b++)
        if (!((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae))
            shifted++;
    return 256 + shifted;
}

static size_t put_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Token bytes as GPT-2's printable string (NUL-terminated, out needs 2*len+1). */
static size_t gpt2_string(const uint8_t *bytes, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        o += put_utf8(tok_gpt2_byte_char(bytes[i]), out + o);
    out[o] = 0;
    return o;
}

/* The inverse: GPT-2's string to bytes; -1 when a character is not a byte's stand-in. */
static long gpt2_bytes(const char *text, uint8_t *out, const int *char_to_byte)
{
    long o = 0;
    const uint8_t *p = (const uint8_t *)text;
    while (*p) {
        uint32_t cp;
        if (p[0] < 0x80) {
            cp = *p++;
        } else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
            cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
            p += 2;
        } else {
            return -1;
        }
        if (cp >= 512 || char_to_byte[cp] < 0)
            return -1;
        out[o++] = (uint8_t)char_to_byte[cp];
    }
    return o;
}

static int add_specials(tok_vocab *v, const char *const *specials, int special_count, cr_err *err)
{
    for (int i = 0; i < special_count; i++) {
        const char *equals = strrchr(specials[i], '=');
        char name[1024];
        long id;
        if (!equals || equals == specials[i] || (size_t)(equals - specials[i]) >= sizeof name)
            return cr_fail(err, CR_EUSAGE, "--special %s: expected NAME=ID", specials[i]);
        memcpy(name, specials[i], (size_t)(equals - specials[i]));
        name[equals - specials[i]] = 0;
        int code = cr_parse_long(equals + 1, 0, TOK_MAX_VOCAB - 1, &id, err);
        if (code)
            return code;
        code = tok_vocab_add_special(v, name, (uint32_t)id, err);
        if (code)
            return code;
    }
    return CR_OK;
}

/* tiktoken's plain ranks: "BASE64 RANK" per line. */
static int read_ranks(tok_vocab *v, const char *path, cr_err *err)
{
    char *text;
    size_t size;
    int code = cr_read_file(path, &text, &size, 0, err);
    if (code)
        return code;
    uint8_t *bytes = malloc(size + 4);
    if (!bytes) {
        free(text);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    long line_number = 0;
    for (char *line = text; !code && line < text + size;) {
        char *end = memchr(line, '\n', (size_t)(text + size - line));
        if (!end)
            end = text + size;
        line_number++;
        size_t len = (size_t)(end - line);
        if (len && line[len - 1] == '\r')
            len--;
        if (len > 0) {
            char *space = memchr(line, ' ', len);
            long decoded = space ? tok_base64_decode(line, (size_t)(space - line), bytes) : -1;
            char number[16];
            size_t number_len = space ? len - (size_t)(space - line) - 1 : 0;
            long rank = -1;
            if (space && number_len > 0 && number_len < sizeof number) {
                memcpy(number, space + 1, number_len);
                number[number_len] = 0;
                char *number_end;
                rank = strtol(number, &number_end, 10);
                if (*number_end || number[0] < '0' || number[0] > '9' || rank > 0x7ffffffeL)
                    rank = -1;
            }
            if (decoded <= 0 || rank < 0)
                code =
                    cr_fail(err, CR_EDATA, "%s:%ld: expected \"BASE64 RANK\"", path, line_number);
            else if ((code = tok_vocab_add(v, bytes, (size_t)decoded, (uint32_t)rank, err))) {
                cr_err_context(err, "%s:%ld", path, line_number);
                err->code = code = CR_EDATA;
            }
        }
        line = end + 1;
    }
    free(bytes);
    free(text);
    if (!code && v->ordinary_count == 0)
        code = cr_fail(err, CR_EDATA, "%s: no ranks", path);
    return code;
}

/* The end of every import: the vocabulary must hold all 256 bytes; on any failure it is freed
 * and the first error's code returned; else the end-of-text token is picked. */
static int finish_import(tok_vocab *v, int code, cr_err *err)
{
    if (!code)
        code = tok_vocab_check(v, err);
    if (code) {
        int kept = err->code;
        tok_vocab_free(v);
        return kept ? kept : code;
    }
    tok_vocab_find_eot(v);
    return CR_OK;
}

int tok_import_tiktoken(tok_vocab *v, const char *path, const char *pattern,
                        const char *const *specials, int special_count, cr_err *err)
{
    tok_vocab_init(v);
    int code = tok_vocab_set_pattern(v, pattern, err);
    if (!code)
        code = read_ranks(v, path, err);
    if (!code)
        code = add_specials(v, specials, special_count, err);
    code = finish_import(v, code, err);
    if (code)
        return code;
    if (v->eot_id == TOK_NONE && special_count > 0) {
        char name[1024];
        const char *equals = strrchr(specials[0], '=');
        snprintf(name, sizeof name, "%.*s", (int)(equals - specials[0]), specials[0]);
        v->eot_id = tok_vocab_find_special(v, name);
    }
    return CR_OK;
}

int tok_import_gpt2(tok_vocab *v, const char *encoder_json, const char *vocab_bpe,
                    const char *pattern, cr_err *err)
{
    tok_vocab_init(v);
    int char_to_byte[512];
    for (int i = 0; i < 512; i++)
        char_to_byte[i] = -1;
    for (int b = 0; b < 256; b++)
        char_to_byte[tok_gpt2_byte_char((uint8_t)b)] = b;
    if (!cr_is_file(encoder_json))
        return cr_fail(err, CR_ENOINPUT, "%s: no such file", encoder_json);
    /* vocab.bpe: its merges in order; merge i makes token 256 + i. */
    char *merges;
    size_t merges_len;
    int code = cr_read_file(vocab_bpe, &merges, &merges_len, 0, err);
    if (code)
        return code;
    long merge_count = 0;
    for (char *line = merges; line < merges + merges_len;) {
        char *end = strchr(line, '\n');
        if (!end)
            end = merges + merges_len;
        if (end > line && !(line == merges && strncmp(line, "#version", 8) == 0))
            merge_count++;
        line = end + 1;
    }
    json_object *root = json_object_from_file(encoder_json);
    if (!root || !json_object_is_type(root, json_type_object)) {
        if (root)
            json_object_put(root);
        free(merges);
        return cr_fail(err, CR_EDATA, "%s: not a JSON object of token ids", encoder_json);
    }
    code = tok_vocab_set_pattern(v, pattern ? pattern : "gpt2", err);
    uint8_t bytes[4096];
    json_object_object_foreach(root, key, value)
    {
        if (code)
            break;
        int64_t id = json_object_get_int64(value);
        if (!json_object_is_type(value, json_type_int) || id < 0 || id > 0x7ffffffe) {
            code = cr_fail(err, CR_EDATA, "%s: \"%s\" has no valid id", encoder_json, key);
            break;
        }
        long len = strlen(key) < sizeof bytes / 2 ? gpt2_bytes(key, bytes, char_to_byte) : -1;
        if (id >= 256 + merge_count || len <= 0)
            code = tok_vocab_add_special(v, key, (uint32_t)id, err);
        else
            code = tok_vocab_add(v, bytes, (size_t)len, (uint32_t)id, err);
        if (code == CR_EUSAGE) /* a key with a line break: bad data here, not a bad option */
            err->code = code = CR_EDATA;
        if (code)
            cr_err_context(err, "%s", encoder_json);
    }
    json_object_put(root);
    /* Each merge must make the token with the next rank, as tiktoken's loader checks. */
    long merge_index = 0, line_number = 0;
    for (char *line = merges; !code && line < merges + merges_len;) {
        char *end = strchr(line, '\n');
        if (!end)
            end = merges + merges_len;
        *end = 0;
        line_number++;
        if (end > line && !(line == merges && strncmp(line, "#version", 8) == 0)) {
            char *space = strchr(line, ' ');
            uint8_t joined[4096];
            long left = -1, right = -1;
            if (space && (size_t)(end - line) < sizeof joined / 2) {
                *space = 0;
                left = gpt2_bytes(line, joined, char_to_byte);
                right = left > 0 ? gpt2_bytes(space + 1, joined + left, char_to_byte) : -1;
            }
            if (left <= 0 || right <= 0)
                code =
                    cr_fail(err, CR_EDATA, "%s:%ld: expected two tokens", vocab_bpe, line_number);
            else if (tok_vocab_find(v, joined, (size_t)(left + right)) !=
                     (uint32_t)(256 + merge_index))
                code =
                    cr_fail(err, CR_EDATA, "%s:%ld: merge %ld does not make token %ld of %s",
                            vocab_bpe, line_number, merge_index, 256 + merge_index, encoder_json);
            merge_index++;
        }
        line = end + 1;
    }
    free(merges);
    code = finish_import(v, code, err);
    if (code)
        return code;
    return CR_OK;
}

int tok_export_tiktoken(const tok_vocab *v, const char *path, cr_err *err)
{
    cr_buf out;
    cr_buf_init(&out);
    char *encoded = malloc(4 * ((TOK_MAX_TOKEN_BYTES + 2) / 3) + 1);
    if (!encoded)
        return cr_fail(err, CR_EOTHER, "out of memory");
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        if (tok_vocab_kind(v, id) != TOK_ORDINARY)
            continue;
        size_t len;
        const uint8_t *bytes = tok_vocab_bytes(v, id, &len);
        cr_buf_append(&out, encoded, tok_base64_encode(bytes, len, encoded));
        cr_buf_printf(&out, " %u\n", id);
    }
    free(encoded);
    int code = out.failed ? cr_fail(err, CR_EOTHER, "out of memory")
                          : cr_write_file_atomic(path, out.data, out.len, err);
    cr_buf_free(&out);
    return code;
}

typedef struct hf_merge {
    uint32_t token, left, right;
} hf_merge;

static int compare_merges(const void *a, const void *b)
{
    const hf_merge *x = a, *y = b;
    if (x->token != y->token)
        return x->token < y->token ? -1 : 1;
    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return (x->right > y->right) - (x->right < y->right);
}

int tok_export_hf(const tok_vocab *v, const char *path, cr_err *err)
{
    hf_merge *merges = NULL;
    size_t merge_count = 0, merge_cap = 0;
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        size_t len;
        const uint8_t *bytes = tok_vocab_bytes(v, id, &len);
        if (tok_vocab_kind(v, id) != TOK_ORDINARY || len < 2)
            continue;
        for (size_t split = 1; split < len; split++) {
            uint32_t left = tok_vocab_find(v, bytes, split);
            uint32_t right = tok_vocab_find(v, bytes + split, len - split);
            if (left == TOK_NONE || right == TOK_NONE)
                continue;
            if (cr_grow(&merges, &merge_cap, merge_count + 1, sizeof *merges) < 0) {
                free(merges);
                return cr_fail(err, CR_EOTHER, "out of memory");
            }
            merges[merge_count++] = (hf_merge){id, left, right};
        }
    }
    if (merge_count > 1)
        qsort(merges, merge_count, sizeof *merges, compare_merges);

    cr_buf out;
    cr_buf_init(&out);
    cr_json j;
    cr_json_init(&j, &out);
    char *text = malloc(2 * TOK_MAX_TOKEN_BYTES + 1), *text2 = malloc(2 * TOK_MAX_TOKEN_BYTES + 1);
    if (!text || !text2) {
        free(text);
        free(text2);
        free(merges);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "version", "1.0");
    cr_json_key(&j, "truncation");
    cr_json_null(&j);
    cr_json_key(&j, "padding");
    cr_json_null(&j);
    cr_json_key(&j, "added_tokens");
    cr_json_array_begin(&j);
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        if (tok_vocab_kind(v, id) != TOK_SPECIAL)
            continue;
        size_t len;
        const uint8_t *name = tok_vocab_bytes(v, id, &len);
        cr_json_object_begin(&j);
        cr_json_kv_int(&j, "id", id);
        cr_json_key(&j, "content");
        cr_json_string_n(&j, (const char *)name, len);
        cr_json_kv_bool(&j, "single_word", 0);
        cr_json_kv_bool(&j, "lstrip", 0);
        cr_json_kv_bool(&j, "rstrip", 0);
        cr_json_kv_bool(&j, "normalized", 0);
        cr_json_kv_bool(&j, "special", 1);
        cr_json_object_end(&j);
    }
    cr_json_array_end(&j);
    cr_json_key(&j, "normalizer");
    cr_json_null(&j);
    cr_json_key(&j, "pre_tokenizer");
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "type", "Sequence");
    cr_json_key(&j, "pretokenizers");
    cr_json_array_begin(&j);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "type", "Split");
    cr_json_key(&j, "pattern");
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "Regex", v->pattern);
    cr_json_object_end(&j);
    cr_json_kv_string(&j, "behavior", "Isolated");
    cr_json_kv_bool(&j, "invert", 0);
    cr_json_object_end(&j);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "type", "ByteLevel");
    cr_json_kv_bool(&j, "add_prefix_space", 0);
    cr_json_kv_bool(&j, "trim_offsets", 1);
    cr_json_kv_bool(&j, "use_regex", 0);
    cr_json_object_end(&j);
    cr_json_array_end(&j);
    cr_json_object_end(&j);
    cr_json_key(&j, "post_processor");
    cr_json_null(&j);
    cr_json_key(&j, "decoder");
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "type", "ByteLevel");
    cr_json_kv_bool(&j, "add_prefix_space", 1);
    cr_json_kv_bool(&j, "trim_offsets", 1);
    cr_json_kv_bool(&j, "use_regex", 1);
    cr_json_object_end(&j);
    cr_json_key(&j, "model");
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "type", "BPE");
    cr_json_key(&j, "dropout");
    cr_json_null(&j);
    cr_json_key(&j, "unk_token");
    cr_json_null(&j);
    cr_json_key(&j, "continuing_subword_prefix");
    cr_json_null(&j);
    cr_json_key(&j, "end_of_word_suffix");
    cr_json_null(&j);
    cr_json_kv_bool(&j, "fuse_unk", 0);
    cr_json_kv_bool(&j, "byte_fallback", 0);
    cr_json_kv_bool(&j, "ignore_merges", 1); /* a piece that is a token is that token */
    cr_json_key(&j, "vocab");
    cr_json_object_begin(&j);
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        size_t len;
        const uint8_t *bytes = tok_vocab_bytes(v, id, &len);
        if (!bytes)
            continue;
        if (tok_vocab_kind(v, id) == TOK_SPECIAL) {
            memcpy(text, bytes, len);
            text[len] = 0;
        } else {
            gpt2_string(bytes, len, text);
        }
        cr_json_key(&j, text);
        cr_json_int(&j, id);
    }
    cr_json_object_end(&j);
    cr_json_key(&j, "merges");
    cr_json_array_begin(&j);
    for (size_t i = 0; i < merge_count; i++) {
        size_t left_len, right_len;
        const uint8_t *left = tok_vocab_bytes(v, merges[i].left, &left_len);
        const uint8_t *right = tok_vocab_bytes(v, merges[i].right, &right_len);
        size_t n = gpt2_string(left, left_len, text);
        text[n++] = ' ';
        gpt2_string(right, right_len, text + n);
        cr_json_string(&j, text);
    }
    cr_json_array_end(&j);
    cr_json_object_end(&j);
    cr_json_object_end(&j);
    free(text);
    free(text2);
    free(merges);
    int code = out.failed ? cr_fail(err, CR_EOTHER, "out of memory")
                          : cr_write_file_atomic(path, out.data, out.len, err);
    cr_buf_free(&out);
    return code;
}

/* Printable text as it is (UTF-8 included); quotes, backslashes, control characters and
 * bytes that are not UTF-8 escaped. */
static void put_escaped(cr_buf *out, const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = bytes[i];
        size_t sequence = c >= 0x80 ? cr_utf8_sequence(bytes + i, len - i) : 0;
        if (sequence) {
            cr_buf_append(out, bytes + i, sequence);
            i += sequence;
            continue;
        }
        if (c == '"' || c == '\\')
            cr_buf_printf(out, "\\%c", c);
        else if (c == '\n')
            cr_buf_puts(out, "\\n");
        else if (c == '\t')
            cr_buf_puts(out, "\\t");
        else if (c >= 0x20 && c < 0x7f)
            cr_buf_putc(out, (char)c);
        else
            cr_buf_printf(out, "\\x%02x", c);
        i++;
    }
}

void tok_info(const tok_vocab *v, const char *path, int json, cr_buf *out)
{
    uint32_t longest = TOK_NONE;
    size_t longest_len = 0;
    for (uint32_t id = 0; id < v->vocab_size; id++) {
        size_t len;
        if (tok_vocab_kind(v, id) == TOK_ORDINARY && tok_vocab_bytes(v, id, &len) &&
            len > longest_len) {
            longest = id;
            longest_len = len;
        }
    }
    size_t len = 0;
    const uint8_t *longest_bytes = tok_vocab_bytes(v, longest, &len);
    size_t eot_len = 0;
    const uint8_t *eot = tok_vocab_bytes(v, v->eot_id, &eot_len);
    if (json) {
        cr_json j;
        cr_json_init(&j, out);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "tokenizer", path);
        cr_json_kv_int(&j, "vocab_size", v->vocab_size);
        cr_json_kv_int(&j, "ordinary_tokens", v->ordinary_count);
        cr_json_kv_string(&j, "pattern_name", v->pattern_name);
        cr_json_kv_string(&j, "pattern", v->pattern);
        cr_json_key(&j, "special_tokens");
        cr_json_object_begin(&j);
        for (uint32_t id = 0; id < v->vocab_size; id++)
            if (tok_vocab_kind(v, id) == TOK_SPECIAL) {
                size_t name_len;
                cr_json_kv_int(&j, (const char *)tok_vocab_bytes(v, id, &name_len), id);
            }
        cr_json_object_end(&j);
        cr_json_key(&j, "end_of_text");
        if (eot)
            cr_json_int(&j, v->eot_id);
        else
            cr_json_null(&j);
        cr_json_kv_int(&j, "longest_token_id", longest == TOK_NONE ? -1 : (int64_t)longest);
        cr_json_kv_int(&j, "longest_token_bytes", (int64_t)longest_len);
        cr_json_kv_int(&j, "shard_version", cr_shard_version_for_vocab(v->vocab_size));
        cr_json_object_end(&j);
        cr_buf_putc(out, '\n');
        return;
    }
    cr_buf_printf(out, "tokenizer:     %s\n", path);
    cr_buf_printf(out, "vocab size:    %u (%u ordinary, %u special)\n", v->vocab_size,
                  v->ordinary_count, v->special_count);
    cr_buf_printf(out, "pattern:       %s: %s\n", v->pattern_name, v->pattern);
    for (uint32_t id = 0; id < v->vocab_size; id++)
        if (tok_vocab_kind(v, id) == TOK_SPECIAL) {
            size_t name_len;
            cr_buf_printf(out, "special token: %u %s\n", id,
                          (const char *)tok_vocab_bytes(v, id, &name_len));
        }
    if (eot)
        cr_buf_printf(out, "end of text:   %u %.*s\n", v->eot_id, (int)eot_len, eot);
    else
        cr_buf_printf(out, "end of text:   none (encode needs one)\n");
    if (longest_bytes) {
        cr_buf_printf(out, "longest token: %u, %zu bytes: \"", longest, longest_len);
        put_escaped(out, longest_bytes, len);
        cr_buf_puts(out, "\"\n");
    }
    int version = cr_shard_version_for_vocab(v->vocab_size);
    cr_buf_printf(out, "shards:        version %d (%s tokens)\n", version,
                  version == 1 ? "uint16" : "uint32");
}
