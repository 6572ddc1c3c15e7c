/* pretok.h — pre-tokenisation: splitting text into the pieces BPE works inside, with the
 * tokenizer's regex compiled by PCRE2 (JIT when available). Pieces cover every input byte:
 * bytes the regex cannot match (invalid UTF-8) become pieces of their own. BPE itself is in
 * bpe.c; the patterns' text is in vocab.c. */
#ifndef TOK_PRETOK_H
#define TOK_PRETOK_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct tok_pretok {
    void *code; /* pcre2_code_8, shared read-only by every thread */
    int jit;
} tok_pretok;

/* Compiles a tiktoken-style regex (see pretok.c for the few rewrites). CR_EUSAGE when it does
 * not compile, with PCRE2's message and offset. */
int tok_pretok_compile(tok_pretok *p, const char *regex, cr_err *err);
void tok_pretok_free(tok_pretok *p);

/* One thread's cursor over one text. */
typedef struct tok_pretok_iter {
    const tok_pretok *pretok;
    void *match_data, *match_context, *jit_stack;
    const uint8_t *text;
    size_t len;
    size_t covered;                /* bytes before this are emitted */
    size_t search;                 /* where the next match attempt starts */
    size_t match_start, match_end; /* a match waiting behind a gap */
    int have_match;
} tok_pretok_iter;

int tok_pretok_iter_init(tok_pretok_iter *it, const tok_pretok *p, cr_err *err);
void tok_pretok_iter_free(tok_pretok_iter *it);
void tok_pretok_iter_reset(tok_pretok_iter *it, const uint8_t *text, size_t len);
/* 1 with the next piece [*start, *end), 0 at the end, -1 when PCRE2 fails (err set). */
int tok_pretok_next(tok_pretok_iter *it, size_t *start, size_t *end, cr_err *err);

/* Cutting a long text for threads. With the built-in GPT-2 and GPT-4 patterns a line break
 * between a printable ASCII character and an ASCII letter ("x\nT") is a piece of its own
 * whether the text goes on or ends there, so the pieces of the parts are those of the whole.
 * tok_pretok_can_cut says whether a regex is one of those; tok_pretok_next_cut returns the
 * first cut point (the byte after such a line break) at or after from, or len. */
int tok_pretok_can_cut(const char *regex);
size_t tok_pretok_next_cut(const uint8_t *text, size_t len, size_t from);

/* The regex PCRE2 compiles for a tiktoken regex; malloc'd (exposed for tests). */
char *tok_pretok_translate(const char *regex);

#endif
