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
/* version 1 ended at target_steps; its files still resume (the later fields read as 0) */
#define STATE_V1_BYTES offsetof(state_header, target_steps)

/* The fixed-size header as written: every field at a fixed offset, little-endian. */
typedef struct state_header {
    char magic[8];
    uint32_t version;
    uint32_t header_bytes;
    int64_t step;
    uint64_t rng[4];
    char shard_name[256];
    uint64_t shard_offset;
    uint64_t epoch;
    uint64_t tokens_seen;
    double lr, min_lr, weight_decay, grad_clip, beta1, beta2, eps;
    int64_t warmup, decay_steps;
    uint64_t seed;
    char model_sha256[72];
    uint64_t param_count;
    int64_t target_steps, segment_start, budget_ms;
    int32_t schedule_kind, reserved;
    double decay_fraction;
} state_header;

/* The fields that are the same number on both sides, where each lives in train_state and in
 * the header: the one list write and read walk. The text fields (shard name, model checksum)
 * differ in size and are copied by hand. FIELD fails the build (an array of size -1) when a
 * field's two sides ever differ in size. */
#define SAME_SIZE(f) (sizeof(((train_state *)0)->f) == sizeof(((state_header *)0)->f))
#define FIELD(f)                                                                                   \
    {                                                                                              \
        offsetof(train_state, f), offsetof(state_header, f),                                       \
            sizeof(((train_state *)0)->f) + 0 * sizeof(char[SAME_SIZE(f) ? 1 : -1])                \
    }
static const struct {
    size_t in_state, in_header, bytes;
} fields[] = {
    FIELD(step),        FIELD(rng),           FIELD(shard_offset),
    FIELD(epoch),       FIELD(tokens_seen),   FIELD(lr),
    FIELD(min_lr),      FIELD(weight_decay),  FIELD(grad_clip),
    FIELD(beta1),       FIELD(beta2),         FIELD(eps),
    FIELD(warmup),      FIELD(decay_steps),   FIELD(seed),
    FIELD(param_count), FIELD(target_steps),  FIELD(segment_start),
    FIELD(budget_ms),   FIELD(schedule_kind), FIELD(decay_fraction),
};

/* to_header 1: from a train_state into a header; 0: back. */
static void copy_fields(void *to, const void *from, int to_header)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t to_offset = to_header ? fields[i].in_header : fields[i].in_state;
        size_t from_offset = to_header ? fields[i].in_state : fields[i].in_header;
        memcpy((char *)to + to_offset, (const char *)from + from_offset, fields[i].bytes);
    }
}

int state_write(const char *path, const train_state *s, const float *m, const float *v, cr_err *err)
{
    state_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, STATE_MAGIC, 8);
    h.version = STATE_VERSION;
    h.header_bytes = sizeof h;
    copy_fields(&h, s, 1);
    snprintf(h.shard_name, sizeof h.shard_name, "%s", s->shard_name);
    snprintf(h.model_sha256, sizeof h.model_sha256, "%s", s->model_sha256);
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
    if (h.param_count != expected_params) {
        free(bytes);
        return cr_fail(err, CR_EDATA, "state %s: for %llu parameters, the model has %zu", path,
                       (unsigned long long)h.param_count, expected_params);
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
    memset(s, 0, sizeof *s);
    copy_fields(s, &h, 0);
    h.shard_name[sizeof h.shard_name - 1] = 0;
    snprintf(s->shard_name, sizeof s->shard_name, "%s", h.shard_name);
    memcpy(s->model_sha256, h.model_sha256, 64);
    s->model_sha256[64] = 0;
    return CR_OK;
}
