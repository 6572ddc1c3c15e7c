/* train.c — byte-level BPE training (see train.h), the efficient kind: pieces counted once
 * (threads over chunks, merged and sorted: thread count changes nothing); pair counts in a hash
 * table with the words holding each pair, and a max-heap (count desc, left asc, right asc); a
 * merge rewrites only its pair's words and updates neighbouring counts, stale heap entries are
 * skipped. No recount per merge. Encoding is bpe.c's job, the file format vocab.c's. */
#include "train.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "pretok.h"
#include "progress.h"

#define CHUNK_BYTES (1u << 20) /* the unit of work of the counting threads */
#define MAX_MERGED_BYTES 256   /* longer tokens are never learned */

/* ---- step 1: counting pieces ---- */

typedef struct piece_entry {
    uint64_t hash, offset, count;
    uint32_t len;
} piece_entry;

typedef struct piece_counter {
    piece_entry *entries;
    size_t count, cap;
    uint32_t *slots; /* index into entries, UINT32_MAX empty */
    size_t mask;
    uint8_t *arena;
    size_t arena_len, arena_cap;
} piece_counter;

static void counter_free(piece_counter *c)
{
    free(c->entries);
    free(c->slots);
    free(c->arena);
    memset(c, 0, sizeof *c);
}

static int counter_grow_slots(piece_counter *c)
{
    size_t size = c->slots ? (c->mask + 1) * 2 : 1 << 16;
    uint32_t *slots = malloc(size * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, size * sizeof *slots);
    for (size_t i = 0; i < c->count; i++) {
        size_t slot = c->entries[i].hash & (size - 1);
        while (slots[slot] != UINT32_MAX)
            slot = (slot + 1) & (size - 1);
        slots[slot] = (uint32_t)i;
    }
    free(c->slots);
    c->slots = slots;
    c->mask = size - 1;
    return 0;
}

static int counter_add(piece_counter *c, const uint8_t *bytes, size_t len, uint64_t hash,
                       uint64_t count)
{
    if (!c->slots || c->count * 2 >= c->mask + 1)
        if (counter_grow_slots(c))
            return -1;
    size_t slot = hash & c->mask;
    for (;;) {
        uint32_t index = c->slots[slot];
        if (index == UINT32_MAX)
            break;
        piece_entry *e = &c->entries[index];
        if (e->hash == hash && e->len == len && memcmp(c->arena + e->offset, bytes, len) == 0) {
            e->count += count;
            return 0;
        }
        slot = (slot + 1) & c->mask;
    }
    if (cr_grow(&c->entries, &c->cap, c->count + 1, sizeof *c->entries) < 0 ||
        cr_grow(&c->arena, &c->arena_cap, c->arena_len + len, 1) < 0)
        return -1;
    memcpy(c->arena + c->arena_len, bytes, len);
    c->entries[c->count] = (piece_entry){hash, c->arena_len, count, (uint32_t)len};
    c->arena_len += len;
    c->slots[slot] = (uint32_t)c->count++;
    return 0;
}

typedef struct text_chunk {
    const uint8_t *text;
    size_t len;
} text_chunk;

typedef struct count_job {
    const tok_pretok *pretok;
    const text_chunk *chunks;
    size_t chunk_count;
    atomic_size_t next_chunk;
    cr_progress *progress;
} count_job;

typedef struct count_worker {
    count_job *job;
    piece_counter counter;
    cr_err err;
    int code;
} count_worker;

static void *count_thread(void *arg)
{
    count_worker *w = arg;
    tok_pretok_iter it;
    w->code = tok_pretok_iter_init(&it, w->job->pretok, &w->err);
    if (w->code)
        return NULL;
    for (;;) {
        size_t index = atomic_fetch_add(&w->job->next_chunk, 1);
        if (index >= w->job->chunk_count)
            break;
        const text_chunk *chunk = &w->job->chunks[index];
        tok_pretok_iter_reset(&it, chunk->text, chunk->len);
        size_t start, end;
        int got;
        while ((got = tok_pretok_next(&it, &start, &end, &w->err)) == 1) {
            const uint8_t *piece = chunk->text + start;
            if (counter_add(&w->counter, piece, end - start, tok_hash_bytes(piece, end - start),
                            1)) {
                w->code = cr_fail(&w->err, CR_EOTHER, "out of memory counting pieces");
                break;
            }
        }
        if (got < 0)
            w->code = w->err.code;
        if (w->code)
            break;
        cr_progress_add(w->job->progress, chunk->len);
    }
    tok_pretok_iter_free(&it);
    return NULL;
}

/* Chunks of about CHUNK_BYTES cut where the pieces cannot change (pretok.h); a custom pattern
 * gets whole texts. Chunks depend on the text only, never on the thread count. */
static int add_chunks(text_chunk **chunks, size_t *count, size_t *cap, const uint8_t *text,
                      size_t len, int may_cut)
{
    size_t pos = 0;
    while (pos < len) {
        size_t end = len;
        if (may_cut && len - pos > CHUNK_BYTES)
            end = tok_pretok_next_cut(text, len, pos + CHUNK_BYTES);
        if (cr_grow(chunks, cap, *count + 1, sizeof **chunks) < 0)
            return -1;
        (*chunks)[(*count)++] = (text_chunk){text + pos, end - pos};
        pos = end;
    }
    return 0;
}

static int compare_pieces_arena(const void *x, const void *y, void *arena_arg)
{
    const piece_entry *a = x, *b = y;
    const uint8_t *arena = arena_arg;
    size_t common = a->len < b->len ? a->len : b->len;
    int order = memcmp(arena + a->offset, arena + b->offset, common);
    if (order)
        return order;
    return (a->len > b->len) - (a->len < b->len);
}

static int count_pieces(const tok_train_options *o, const tok_pretok *pretok, int may_cut,
                        const uint8_t *const *texts, const size_t *lengths, size_t text_count,
                        piece_counter *total, cr_err *err)
{
    text_chunk *chunks = NULL;
    size_t chunk_count = 0, chunk_cap = 0;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < text_count; i++) {
        total_bytes += lengths[i];
        if (add_chunks(&chunks, &chunk_count, &chunk_cap, texts[i], lengths[i], may_cut)) {
            free(chunks);
            return cr_fail(err, CR_EOTHER, "out of memory");
        }
    }
    int threads = o->threads > 0 ? o->threads : 1;
    if ((size_t)threads > chunk_count)
        threads = chunk_count ? (int)chunk_count : 1;
    cr_progress progress;
    cr_progress_begin(&progress, "counting", "B", total_bytes, o->progress_mode);
    count_job job = {pretok, chunks, chunk_count, 0, &progress};
    count_worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!workers || !ids) {
        free(workers);
        free(ids);
        free(chunks);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    int started = 0;
    for (int t = 0; t < threads; t++) {
        workers[t].job = &job;
        if (t > 0 && pthread_create(&ids[t], NULL, count_thread, &workers[t]) != 0)
            break;
        started++;
    }
    count_thread(&workers[0]);
    for (int t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
    cr_progress_end(&progress);
    int code = CR_OK;
    for (int t = 0; t < started && !code; t++)
        if (workers[t].code) {
            code = workers[t].code;
            *err = workers[t].err;
        }
    /* Merge in thread order; the final sort makes the order irrelevant anyway. */
    for (int t = 0; t < started; t++) {
        piece_counter *c = &workers[t].counter;
        for (size_t i = 0; i < c->count && !code; i++)
            if (counter_add(total, c->arena + c->entries[i].offset, c->entries[i].len,
                            c->entries[i].hash, c->entries[i].count))
                code = cr_fail(err, CR_EOTHER, "out of memory merging piece counts");
        counter_free(c);
    }
    free(workers);
    free(ids);
    free(chunks);
    if (code)
        return code;
    qsort_r(total->entries, total->count, sizeof *total->entries, compare_pieces_arena,
            total->arena);
    return CR_OK;
}

/* ---- steps 2 and 3: words, pairs, heap ---- */

typedef struct pair_entry {
    uint64_t key; /* left << 32 | right */
    int64_t count;
    uint32_t *words; /* words that held the pair when it was counted (may be stale) */
    uint32_t word_count, word_cap;
    uint32_t last_word;
    uint32_t touched_stamp;
    int banned; /* its joined bytes are too long to become a token */
} pair_entry;

typedef struct heap_item {
    int64_t count;
    uint32_t left, right;
} heap_item;

typedef struct trainer {
    /* words */
    uint32_t *symbols;
    uint64_t *word_offset;
    uint32_t *word_len;
    uint64_t *word_freq;
    uint32_t *word_stamp;
    size_t word_count;
    /* pairs */
    pair_entry *pairs;
    size_t pair_count, pair_cap;
    uint32_t *pair_slots;
    size_t pair_mask;
    /* heap */
    heap_item *heap;
    size_t heap_size, heap_cap;
    /* pairs touched by the current merge */
    uint32_t *touched;
    size_t touched_count, touched_cap;
    uint32_t stamp;
    int oom;
} trainer;

static int pair_slots_grow(trainer *t)
{
    size_t size = t->pair_slots ? (t->pair_mask + 1) * 2 : 1 << 16;
    uint32_t *slots = malloc(size * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, size * sizeof *slots);
    for (size_t i = 0; i < t->pair_count; i++) {
        size_t slot = cr_mix64(t->pairs[i].key) & (size - 1);
        while (slots[slot] != UINT32_MAX)
            slot = (slot + 1) & (size - 1);
        slots[slot] = (uint32_t)i;
    }
    free(t->pair_slots);
    t->pair_slots = slots;
    t->pair_mask = size - 1;
    return 0;
}

/* The index of a pair, created with count 0 when create is set; UINT32_MAX otherwise. */
static uint32_t pair_find(trainer *t, uint32_t left, uint32_t right, int create)
{
    uint64_t key = (uint64_t)left << 32 | right;
    if (create && (!t->pair_slots || t->pair_count * 2 >= t->pair_mask + 1) && pair_slots_grow(t)) {
        t->oom = 1;
        return UINT32_MAX;
    }
    if (!t->pair_slots)
        return UINT32_MAX;
    size_t slot = cr_mix64(key) & t->pair_mask;
    for (;;) {
        uint32_t index = t->pair_slots[slot];
        if (index == UINT32_MAX)
            break;
        if (t->pairs[index].key == key)
            return index;
        slot = (slot + 1) & t->pair_mask;
    }
    if (!create)
        return UINT32_MAX;
    if (cr_grow(&t->pairs, &t->pair_cap, t->pair_count + 1, sizeof *t->pairs) < 0) {
        t->oom = 1;
        return UINT32_MAX;
    }
    pair_entry *p = &t->pairs[t->pair_count];
    memset(p, 0, sizeof *p);
    p->key = key;
    p->last_word = UINT32_MAX;
    t->pair_slots[slot] = (uint32_t)t->pair_count;
    return (uint32_t)t->pair_count++;
}

/* Adds delta occurrences of (left, right); a positive delta records the word. */
static void pair_add(trainer *t, uint32_t left, uint32_t right, int64_t delta, uint32_t word)
{
    uint32_t index = pair_find(t, left, right, 1);
    if (index == UINT32_MAX)
        return;
    pair_entry *p = &t->pairs[index];
    p->count += delta;
    if (delta > 0 && p->last_word != word) {
        /* not cr_grow: a pair's list starts at 4 and counts in uint32_t, as there are
         * millions of pairs and most are seen in a few words */
        if (p->word_count == p->word_cap) {
            uint32_t cap = p->word_cap ? p->word_cap * 2 : 4;
            uint32_t *words = realloc(p->words, cap * sizeof *words);
            if (!words) {
                t->oom = 1;
                return;
            }
            p->words = words;
            p->word_cap = cap;
        }
        p->words[p->word_count++] = word;
        p->last_word = word;
    }
    if (p->touched_stamp != t->stamp) {
        p->touched_stamp = t->stamp;
        if (cr_grow(&t->touched, &t->touched_cap, t->touched_count + 1, sizeof *t->touched) < 0) {
            t->oom = 1;
            return;
        }
        t->touched[t->touched_count++] = index;
    }
}

static int heap_before(const heap_item *a, const heap_item *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    if (a->left != b->left)
        return a->left < b->left;
    return a->right < b->right;
}

static void heap_push(trainer *t, heap_item item)
{
    if (cr_grow(&t->heap, &t->heap_cap, t->heap_size + 1, sizeof *t->heap) < 0) {
        t->oom = 1;
        return;
    }
    size_t i = t->heap_size++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_before(&item, &t->heap[parent]))
            break;
        t->heap[i] = t->heap[parent];
        i = parent;
    }
    t->heap[i] = item;
}

static heap_item heap_pop(trainer *t)
{
    heap_item top = t->heap[0], last = t->heap[--t->heap_size];
    size_t i = 0, n = t->heap_size;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap_before(&t->heap[child + 1], &t->heap[child]))
            child++;
        if (!heap_before(&t->heap[child], &last))
            break;
        t->heap[i] = t->heap[child];
        i = child;
    }
    if (n > 0)
        t->heap[i] = last;
    return top;
}

static void trainer_free(trainer *t)
{
    for (size_t i = 0; i < t->pair_count; i++)
        free(t->pairs[i].words);
    free(t->pairs);
    free(t->pair_slots);
    free(t->heap);
    free(t->touched);
    free(t->symbols);
    free(t->word_offset);
    free(t->word_len);
    free(t->word_freq);
    free(t->word_stamp);
    memset(t, 0, sizeof *t);
}

static int build_words(trainer *t, const piece_counter *pieces)
{
    t->word_count = pieces->count;
    t->symbols = malloc((pieces->arena_len + 1) * sizeof *t->symbols);
    t->word_offset = malloc((pieces->count + 1) * sizeof *t->word_offset);
    t->word_len = malloc((pieces->count + 1) * sizeof *t->word_len);
    t->word_freq = malloc((pieces->count + 1) * sizeof *t->word_freq);
    t->word_stamp = calloc(pieces->count + 1, sizeof *t->word_stamp);
    if (!t->symbols || !t->word_offset || !t->word_len || !t->word_freq || !t->word_stamp)
        return -1;
    uint64_t offset = 0;
    t->stamp = 1;
    for (size_t w = 0; w < pieces->count; w++) {
        const piece_entry *e = &pieces->entries[w];
        const uint8_t *bytes = pieces->arena + e->offset;
        t->word_offset[w] = offset;
        t->word_len[w] = e->len;
        t->word_freq[w] = e->count;
        for (uint32_t i = 0; i < e->len; i++)
            t->symbols[offset + i] = bytes[i];
        for (uint32_t i = 0; i + 1 < e->len; i++)
            pair_add(t, bytes[i], bytes[i + 1], (int64_t)e->count, (uint32_t)w);
        offset += e->len;
    }
    if (t->oom)
        return -1;
    for (size_t i = 0; i < t->pair_count; i++)
        if (t->pairs[i].count > 0)
            heap_push(t, (heap_item){t->pairs[i].count, (uint32_t)(t->pairs[i].key >> 32),
                                     (uint32_t)t->pairs[i].key});
    t->touched_count = 0;
    return t->oom ? -1 : 0;
}

/* Rewrites one word, replacing each (left, right) with merged, left to right. */
static void merge_in_word(trainer *t, uint32_t word, uint32_t left, uint32_t right, uint32_t merged)
{
    uint32_t *s = t->symbols + t->word_offset[word];
    uint32_t len = t->word_len[word];
    int64_t freq = (int64_t)t->word_freq[word];
    uint32_t out = 0;
    for (uint32_t i = 0; i < len;) {
        if (i + 1 < len && s[i] == left && s[i + 1] == right) {
            if (out > 0) {
                pair_add(t, s[out - 1], left, -freq, word);
                pair_add(t, s[out - 1], merged, freq, word);
            }
            pair_add(t, left, right, -freq, word);
            if (i + 2 < len) {
                pair_add(t, right, s[i + 2], -freq, word);
                pair_add(t, merged, s[i + 2], freq, word);
            }
            s[out++] = merged;
            i += 2;
        } else {
            s[out++] = s[i++];
        }
    }
    t->word_len[word] = out;
}

static int learn_merges(trainer *t, tok_vocab *v, uint32_t ordinary_target, uint64_t min_frequency,
                        int progress_mode, uint64_t *merges, int *stopped_early, cr_err *err)
{
    uint32_t next_id = 256;
    uint8_t joined[MAX_MERGED_BYTES];
    cr_progress progress;
    cr_progress_begin(&progress, "merging", "tokens", ordinary_target - 256, progress_mode);
    *stopped_early = 0;
    while (next_id < ordinary_target) {
        if (t->heap_size == 0) {
            *stopped_early = 1;
            break;
        }
        heap_item top = heap_pop(t);
        uint32_t index = pair_find(t, top.left, top.right, 0);
        if (index == UINT32_MAX || t->pairs[index].count != top.count || t->pairs[index].banned)
            continue; /* stale */
        if ((uint64_t)top.count < min_frequency || top.count <= 0) {
            *stopped_early = 1;
            break;
        }
        size_t left_len, right_len;
        const uint8_t *left_bytes = tok_vocab_bytes(v, top.left, &left_len);
        const uint8_t *right_bytes = tok_vocab_bytes(v, top.right, &right_len);
        if (left_len + right_len > MAX_MERGED_BYTES) {
            t->pairs[index].banned = 1;
            continue;
        }
        memcpy(joined, left_bytes, left_len);
        memcpy(joined + left_len, right_bytes, right_len);
        uint32_t merged = tok_vocab_find(v, joined, left_len + right_len);
        if (merged == TOK_NONE) { /* otherwise the same bytes exist already: reuse the id */
            merged = next_id++;
            int code = tok_vocab_add(v, joined, left_len + right_len, merged, err);
            if (code)
                return code;
            (*merges)++;
            cr_progress_add(&progress, 1);
        }
        t->stamp++;
        t->touched_count = 0;
        uint32_t *words = t->pairs[index].words;
        uint32_t word_count = t->pairs[index].word_count;
        t->pairs[index].words = NULL; /* detached: occurrences made later start a new list */
        t->pairs[index].word_count = t->pairs[index].word_cap = 0;
        t->pairs[index].last_word = UINT32_MAX;
        for (uint32_t k = 0; k < word_count; k++) {
            uint32_t word = words[k];
            if (t->word_stamp[word] == t->stamp)
                continue;
            t->word_stamp[word] = t->stamp;
            merge_in_word(t, word, top.left, top.right, merged);
        }
        free(words);
        for (size_t k = 0; k < t->touched_count; k++) {
            pair_entry *p = &t->pairs[t->touched[k]];
            if (p->count > 0 && !p->banned)
                heap_push(t, (heap_item){p->count, (uint32_t)(p->key >> 32), (uint32_t)p->key});
        }
        if (t->oom) {
            cr_progress_end(&progress);
            return cr_fail(err, CR_EOTHER, "out of memory while merging");
        }
    }
    cr_progress_end(&progress);
    return CR_OK;
}

int tok_train_texts(const tok_train_options *o, const uint8_t *const *texts, const size_t *lengths,
                    size_t text_count, tok_vocab *v, tok_train_report *report, cr_err *err)
{
    memset(report, 0, sizeof *report);
    const char *default_special = "<|endoftext|>";
    const char *const *specials = o->special_count ? o->specials : &default_special;
    int special_count = o->special_count ? o->special_count : 1;
    if (o->vocab_size < 256u + (uint32_t)special_count)
        return cr_fail(err, CR_EUSAGE,
                       "vocab size %u is smaller than 256 bytes + %d special token%s",
                       o->vocab_size, special_count, special_count == 1 ? "" : "s");
    for (size_t i = 0; i < text_count; i++)
        report->bytes += lengths[i];
    report->documents = text_count;
    if (report->bytes == 0)
        return cr_fail(err, CR_EDATA, "empty corpus: no bytes to learn from");
    int code = tok_vocab_set_pattern(v, o->pattern ? o->pattern : "gpt4", err);
    if (code)
        return code;
    tok_pretok pretok;
    code = tok_pretok_compile(&pretok, v->pattern, err);
    if (code)
        return code;
    for (uint32_t byte = 0; byte < 256 && !code; byte++) {
        uint8_t b = (uint8_t)byte;
        code = tok_vocab_add(v, &b, 1, byte, err);
    }
    piece_counter pieces = {0};
    if (!code)
        code = count_pieces(o, &pretok, tok_pretok_can_cut(v->pattern), texts, lengths, text_count,
                            &pieces, err);
    tok_pretok_free(&pretok);
    trainer t = {0};
    if (!code) {
        report->unique_pieces = pieces.count;
        cr_debug("%llu distinct pieces in %llu bytes", (unsigned long long)pieces.count,
                 (unsigned long long)report->bytes);
        if (build_words(&t, &pieces))
            code = cr_fail(err, CR_EOTHER, "out of memory building pair counts");
    }
    counter_free(&pieces);
    if (!code)
        code = learn_merges(&t, v, o->vocab_size - (uint32_t)special_count,
                            o->min_frequency ? o->min_frequency : 1, o->progress_mode,
                            &report->merges, &report->stopped_early, err);
    trainer_free(&t);
    uint32_t next_id = v->vocab_size;
    for (int i = 0; i < special_count && !code; i++)
        code = tok_vocab_add_special(v, specials[i], next_id++, err);
    if (code)
        return code;
    tok_vocab_find_eot(v);
    if (v->eot_id == TOK_NONE)
        v->eot_id = tok_vocab_find_special(v, specials[0]);
    return CR_OK;
}

int tok_train(const tok_train_options *o, char *const *paths, size_t path_count, tok_vocab *v,
              tok_train_report *report, cr_err *err)
{
    uint8_t **texts = calloc(path_count + 1, sizeof *texts);
    size_t *lengths = calloc(path_count + 1, sizeof *lengths);
    int code = (!texts || !lengths) ? cr_fail(err, CR_EOTHER, "out of memory") : CR_OK;
    for (size_t i = 0; i < path_count && !code; i++) {
        char *bytes;
        code = cr_read_file(paths[i], &bytes, &lengths[i], 0, err);
        texts[i] = (uint8_t *)bytes;
    }
    if (!code)
        code =
            tok_train_texts(o, (const uint8_t *const *)texts, lengths, path_count, v, report, err);
    for (size_t i = 0; texts && i < path_count; i++)
        free(texts[i]);
    free(texts);
    free(lengths);
    return code;
}
