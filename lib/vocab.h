/* vocab.h — a byte-level BPE vocabulary: token bytes by id (tiktoken's "rank"), the special
 * tokens, the pre-tokenisation pattern, and the one reader and writer of the tokenizer file
 * (format in docs/tokenizer.md). In lib/ because two programs read the file: the tokenizer
 * and the trainer's `generate`. Encoding lives in bpe.c, training in tokenizer/train.c. */
#ifndef TOK_VOCAB_H
#define TOK_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define TOK_NONE UINT32_MAX
#define TOK_FILE_MAGIC "crystalline-tokenizer"
#define TOK_FILE_VERSION 1
#define TOK_MAX_TOKEN_BYTES (1u << 20)
/* Ids at or above this are refused (the trainer's vocabulary limit too): one line of a ranks
 * file or an encoder.json must not make a reader allocate gigabytes. */
#define TOK_MAX_VOCAB (1u << 24)

enum tok_kind { TOK_UNUSED = 0, TOK_ORDINARY = 1, TOK_SPECIAL = 2 };

typedef struct tok_vocab {
    uint32_t vocab_size;  /* largest id + 1 */
    uint32_t id_capacity; /* allocated entries of offset/length/kind */
    uint64_t *offset;     /* per id: where its bytes (or a special's name) start in store */
    uint32_t *length;
    uint8_t *kind;
    uint8_t *store;
    size_t store_len, store_cap;
    uint32_t ordinary_count;
    uint32_t special_count;
    uint32_t eot_id;       /* TOK_NONE when there is no end-of-text token */
    char *pattern;         /* the regex as PCRE2 compiles it (after name expansion) */
    char pattern_name[32]; /* "gpt2", "gpt4" or "custom" */
    uint32_t *table;       /* open addressing, bytes -> ordinary id; TOK_NONE = empty */
    size_t table_mask;
} tok_vocab;

void tok_vocab_init(tok_vocab *v);
void tok_vocab_free(tok_vocab *v);

/* Adds an ordinary token. CR_EDATA for a duplicate id or duplicate bytes. */
int tok_vocab_add(tok_vocab *v, const uint8_t *bytes, size_t len, uint32_t id, cr_err *err);
/* Adds a special token (its name is the text it stands for). */
int tok_vocab_add_special(tok_vocab *v, const char *name, uint32_t id, cr_err *err);
/* Sets the pattern from a name ("gpt2", "gpt4") or a regex. CR_EUSAGE for a line break. */
int tok_vocab_set_pattern(tok_vocab *v, const char *name_or_regex, cr_err *err);
/* Picks the end-of-text token ("<|endoftext|>" when present). */
void tok_vocab_find_eot(tok_vocab *v);

/* The ordinary id whose bytes are exactly these, or TOK_NONE. */
uint32_t tok_vocab_find(const tok_vocab *v, const uint8_t *bytes, size_t len);
/* Special id by name, or TOK_NONE. */
uint32_t tok_vocab_find_special(const tok_vocab *v, const char *name);
/* The bytes of an id (a special's name for a special); NULL for an unused or too large id. */
const uint8_t *tok_vocab_bytes(const tok_vocab *v, uint32_t id, size_t *len);
static inline int tok_vocab_kind(const tok_vocab *v, uint32_t id)
{
    return id < v->vocab_size ? v->kind[id] : TOK_UNUSED;
}

/* The tokenizer file: reads (CR_ENOINPUT missing, CR_EDATA corrupt, naming file:line) and
 * writes atomically. Loading requires the 256 single bytes to be tokens. */
int tok_vocab_load(tok_vocab *v, const char *path, cr_err *err);
int tok_vocab_save(const tok_vocab *v, const char *path, cr_err *err);
/* Checks that every single byte is a token (byte-level BPE can encode anything). */
int tok_vocab_check(const tok_vocab *v, cr_err *err);

/* The built-in patterns, as tiktoken writes them. */
extern const char TOK_PATTERN_GPT2[];
extern const char TOK_PATTERN_GPT4[];

/* Standard base64 with padding. out needs 4*((len+2)/3)+1 bytes; returns the length. */
size_t tok_base64_encode(const uint8_t *bytes, size_t len, char *out);
/* Returns the decoded length or -1 for bad base64; out needs 3*(text_len/4) bytes. */
long tok_base64_decode(const char *text, size_t text_len, uint8_t *out);

uint64_t tok_hash_bytes(const uint8_t *bytes, size_t len);

#endif
