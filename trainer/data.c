/* data.c — token shards as a training stream and a validation set (data.h). The shards
 * themselves are read by lib/shard.c; this file only decides which token comes next.
 * The cursor is a (shard, offset, epoch) triple so a resumed run finds its place by name. */
#include "data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "rng.h"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_shard_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".bin") == 0 &&
           !strstr(name, ".tmp.");
}

int data_open(token_data *d, const char *dir, int hold_out, uint64_t min_val_tokens, cr_err *err)
{
    memset(d, 0, sizeof *d);
    DIR *folder = opendir(dir);
    if (!folder)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening data folder %s", dir);
    size_t cap = 0;
    struct dirent *entry;
    int code = CR_OK;
    while ((entry = readdir(folder)) != NULL) {
        if (!is_shard_name(entry->d_name))
            continue;
        char path[4096];
        if (cr_path_join(path, sizeof path, dir, entry->d_name, err) != CR_OK)
            continue;
        if (!cr_is_file(path))
            continue;
        if (cr_grow(&d->names, &cap, d->shard_count + 1, sizeof *d->names) < 0) {
            code = cr_fail(err, CR_EOTHER, "out of memory listing %s", dir);
            break;
        }
        d->names[d->shard_count] = strdup(entry->d_name);
        if (!d->names[d->shard_count]) {
            code = cr_fail(err, CR_EOTHER, "out of memory listing %s", dir);
            break;
        }
        d->shard_count++;
    }
    closedir(folder);
    if (code) {
        data_close(d);
        return code;
    }
    if (d->shard_count == 0) {
        data_close(d);
        return cr_fail(err, CR_ENOINPUT, "no token shards (*.bin) in %s", dir);
    }
    qsort(d->names, d->shard_count, sizeof *d->names, compare_names);
    d->shards = calloc(d->shard_count, sizeof *d->shards);
    d->train_len = calloc(d->shard_count, sizeof *d->train_len);
    d->train_from = calloc(d->shard_count, sizeof *d->train_from);
    if (!d->shards || !d->train_len || !d->train_from) {
        data_close(d);
        return cr_fail(err, CR_EOTHER, "out of memory opening %s", dir);
    }
    for (size_t i = 0; i < d->shard_count; i++) {
        char path[4096];
        cr_path_join(path, sizeof path, dir, d->names[i], NULL);
        code = cr_shard_open(&d->shards[i], path, err);
        if (code) {
            data_close(d);
            return code;
        }
        uint64_t n = d->shards[i].token_count;
        uint64_t held = hold_out ? n / 20 : 0;
        if (held < min_val_tokens)
            held = 0;
        d->train_len[i] = n - held;
        d->train_from[i] = d->total_train;
        d->total_train += n - held;
        d->total_val += held;
        for (uint64_t t = 0; t < n; t++) {
            uint32_t token = cr_shard_token(&d->shards[i], t);
            if (token > d->max_token)
                d->max_token = token;
        }
    }
    return CR_OK;
}

void data_close(token_data *d)
{
    for (size_t i = 0; i < d->shard_count; i++) {
        if (d->shards && d->shards[i].map)
            cr_shard_close(&d->shards[i]);
        if (d->names)
            free(d->names[i]);
    }
    free(d->shards);
    free(d->names);
    free(d->train_len);
    free(d->train_from);
    memset(d, 0, sizeof *d);
}

int data_order_parse(const char *name)
{
    if (strcmp(name, "shuffle") == 0)
        return DATA_ORDER_SHUFFLE;
    if (strcmp(name, "sequential") == 0)
        return DATA_ORDER_SEQUENTIAL;
    return -1;
}

int data_check_vocab(const token_data *d, uint32_t vocab_size, cr_err *err)
{
    for (size_t i = 0; i < d->shard_count; i++) {
        int code = cr_shard_check_vocab(&d->shards[i], vocab_size, err);
        if (code)
            return code;
    }
    return CR_OK;
}

/* The token at the cursor; moves past empty training regions first. */
static uint32_t token_at(const token_data *d, data_cursor *c)
{
    while (c->offset >= d->train_len[c->shard]) {
        c->offset = 0;
        c->shard++;
        if (c->shard == d->shard_count) {
            c->shard = 0;
            c->epoch++;
        }
    }
    return cr_shard_token(&d->shards[c->shard], c->offset);
}

static void advance(const token_data *d, data_cursor *c, uint64_t count)
{
    while (count > 0) {
        token_at(d, c); /* normalise */
        uint64_t left = d->train_len[c->shard] - c->offset;
        uint64_t step = left < count ? left : count;
        c->offset += step;
        count -= step;
    }
    token_at(d, c);
}

void data_next_window(const token_data *d, data_cursor *cursor, int *inputs, int *targets,
                      uint64_t count)
{
    data_cursor c = *cursor;
    uint32_t previous = token_at(d, &c);
    for (uint64_t i = 0; i < count; i++) {
        c.offset++;
        uint32_t next = token_at(d, &c);
        inputs[i] = (int)previous;
        targets[i] = (int)next;
        previous = next;
    }
    advance(d, cursor, count);
}

/* A bijection of [0, 2^bits): rounds of an added key, a multiplication by an odd key and a
 * right xor-shift, each invertible modulo 2^bits. */
static uint64_t scramble(uint64_t x, int bits, const uint64_t keys[8])
{
    uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
    int shift = bits / 2 + 1;
    for (int round = 0; round < 4; round++) {
        x = (x + keys[2 * round]) & mask;
        x = (x * (keys[2 * round + 1] | 1)) & mask;
        x ^= x >> shift;
    }
    return x;
}

/* Window `index` of `count` in the epoch's order: the scramble restricted to [0, count) by
 * cycle walking (a permutation of a power-of-two range, re-applied until it lands below
 * count: still a permutation, under two tries on average). */
static uint64_t permuted(uint64_t index, uint64_t count, const uint64_t keys[8])
{
    int bits = 1;
    while (bits < 64 && (1ULL << bits) < count)
        bits++;
    uint64_t x = index;
    do
        x = scramble(x, bits, keys);
    while (x >= count);
    return x;
}

/* The cursor at position `at` of the whole training stream. */
static data_cursor locate(const token_data *d, uint64_t at)
{
    size_t low = 0, high = d->shard_count; /* the last shard whose training part starts <= at */
    while (high - low > 1) {
        size_t mid = (low + high) / 2;
        if (d->train_from[mid] <= at)
            low = mid;
        else
            high = mid;
    }
    data_cursor c = {.shard = low, .offset = at - d->train_from[low]};
    token_at(d, &c); /* past an empty training part */
    return c;
}

uint64_t data_shuffled_count(const token_data *d, int T)
{
    uint64_t tokens = d->total_train, t = (uint64_t)T;
    return tokens >= 2 * t ? (tokens - t) / t : (tokens - 1) / t;
}

uint64_t data_shuffled_window(const token_data *d, uint64_t seed, int T, uint64_t first_sequence,
                              uint64_t sequences, int *inputs, int *targets)
{
    /* windows [shift + kT, shift + kT + T] for k < count: one window fewer than fits from 0
     * leaves room for any shift in [0, T) (when the data holds two windows) */
    uint64_t count = data_shuffled_count(d, T);
    uint64_t slack = d->total_train - 1 - count * (uint64_t)T;
    if (slack > (uint64_t)T - 1)
        slack = (uint64_t)T - 1;
    uint64_t epoch = 0, keys[8], shift = 0, keyed_epoch = UINT64_MAX;
    for (uint64_t i = 0; i < sequences; i++) {
        uint64_t k = first_sequence + i;
        epoch = k / count;
        if (epoch != keyed_epoch) {
            uint64_t mix = seed ^ (epoch * 0xd1b54a32d192ed03ULL);
            for (int j = 0; j < 8; j++)
                keys[j] = rng_splitmix64(&mix);
            shift = rng_splitmix64(&mix) % (slack + 1);
            keyed_epoch = epoch;
        }
        uint64_t window = permuted(k % count, count, keys);
        data_cursor c = locate(d, shift + window * (uint64_t)T);
        data_next_window(d, &c, inputs + i * (uint64_t)T, targets + i * (uint64_t)T, (uint64_t)T);
    }
    return epoch;
}

int data_seek(const token_data *d, data_cursor *cursor, const char *name, uint64_t offset,
              uint64_t epoch)
{
    cursor->epoch = epoch;
    for (size_t i = 0; i < d->shard_count; i++) {
        int order = strcmp(d->names[i], name);
        if (order == 0 && offset <= d->train_len[i]) {
            cursor->shard = i;
            cursor->offset = offset;
            token_at(d, cursor);
            return 1;
        }
        if (order > 0) {
            cursor->shard = i;
            cursor->offset = 0;
            token_at(d, cursor);
            return 0;
        }
    }
    cursor->shard = 0;
    cursor->offset = 0;
    cursor->epoch = epoch + 1;
    token_at(d, cursor);
    return 0;
}

static uint64_t region_sequences(const token_data *d, size_t i, int T, int whole, uint64_t *begin)
{
    uint64_t n = d->shards[i].token_count;
    *begin = whole ? 0 : d->train_len[i];
    uint64_t len = n - *begin;
    return len >= (uint64_t)T + 1 ? (len - 1) / (uint64_t)T : 0;
}

uint64_t data_val_count(const token_data *d, int T, int whole)
{
    uint64_t total = 0, begin;
    for (size_t i = 0; i < d->shard_count; i++)
        total += region_sequences(d, i, T, whole, &begin);
    return total;
}

void data_val_sequence(const token_data *d, int T, int whole, uint64_t index, int *inputs,
                       int *targets)
{
    for (size_t i = 0; i < d->shard_count; i++) {
        uint64_t begin, count = region_sequences(d, i, T, whole, &begin);
        if (index >= count) {
            index -= count;
            continue;
        }
        uint64_t at = begin + index * (uint64_t)T;
        for (int t = 0; t < T; t++) {
            inputs[t] = (int)cr_shard_token(&d->shards[i], at + t);
            targets[t] = (int)cr_shard_token(&d->shards[i], at + t + 1);
        }
        return;
    }
}
