/* test_data.c — the shuffled training order (data.c): over shards whose tokens are their own
 * positions in the stream, one epoch visits every window once, each window is T + 1
 * consecutive tokens (across a shard boundary too), the order is a function of the sequence
 * number alone (computed in pieces it is the same), and it changes with the epoch and the
 * seed. The sequential order and resume through the trainer: test_train.sh. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "data.h"
#include "fs.h"

enum { T = 16 };
static const uint64_t shard_tokens[] = {1000, 7, 2003};
static char folder[] = "/tmp/test_data.XXXXXX";
static token_data data;

static void write_shards(void)
{
    uint32_t next = 0;
    for (size_t s = 0; s < 3; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/shard_%zu.bin", folder, s);
        cr_shard_writer w;
        cr_err err;
        CHECK_INT_EQ(cr_shard_writer_open(&w, path, 2, &err), CR_OK);
        for (uint64_t i = 0; i < shard_tokens[s]; i++, next++)
            CHECK_INT_EQ(cr_shard_writer_put(&w, &next, 1, &err), CR_OK);
        CHECK_INT_EQ(cr_shard_writer_commit(&w, &err), CR_OK);
    }
}

/* The first input token of each of `count` sequences from `first`. */
static void starts(uint64_t seed, uint64_t first, uint64_t count, int *out)
{
    int *inputs = malloc(count * T * sizeof *inputs),
        *targets = malloc(count * T * sizeof *targets);
    data_shuffled_window(&data, seed, T, first, count, inputs, targets);
    for (uint64_t i = 0; i < count; i++)
        out[i] = inputs[i * T];
    free(inputs);
    free(targets);
}

TEST(one_epoch_visits_every_window_once)
{
    uint64_t count = data_shuffled_count(&data, T);
    CHECK_INT_EQ(count, (data.total_train - T) / T); /* one fewer than fits, for the shift */
    int *inputs = malloc(count * T * sizeof *inputs),
        *targets = malloc(count * T * sizeof *targets);
    char *seen = calloc(count, 1);
    CHECK_INT_EQ(data_shuffled_window(&data, 7, T, 0, count, inputs, targets), 0);
    int shift = inputs[0] % T, whole = 1;
    CHECK(shift < T && (uint64_t)shift + (count - 1) * T + T <= data.total_train - 1);
    for (uint64_t i = 0; i < count; i++) {
        int start = inputs[i * T];
        for (int t = 0; t < T; t++)
            whole &= inputs[i * T + t] == start + t && targets[i * T + t] == start + t + 1;
        CHECK_INT_EQ(start % T, shift);
        uint64_t window = (uint64_t)(start - shift) / T;
        CHECK(window < count && !seen[window]);
        if (window < count)
            seen[window] = 1;
    }
    CHECK(whole);
    free(inputs);
    free(targets);
    free(seen);
}

TEST(the_order_is_a_function_of_the_sequence_number)
{
    uint64_t count = data_shuffled_count(&data, T);
    int all[400], pieces[400];
    starts(7, 0, 2 * count, all);
    starts(7, 0, 5, pieces);
    starts(7, 5, 2 * count - 5, pieces + 5);
    CHECK(memcmp(all, pieces, 2 * count * sizeof *all) == 0);
    int epoch1[200], other_seed[200];
    memcpy(epoch1, all + count, count * sizeof *all);
    CHECK(memcmp(all, epoch1, count * sizeof *all) != 0);
    starts(8, 0, count, other_seed);
    CHECK(memcmp(all, other_seed, count * sizeof *all) != 0);
    int end_inputs[T], end_targets[T]; /* sequence 2 * count: the first of epoch 2 */
    CHECK_INT_EQ(data_shuffled_window(&data, 7, T, 2 * count, 1, end_inputs, end_targets), 2);
}

TEST(the_cut_moves_between_epochs)
{
    uint64_t count = data_shuffled_count(&data, T);
    int seen[T] = {0}, distinct = 0;
    for (uint64_t epoch = 0; epoch < 16; epoch++) {
        int first;
        starts(7, epoch * count, 1, &first);
        distinct += !seen[first % T]++;
    }
    CHECK(distinct >= 4); /* shifts drawn from [0, 16) for 16 epochs */
}

int main(void)
{
    if (!mkdtemp(folder))
        return 1;
    write_shards();
    cr_err err;
    if (data_open(&data, folder, 0, 0, &err) != CR_OK) {
        printf("not ok - data_open: %s\n", err.msg);
        return 1;
    }
    RUN(one_epoch_visits_every_window_once);
    RUN(the_order_is_a_function_of_the_sequence_number);
    RUN(the_cut_moves_between_epochs);
    data_close(&data);
    for (size_t s = 0; s < 3; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/shard_%zu.bin", folder, s);
        unlink(path);
    }
    rmdir(folder);
    return check_summary();
}
