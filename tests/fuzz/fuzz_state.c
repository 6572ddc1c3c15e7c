/* fuzz_state.c — the training state file (trainer/state.c, state_read). The file is sealed
 * by a SHA-256 that a fuzzer cannot forge, so the first input byte chooses: bit 7 set, the
 * rest is written as is; clear, the rest is written followed by its own SHA-256, so mutations
 * reach the fields behind the seal. Its low 3 bits are the parameter count the model expects. */
#include "fuzz.h"
#include "hash.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t expected_params = data[0] & 7;
    const uint8_t *body = data + 1;
    size_t body_size = size - 1;
    uint8_t *file = malloc(body_size + 32);
    if (!file)
        abort();
    memcpy(file, body, body_size);
    size_t file_size = body_size;
    if (!(data[0] & 0x80)) {
        cr_sha256_bytes(body, body_size, file + body_size);
        file_size += 32;
    }
    char path[4200];
    fuzz_write_file("model_1.state", file, file_size, path, sizeof path);
    free(file);
    train_state state;
    float m[8], v[8];
    cr_err err = {0};
    if (state_read(path, &state, expected_params, m, v, &err) == CR_OK) {
        if (state.param_count != expected_params || strlen(state.model_sha256) > 64 ||
            strnlen(state.shard_name, sizeof state.shard_name) == sizeof state.shard_name)
            abort();
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
