/* pretok.c — the regex split of text into pieces (see pretok.h), with PCRE2 and its JIT.
 * tiktoken's regexes are written for Rust's regex crate; two differences are bridged here:
 * Rust's \s is Unicode White_Space, which includes U+0085 while PCRE2's \s does not, so \s
 * gains \x{85}; and Rust's $ is the end of the text only (PCRE2_DOLLAR_ENDONLY).
 * Nothing here knows about BPE ranks (bpe.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pretok.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vocab.h"

char *tok_pretok_translate(const char *regex)
{
    cr_buf out;
    cr_buf_init(&out);
    int in_class = 0;
    for (const char *p = regex; *p; p++) {
        if (*p == '\\' && p[1]) {
            char c = p[1];
            if (c == 's')
                cr_buf_puts(&out, in_class ? "\\s\\x{85}" : "[\\s\\x{85}]");
            else if (c == 'S' && !in_class)
                cr_buf_puts(&out, "[^\\s\\x{85}]");
            else
                cr_buf_append(&out, p, 2);
            p++;
            continue;
        }
        if (!in_class && *p == '[') {
            in_class = 1;
            cr_buf_putc(&out, *p);
            if (p[1] == '^')
                cr_buf_putc(&out, *++p);
            if (p[1] == ']') /* a literal ] first in a class */
                cr_buf_putc(&out, *++p);
            continue;
        }
        if (in_class && *p == '[' && p[1] == ':') { /* [:alpha:] inside a class */
            const char *close = strstr(p + 2, ":]");
            if (close) {
                cr_buf_append(&out, p, (size_t)(close + 2 - p));
                p = close + 1;
                continue;
            }
        }
        if (in_class && *p == ']')
            in_class = 0;
        cr_buf_putc(&out, *p);
    }
    if (out.failed) {
        cr_buf_free(&out);
        return NULL;
    }
    return out.data ? out.data : strdup("");
}

int tok_pretok_compile(tok_pretok *p, const char *regex, cr_err *err)
{
    memset(p, 0, sizeof *p);
    char *translated = tok_pretok_translate(regex);
    if (!translated)
        return cr_fail(err, CR_EOTHER, "out of memory");
    int error_code;
    PCRE2_SIZE error_offset;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)translated, PCRE2_ZERO_TERMINATED,
                      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                      &error_code, &error_offset, NULL);
    free(translated);
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error_code, message, sizeof message);
        return cr_fail(err, CR_EUSAGE, "pattern does not compile: %s (near offset %zu)",
                       (const char *)message, (size_t)error_offset);
    }
    p->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    p->code = code;
    return CR_OK;
}

void tok_pretok_free(tok_pretok *p)
{
    if (p->code)
        pcre2_code_free(p->code);
    p->code = NULL;
}

int tok_pretok_iter_init(tok_pretok_iter *it, const tok_pretok *p, cr_err *err)
{
    memset(it, 0, sizeof *it);
    it->pretok = p;
    it->match_data = pcre2_match_data_create_from_pattern(p->code, NULL);
    it->match_context = pcre2_match_context_create(NULL);
    if (p->jit) {
        /* Long whitespace or letter runs backtrack through the lookahead; give room. */
        it->jit_stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, NULL);
        if (it->jit_stack && it->match_context)
            pcre2_jit_stack_assign(it->match_context, NULL, it->jit_stack);
    }
    if (!it->match_data || !it->match_context || (p->jit && !it->jit_stack)) {
        tok_pretok_iter_free(it);
        return cr_fail(err, CR_EOTHER, "out of memory for regex matching");
    }
    return CR_OK;
}

void tok_pretok_iter_free(tok_pretok_iter *it)
{
    if (it->match_data)
        pcre2_match_data_free(it->match_data);
    if (it->match_context)
        pcre2_match_context_free(it->match_context);
    if (it->jit_stack)
        pcre2_jit_stack_free(it->jit_stack);
    it->match_data = it->match_context = it->jit_stack = NULL;
}

void tok_pretok_iter_reset(tok_pretok_iter *it, const uint8_t *text, size_t len)
{
    it->text = text;
    it->len = len;
    it->covered = 0;
    it->search = 0;
    it->have_match = 0;
}

int tok_pretok_next(tok_pretok_iter *it, size_t *start, size_t *end, cr_err *err)
{
    for (;;) {
        if (it->have_match) {
            if (it->covered < it->match_start) { /* unmatched bytes first */
                *start = it->covered;
                *end = it->match_start;
                it->covered = it->match_start;
                return 1;
            }
            it->have_match = 0;
            *start = it->match_start;
            *end = it->match_end;
            it->covered = it->match_end;
            return 1;
        }
        if (it->search >= it->len) {
            if (it->covered < it->len) {
                *start = it->covered;
                *end = it->len;
                it->covered = it->len;
                return 1;
            }
            return 0;
        }
        int rc;
        if (it->pretok->jit)
            rc = pcre2_jit_match(it->pretok->code, it->text, it->len, it->search, 0, it->match_data,
                                 it->match_context);
        else
            rc = pcre2_match(it->pretok->code, it->text, it->len, it->search, 0, it->match_data,
                             it->match_context);
        if (rc == PCRE2_ERROR_NOMATCH) {
            it->search = it->len;
            continue;
        }
        if (rc < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(rc, message, sizeof message);
            cr_fail(err, CR_EDATA, "regex matching failed at byte %zu: %s", it->search,
                    (const char *)message);
            return -1;
        }
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(it->match_data);
        size_t match_start = ovector[0], match_end = ovector[1];
        if (match_end <= match_start) { /* an empty match covers nothing: step on */
            it->search = match_start + 1;
            continue;
        }
        it->match_start = match_start;
        it->match_end = match_end;
        it->have_match = 1;
        it->search = match_end;
    }
}

int tok_pretok_can_cut(const char *regex)
{
    return strcmp(regex, TOK_PATTERN_GPT2) == 0 || strcmp(regex, TOK_PATTERN_GPT4) == 0;
}

size_t tok_pretok_next_cut(const uint8_t *text, size_t len, size_t from)
{
    size_t cut = from < 2 ? 2 : from;
    while (cut < len) {
        const uint8_t *line_end = memchr(text + cut - 1, '\n', len - cut);
        if (!line_end)
            break;
        cut = (size_t)(line_end - text) + 1; /* the byte after the line break */
        if (cut >= len)
            break;
        uint8_t before = text[cut - 2], after = text[cut] | 0x20;
        if (cut >= 2 && before > ' ' && before < 0x7f && after >= 'a' && after <= 'z')
            return cut;
        cut++;
    }
    return len;
}
