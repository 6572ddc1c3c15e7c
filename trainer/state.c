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

int state_write(const char *path, const train_state *s, const float *m, const float *v, cr_err *err)
{
    state_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, STATE_MAGIC, 8);
    h.version = STATE_VERSION;
    h.header_bytes = sizeof h;
    h.step = s->step;
    memcpy(h.rng, s->rng, sizeof h.rng);
    snprintf(h.shard_name, sizeof h.shard_name, "%s", s->shard_name);
    h.shard_offset = s->shard_offset;
    h.epoch = s->epoch;
    h.tokens_seen = s->tokens_seen;
    h.lr = s->lr;
    h.min_lr = s->min_lr;
    h.weight_decay = s->weight_decay;
    h.grad_clip = s->grad_clip;
    h.beta1 = s->beta1;
    h.beta2 = s->beta2;
    h.eps = s->eps;
    h.warmup = s->warmup;
    h.decay_steps = s->decay_steps;
    h.seed = s->seed;
    snprintf(h.model_sha256, sizeof h.model_sha256, "%s", s->model_sha256);
    h.param_count = s->param_count;
    h.target_steps = s->target_steps;
    h.segment_start = s->segment_start;
    h.budget_ms = s->budget_ms;
    h.schedule_kind = s->schedule_kind;
    h.decay_fraction = s->decay_fraction;
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
    s->step = h.step;
    memcpy(s->rng, h.rng, sizeof s->rng);
    h.shard_name[sizeof h.shard_name - 1] = 0;
    snprintf(s->shard_name, sizeof s->shard_name, "%s", h.shard_name);
    s->shard_offset = h.shard_offset;
    s->epoch = h.epoch;
    s->tokens_seen = h.tokens_seen;
    s->lr = h.lr;
    s->min_lr = h.min_lr;
    s->weight_decay = h.weight_decay;
    s->grad_clip = h.grad_clip;
    s->beta1 = h.beta1;
    s->beta2 = h.beta2;
    s->eps = h.eps;
    s->warmup = h.warmup;
    s->decay_steps = h.decay_steps;
    s->seed = h.seed;
    memcpy(s->model_sha256, h.model_sha256, 64);
    s->model_sha256[64] = 0;
    s->param_count = h.param_count;
    s->target_steps = h.target_steps;
    s->segment_start = h.segment_start;
    s->budget_ms = h.budget_ms;
    s->schedule_kind = h.schedule_kind;
    s->decay_fraction = h.decay_fraction;
    return CR_OK;
}
