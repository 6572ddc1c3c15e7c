/* bpe.c — tiktoken's byte-pair merge inside each piece, and the per-thread encoder that runs
 * the regex, the merge and a small cache of recent pieces (see bpe.h). The merge rule, not
 * a list of merges, defines the result: lowest rank of the joined bytes first, leftmost on a
 * tie. Nothing here writes files (tokenizer/encode.c) or learns ranks (tokenizer/train.c). */
#include "bpe.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define LONG_PIECE_BYTES 192 /* above this the heap merge beats the quadratic scan */
#define CACHE_MAX_PIECE 128  /* longer pieces are rare; not cached */
#define CACHE_ENTRIES (1u << 16)
#define CACHE_KEY_BYTES (4u << 20)
#define CACHE_ID_COUNT (1u << 20)

struct tok_cache_entry {
    uint64_t hash;
    uint32_t key_offset, key_len;
    uint32_t ids_offset, ids_count;
};

int tok_ids_push(tok_ids *ids, uint32_t id)
{
    if (cr_grow(&ids->ids, &ids->cap, ids->count + 1, sizeof *ids->ids) < 0)
        return -1;
    ids->ids[ids->count++] = id;
    return 0;
}

void tok_ids_free(tok_ids *ids)
{
    free(ids->ids);
    memset(ids, 0, sizeof *ids);
}

void tok_merge_scratch_free(tok_merge_scratch *s)
{
    free(s->start);
    free(s->rank);
    free(s->next);
    free(s->prev);
    free(s->heap);
    memset(s, 0, sizeof *s);
}

static int scratch_reserve(tok_merge_scratch *s, size_t len)
{
    if (len + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < len + 1)
        cap *= 2;
    tok_merge_scratch grown = {0};
    grown.start = malloc(cap * sizeof(uint32_t));
    grown.rank = malloc(cap * sizeof(uint32_t));
    grown.next = malloc(cap * sizeof(uint32_t));
    grown.prev = malloc(cap * sizeof(uint32_t));
    grown.heap = malloc(cap * 3 * sizeof(uint64_t)); /* len pushes, then <= 2 per merge */
    grown.cap = cap;
    if (!grown.start || !grown.rank || !grown.next || !grown.prev || !grown.heap) {
        tok_merge_scratch_free(&grown);
        return -1;
    }
    tok_merge_scratch_free(s);
    *s = grown;
    return 0;
}

static int emit_span(const tok_vocab *v, const uint8_t *bytes, size_t len, tok_ids *out)
{
    uint32_t id = tok_vocab_find(v, bytes, len);
    if (id == TOK_NONE) /* only when a vocabulary lacks a single byte; load refuses those */
        return -1;
    return tok_ids_push(out, id);
}

/* tiktoken's loop: parts are byte offsets; rank[i] is the rank of parts i and i+1 joined. */
int tok_bpe_piece_scan(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                       tok_ids *out)
{
    if (scratch_reserve(s, len + 1))
        return -1;
    uint32_t *start = s->start, *rank = s->rank;
    size_t count = len + 1;
    for (size_t i = 0; i < count; i++) {
        start[i] = (uint32_t)i;
        rank[i] = i + 2 <= len ? tok_vocab_find(v, piece + i, 2) : TOK_NONE;
    }
    for (;;) {
        uint32_t best = TOK_NONE;
        size_t at = 0;
        for (size_t i = 0; i + 1 < count; i++)
            if (rank[i] < best) {
                best = rank[i];
                at = i;
            }
        if (best == TOK_NONE)
            break;
        memmove(start + at + 1, start + at + 2, (count - at - 2) * sizeof *start);
        memmove(rank + at + 1, rank + at + 2, (count - at - 2) * sizeof *rank);
        count--;
        rank[at] = at + 2 < count ? tok_vocab_find(v, piece + start[at], start[at + 2] - start[at])
                                  : TOK_NONE;
        if (at > 0)
            rank[at - 1] = tok_vocab_find(v, piece + start[at - 1], start[at + 1] - start[at - 1]);
    }
    for (size_t i = 0; i + 1 < count; i++)
        if (emit_span(v, piece + start[i], start[i + 1] - start[i], out))
            return -1;
    return 0;
}

static void heap_push(uint64_t *heap, size_t *size, uint64_t item)
{
    size_t i = (*size)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent] <= item)
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = item;
}

static uint64_t heap_pop(uint64_t *heap, size_t *size)
{
    uint64_t top = heap[0], last = heap[--*size];
    size_t i = 0, n = *size;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap[child + 1] < heap[child])
            child++;
        if (heap[child] >= last)
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0)
        heap[i] = last;
    return top;
}

/* The same merges as the scan: a node per symbol (its first byte), a min-heap of
 * (rank, node) so equal ranks pop leftmost; stale entries are skipped on pop. */
int tok_bpe_piece_heap(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                       tok_ids *out)
{
    if (len == 0)
        return 0;
    if (scratch_reserve(s, len + 1))
        return -1;
    uint32_t *next = s->next, *prev = s->prev, *rank = s->rank;
    uint64_t *heap = s->heap;
    size_t heap_size = 0;
    uint32_t end = (uint32_t)len; /* next[] of the last node */
    for (size_t i = 0; i < len; i++) {
        next[i] = (uint32_t)(i + 1);
        prev[i] = i ? (uint32_t)(i - 1) : TOK_NONE;
        rank[i] = i + 1 < len ? tok_vocab_find(v, piece + i, 2) : TOK_NONE;
        if (rank[i] != TOK_NONE)
            heap_push(heap, &heap_size, (uint64_t)rank[i] << 32 | i);
    }
    while (heap_size > 0) {
        uint64_t item = heap_pop(heap, &heap_size);
        uint32_t node = (uint32_t)item, item_rank = (uint32_t)(item >> 32);
        if (rank[node] != item_rank)
            continue; /* stale: the node was merged away or its pair changed */
        uint32_t right = next[node];
        uint32_t after = next[right];
        next[node] = after;
        if (after != end)
            prev[after] = node;
        rank[right] = TOK_NONE;
        uint32_t after_end = after == end ? end : next[after];
        rank[node] = after != end ? tok_vocab_find(v, piece + node, after_end - node) : TOK_NONE;
        if (rank[node] != TOK_NONE)
            heap_push(heap, &heap_size, (uint64_t)rank[node] << 32 | node);
        if (prev[node] != TOK_NONE) {
            uint32_t left = prev[node];
            rank[left] = tok_vocab_find(v, piece + left, after - left);
            if (rank[left] != TOK_NONE)
                heap_push(heap, &heap_size, (uint64_t)rank[left] << 32 | left);
        }
    }
    for (uint32_t node = 0; node != end; node = next[node])
        if (emit_span(v, piece + node, next[node] - node, out))
            return -1;
    return 0;
}

int tok_bpe_piece(const tok_vocab *v, const uint8_t *piece, size_t len, tok_merge_scratch *s,
                  tok_ids *out)
{
    if (len > LONG_PIECE_BYTES)
        return tok_bpe_piece_heap(v, piece, len, s, out);
    return tok_bpe_piece_scan(v, piece, len, s, out);
}

/* ---- the encoder ---- */

int tok_encoder_init(tok_encoder *e, const tok_vocab *v, const tok_pretok *p, cr_err *err)
{
    memset(e, 0, sizeof *e);
    e->vocab = v;
    int code = tok_pretok_iter_init(&e->iter, p, err);
    if (code)
        return code;
    e->cache_mask = CACHE_ENTRIES * 2 - 1;
    e->cache_slots = malloc((e->cache_mask + 1) * sizeof *e->cache_slots);
    e->cache_entries = malloc(CACHE_ENTRIES * sizeof *e->cache_entries);
    e->cache_keys = malloc(CACHE_KEY_BYTES);
    e->cache_ids = malloc(CACHE_ID_COUNT * sizeof *e->cache_ids);
    if (!e->cache_slots || !e->cache_entries || !e->cache_keys || !e->cache_ids) {
        tok_encoder_free(e);
        return cr_fail(err, CR_EOTHER, "out of memory for the encoder");
    }
    memset(e->cache_slots, 0xff, (e->cache_mask + 1) * sizeof *e->cache_slots);
    return CR_OK;
}

void tok_encoder_free(tok_encoder *e)
{
    tok_pretok_iter_free(&e->iter);
    tok_merge_scratch_free(&e->scratch);
    free(e->cache_slots);
    free(e->cache_entries);
    free(e->cache_keys);
    free(e->cache_ids);
    memset(e, 0, sizeof *e);
}

static void cache_clear(tok_encoder *e)
{
    memset(e->cache_slots, 0xff, (e->cache_mask + 1) * sizeof *e->cache_slots);
    e->cache_count = e->cache_keys_len = e->cache_ids_len = 0;
}

static int encode_piece(tok_encoder *e, const uint8_t *piece, size_t len, tok_ids *out)
{
    uint32_t whole = tok_vocab_find(e->vocab, piece, len);
    if (whole != TOK_NONE)
        return tok_ids_push(out, whole);
    if (len > CACHE_MAX_PIECE)
        return tok_bpe_piece(e->vocab, piece, len, &e->scratch, out);
    uint64_t hash = tok_hash_bytes(piece, len);
    size_t slot = hash & e->cache_mask;
    for (;;) {
        uint32_t index = e->cache_slots[slot];
        if (index == TOK_NONE)
            break;
        struct tok_cache_entry *entry = &e->cache_entries[index];
        if (entry->hash == hash && entry->key_len == len &&
            memcmp(e->cache_keys + entry->key_offset, piece, len) == 0) {
            for (uint32_t i = 0; i < entry->ids_count; i++)
                if (tok_ids_push(out, e->cache_ids[entry->ids_offset + i]))
                    return -1;
            return 0;
        }
        slot = (slot + 1) & e->cache_mask;
    }
    size_t before = out->count;
    if (tok_bpe_piece(e->vocab, piece, len, &e->scratch, out))
        return -1;
    size_t id_count = out->count - before;
    if (e->cache_count == CACHE_ENTRIES || e->cache_keys_len + len > CACHE_KEY_BYTES ||
        e->cache_ids_len + id_count > CACHE_ID_COUNT) {
        cache_clear(e);
        slot = hash & e->cache_mask;
    }
    struct tok_cache_entry *entry = &e->cache_entries[e->cache_count];
    entry->hash = hash;
    entry->key_offset = (uint32_t)e->cache_keys_len;
    entry->key_len = (uint32_t)len;
    entry->ids_offset = (uint32_t)e->cache_ids_len;
    entry->ids_count = (uint32_t)id_count;
    memcpy(e->cache_keys + e->cache_keys_len, piece, len);
    e->cache_keys_len += len;
    memcpy(e->cache_ids + e->cache_ids_len, out->ids + before, id_count * sizeof *out->ids);
    e->cache_ids_len += id_count;
    while (e->cache_slots[slot] != TOK_NONE)
        slot = (slot + 1) & e->cache_mask;
    e->cache_slots[slot] = (uint32_t)e->cache_count++;
    return 0;
}

int tok_encode(tok_encoder *e, const uint8_t *text, size_t len, tok_ids *out, cr_err *err)
{
    tok_pretok_iter_reset(&e->iter, text, len);
    size_t start, end;
    int got;
    while ((got = tok_pretok_next(&e->iter, &start, &end, err)) == 1)
        if (encode_piece(e, text + start, end - start, out))
            return cr_fail(err, CR_EOTHER, "out of memory encoding %zu bytes", len);
    return got < 0 ? err->code : CR_OK;
}
