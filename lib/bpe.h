/* bpe.h — encoding text to token ids exactly as tiktoken does: the regex splits the text into
 * pieces (pretok.c), and inside each piece the adjacent pair whose joined bytes have the lowest
 * rank is merged first (leftmost on ties) until no joined pair is a token. Special tokens in
 * the text are ordinary text here (tiktoken's encode_ordinary). Training is in
 * tokenizer/train.c. In lib/ because the trainer encodes its prompts with it. */
#ifndef TOK_BPE_H
#define TOK_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "pretok.h"
#include "status.h"
#include "vocab.h"

typedef struct tok_ids {
    uint32_t *ids;
    size_t count, cap;
} tok_ids;

int tok_ids_push(tok_ids *ids, uint32_t id);
void tok_ids_free(tok_ids *ids);

/* Scratch memory of the merge loops, reused between pieces. */
typedef struct tok_merge_scratch {
    uint32_t *start, *rank, *next, *prev;
    uint64_t *heap; /* (rank << 32 | node) for the long-piece merge */
    size_t cap;
} tok_merge_scratch;

void tok_merge_scratch_free(tok_merge_scratch *s);

/* The ids of one piece, appended to out. Short pieces use tiktoken's quadratic scan, long
 * ones a heap (same result, n log n); both are exposed so a test can hold them equal. */
int tok_bpe_piece(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                  tok_ids *out);
int tok_bpe_piece_scan(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                       tok_ids *out);
int tok_bpe_piece_heap(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                       tok_ids *out);

/* One thread's encoder: a regex cursor, the scratch and a cache of recent pieces. */
typedef struct tok_encoder {
    const tok_vocab *vocab;
    tok_pretok_iter iter;
    tok_merge_scratch scratch;
    uint32_t *cache_slots; /* index into cache_entries, TOK_NONE = empty */
    size_t cache_mask;
    struct tok_cache_entry *cache_entries;
    size_t cache_count;
    uint8_t *cache_keys;
    size_t cache_keys_len;
    uint32_t *cache_ids;
    size_t cache_ids_len;
} tok_encoder;

int tok_encoder_init(tok_encoder *e, const tok_vocab *v, const tok_pretok *p, cr_err *err);
void tok_encoder_free(tok_encoder *e);
/* Appends the ids of text to out (no end-of-text: the caller adds it). */
int tok_encode(tok_encoder *e, const uint8_t *text, size_t len, tok_ids *out, cr_err *err);

#endif
