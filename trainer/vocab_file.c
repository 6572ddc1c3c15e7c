/* vocab_file.c — reads the tokenizer file's header and ranks (vocab_file.h): lines
 * "crystalline-tokenizer 1", "key value" header lines up to a blank line ("vocab-size N",
 * "end-of-text ID", "special ID NAME"), then one "base64 id" line per ordinary token. */
#include "vocab_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

static int base64_value(int c)
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

static long base64_decode(const char *text, size_t len, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '=')
            break;
        int v = base64_value((unsigned char)text[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

void vocab_file_free(vocab_file *v)
{
    if (v->bytes)
        for (uint32_t i = 0; i < v->vocab_size; i++)
            free(v->bytes[i]);
    free(v->bytes);
    free(v->length);
    memset(v, 0, sizeof *v);
}

static int set_entry(vocab_file *v, uint32_t id, const uint8_t *bytes, size_t len)
{
    if (id >= v->vocab_size)
        return -1;
    free(v->bytes[id]);
    v->bytes[id] = malloc(len + 1);
    if (!v->bytes[id])
        return -1;
    memcpy(v->bytes[id], bytes, len);
    v->bytes[id][len] = 0;
    v->length[id] = (uint32_t)len;
    return 0;
}

int vocab_file_read(vocab_file *v, const char *path, int table, cr_err *err)
{
    memset(v, 0, sizeof *v);
    v->eot_id = UINT32_MAX;
    char *text;
    size_t size;
    int code = cr_read_file(path, &text, &size, 0, err);
    if (code)
        return code;
    char *line = text, *end = text + size;
    long number = 0;
    int in_header = 1, have_size = 0;
    /* specials come before vocab-size in the header: keep them until the table exists */
    char *specials[64];
    uint32_t special_ids[64];
    int special_count = 0;
    uint8_t *decoded = NULL;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            nl = end;
        *nl = 0;
        number++;
        if (number == 1) {
            if (strncmp(line, "crystalline-tokenizer ", 22) != 0) {
                code = cr_fail(err, CR_EDATA, "%s:1: not a tokenizer file", path);
                break;
            }
        } else if (in_header) {
            if (*line == 0) {
                in_header = 0;
                if (!have_size) {
                    code = cr_fail(err, CR_EDATA, "%s: no vocab-size line", path);
                    break;
                }
                if (!table)
                    break;
                v->bytes = calloc(v->vocab_size, sizeof *v->bytes);
                v->length = calloc(v->vocab_size, sizeof *v->length);
                decoded = malloc(size + 4);
                if (!v->bytes || !v->length || !decoded) {
                    code = cr_fail(err, CR_EOTHER, "out of memory reading %s", path);
                    break;
                }
                for (int i = 0; i < special_count; i++)
                    set_entry(v, special_ids[i], (const uint8_t *)specials[i], strlen(specials[i]));
            } else if (strncmp(line, "vocab-size ", 11) == 0) {
                long value = strtol(line + 11, NULL, 10);
                if (value < 1 || value > (1L << 24)) {
                    code = cr_fail(err, CR_EDATA, "%s:%ld: bad vocab-size", path, number);
                    break;
                }
                v->vocab_size = (uint32_t)value;
                have_size = 1;
            } else if (strncmp(line, "end-of-text ", 12) == 0) {
                v->eot_id = (uint32_t)strtoul(line + 12, NULL, 10);
            } else if (strncmp(line, "special ", 8) == 0 && special_count < 64) {
                char *name = strchr(line + 8, ' ');
                if (name) {
                    special_ids[special_count] = (uint32_t)strtoul(line + 8, NULL, 10);
                    specials[special_count++] = name + 1;
                }
            }
        } else if (*line) {
            char *space = strrchr(line, ' ');
            long n = space ? base64_decode(line, (size_t)(space - line), decoded) : -1;
            unsigned long id = space ? strtoul(space + 1, NULL, 10) : 0;
            if (n < 0 || id >= v->vocab_size || set_entry(v, (uint32_t)id, decoded, (size_t)n)) {
                code = cr_fail(err, CR_EDATA, "%s:%ld: bad rank line", path, number);
                break;
            }
        }
        line = nl + 1;
    }
    if (!code && in_header && !have_size)
        code = cr_fail(err, CR_EDATA, "%s: truncated header", path);
    free(decoded);
    free(text);
    if (code)
        vocab_file_free(v);
    return code;
}
