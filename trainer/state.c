/* state.c — the exact-resume state file (state.h): written atomically through lib/fs.h and
 * sealed with a SHA-256 of its contents (lib/hash.h). It does not decide which checkpoint to
 * resume from; train.c does, falling back to an older pair when this refuses one. */
#include "state.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hash.h"

#define STATE_VERSION 2

/* The file: this header, m and v (param_count floats each), the SHA-256 of all before it. */
typedef struct state_header {
    char magic[8];
    uint32_t version;
    uint32_t header_bytes;
    train_state state;
} state_header;

/* version 1 ended at target_steps; its files still resume (the later fields read as 0) */
#define STATE_V1_BYTES offsetof(state_header, state.target_steps)
/* The format of versions 1 and 2 (docs/trainer.md), whatever becomes of train_state. */
_Static_assert(STATE_V1_BYTES == 496 && sizeof(state_header) == 536,
               "train_state is the state file's header: its layout is the file format");

int state_write(const char *path, const train_state *s, const float *m, const float *v, cr_err *err)
{
    state_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, STATE_MAGIC, 8);
    h.version = STATE_VERSION;
    h.header_bytes = sizeof h;
    h.state = *s;
    /* the text fields as NUL-padded text: no byte of memory beyond the string is written */
    memset(h.state.shard_name, 0, sizeof h.state.shard_name);
    snprintf(h.state.shard_name, sizeof h.state.shard_name, "%s", s->shard_name);
    memset(h.state.model_sha256, 0, sizeof h.state.model_sha256);
    snprintf(h.state.model_sha256, sizeof h.state.model_sha256, "%s", s->model_sha256);
    cr_sha256 sha;
    int code = cr_sha256_begin(&sha, err);
    if (code)
        return code;
    cr_atomic_file file;
    code = cr_atomic_open(&file, path, err);
    if (code) {
        uint8_t unused[32];
        cr_sha256_end(&sha, unused);
        return code;
    }
    size_t bytes = s->param_count * sizeof(float);
    cr_sha256_update(&sha, &h, sizeof h);
    cr_sha256_update(&sha, m, bytes);
    cr_sha256_update(&sha, v, bytes);
    uint8_t digest[32];
    cr_sha256_end(&sha, digest);
    code = cr_atomic_write(&file, &h, sizeof h, err);
    if (!code)
        code = cr_atomic_write(&file, m, bytes, err);
    if (!code)
        code = cr_atomic_write(&file, v, bytes, err);
    if (!code)
        code = cr_atomic_write(&file, digest, sizeof digest, err);
    if (code) {
        cr_atomic_abort(&file);
        return code;
    }
    return cr_atomic_commit(&file, err);
}

int state_read(const char *path, train_state *s, size_t expected_params, float *m, float *v,
               cr_err *err)
{
    char *bytes;
    size_t len;
    int code = cr_read_file(path, &bytes, &len, 0, err);
    if (code)
        return code;
    state_header h;
    memset(&h, 0, sizeof h);
    if (len < STATE_V1_BYTES) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: truncated (%zu bytes)", path, len);
    }
    memcpy(&h, bytes, STATE_V1_BYTES);
    size_t header_bytes = h.version == 1 ? STATE_V1_BYTES : sizeof h;
    if (h.version == STATE_VERSION && len >= sizeof h)
        memcpy(&h, bytes, sizeof h);
    size_t want = header_bytes + 2 * expected_params * sizeof(float) + 32;
    if (memcmp(h.magic, STATE_MAGIC, 8) != 0 || h.version < 1 || h.version > STATE_VERSION ||
        h.header_bytes != header_bytes) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: not a trainer state file (bad magic or version)",
                       path);
    }
    if (h.state.param_count != expected_params) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: for %llu parameters, the model has %zu", path,
                       (unsigned long long)h.state.param_count, expected_params);
    }
    if (len != want) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: %s (%zu bytes, expected %zu)", path,
                       len < want ? "truncated" : "trailing bytes", len, want);
    }
    uint8_t digest[32];
    cr_sha256_bytes(bytes, len - 32, digest);
    if (memcmp(digest, bytes + len - 32, 32) != 0) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: checksum mismatch (corrupted)", path);
    }
    size_t floats = expected_params * sizeof(float);
    memcpy(m, bytes + header_bytes, floats);
    memcpy(v, bytes + header_bytes + floats, floats);
    free(bytes);
    *s = h.state;
    s->shard_name[sizeof s->shard_name - 1] = 0;
    s->model_sha256[64] = 0;
    return CR_OK;
}
