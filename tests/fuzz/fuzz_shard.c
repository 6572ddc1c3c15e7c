/* fuzz_shard.c — a token shard file through the one shard reader (lib/shard.c): any bytes are
 * mapped and refused or read to the end, never read past; the vocabulary check walks every
 * token. Writing shards is tested in tests/lib/test_shard.c. */
#include "fuzz.h"
#include "shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_write_file("shard.bin", data, size, path, sizeof path);
    cr_shard shard;
    cr_err err = {0};
    if (cr_shard_open(&shard, path, &err) != CR_OK) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < shard.token_count; i++)
        sum += cr_shard_token(&shard, i);
    cr_shard_check_vocab(&shard, 50257, &err);
    cr_shard_check_vocab(&shard, 256, &err);
    cr_shard_close(&shard);
    return sum == UINT64_MAX; /* keeps the loop */
}
