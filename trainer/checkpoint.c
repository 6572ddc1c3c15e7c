/* checkpoint.c — naming, listing, saving and pruning checkpoint pairs (checkpoint.h). The
 * formats are model.c's and state.c's; choosing which pair to resume from is train.c's. */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "hash.h"
#include "log.h"

static int parse_model_name(const char *name, int64_t *step)
{
    long long value;
    int used = 0;
    if (sscanf(name, "model_%lld.bin%n", &value, &used) != 1 || name[used] != 0 || value < 0)
        return 0;
    if (strncmp(name, "model_", 6) != 0)
        return 0;
    *step = value;
    return 1;
}

static int newest_first(const void *a, const void *b)
{
    const checkpoint_entry *x = a, *y = b;
    return x->step < y->step ? 1 : x->step > y->step ? -1 : 0;
}

int checkpoint_list(const char *dir, checkpoint_entry **entries, size_t *count, cr_err *err)
{
    *entries = NULL;
    *count = 0;
    DIR *folder = opendir(dir);
    if (!folder) {
        if (errno == ENOENT)
            return CR_OK;
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening %s", dir);
    }
    size_t cap = 0;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        int64_t step;
        if (!parse_model_name(entry->d_name, &step))
            continue;
        if (cr_grow(entries, &cap, *count + 1, sizeof **entries) < 0) {
            closedir(folder);
            free(*entries);
            *entries = NULL;
            *count = 0;
            return cr_fail(err, CR_EOTHER, "out of memory listing %s", dir);
        }
        checkpoint_entry *e = &(*entries)[*count];
        e->step = step;
        snprintf(e->model_path, sizeof e->model_path, "%s/%s", dir, entry->d_name);
        snprintf(e->state_path, sizeof e->state_path, "%s/model_%08" PRId64 ".state", dir, step);
        /* a FIFO or a device under a checkpoint's name would hang or flood the reader: such
         * a pair is listed (so a run never writes over it) but never read */
        struct stat model_st, state_st;
        e->irregular = stat(e->model_path, &model_st) != 0 || !S_ISREG(model_st.st_mode) ||
                       (stat(e->state_path, &state_st) == 0 && !S_ISREG(state_st.st_mode));
        (*count)++;
    }
    closedir(folder);
    if (*count)
        qsort(*entries, *count, sizeof **entries, newest_first);
    return CR_OK;
}

void checkpoint_sha256(const gpt2_config *cfg, const float *params, char hex[65])
{
    int32_t header[GPT2_HEADER_INTS];
    gpt2_header_from_config(cfg, header); /* the bytes the model file starts with */
    size_t sizes[GPT2_NUM_TENSORS];
    size_t total = gpt2_tensor_sizes(cfg, sizes);
    cr_sha256 sha;
    uint8_t digest[32];
    if (cr_sha256_begin(&sha, NULL) != CR_OK) {
        hex[0] = 0;
        return;
    }
    cr_sha256_update(&sha, header, sizeof header);
    cr_sha256_update(&sha, params, total * sizeof(float));
    cr_sha256_end(&sha, digest);
    cr_hex_encode(digest, 32, hex);
    hex[64] = 0;
}

int checkpoint_save(const char *dir, const gpt2_config *cfg, const float *params,
                    train_state *state, const float *m, const float *v, char *model_path,
                    size_t model_path_size, cr_err *err)
{
    int code = cr_mkdir_p(dir, err);
    if (code)
        return code;
    char state_path[4096];
    snprintf(model_path, model_path_size, "%s/model_%08" PRId64 ".bin", dir, state->step);
    snprintf(state_path, sizeof state_path, "%s/model_%08" PRId64 ".state", dir, state->step);
    checkpoint_sha256(cfg, params, state->model_sha256);
    /* the model is written first under its temporary name (a full disk shows there), then
     * the state, then the model's rename: a crash leaves at most a state without its model */
    cr_atomic_file model;
    code = gpt2_checkpoint_stage(&model, model_path, cfg, params, err);
    if (code)
        return code;
    code = state_write(state_path, state, m, v, err);
    if (code) {
        cr_atomic_abort(&model);
        return code;
    }
    return cr_atomic_commit(&model, err);
}

static int guard_protects(const checkpoint_guard *guard, int64_t step)
{
    for (size_t i = 0; guard && i < guard->foreign_count; i++)
        if (guard->foreign_steps[i] == step)
            return 1;
    return 0;
}

int checkpoint_guard_open(checkpoint_guard *guard, const char *dir, int resume_asked,
                          int64_t resumed_step, int64_t first_step, int64_t last_step, cr_err *err)
{
    memset(guard, 0, sizeof *guard);
    checkpoint_entry *entries;
    size_t count;
    int code = checkpoint_list(dir, &entries, &count, err);
    if (code)
        return code;
    guard->foreign_steps = calloc(count + 1, sizeof *guard->foreign_steps);
    if (!guard->foreign_steps) {
        free(entries);
        return cr_fail(err, CR_EOTHER, "out of memory listing %s", dir);
    }
    for (size_t i = 0; i < count && !code; i++) {
        int64_t step = entries[i].step;
        if (resumed_step >= 0 && step <= resumed_step)
            continue; /* the one resumed from and its line before it */
        guard->foreign_steps[guard->foreign_count++] = step;
        if (step < first_step || step > last_step)
            continue;
        if (resume_asked)
            code = cr_fail(
                err, CR_EDATA,
                "%s cannot be resumed from (the warning 'not resuming from' says why) and this "
                "run (steps "
                "%" PRId64 "..%" PRId64 ") would write over it: move it away, or "
                "train into another --out (a run never overwrites or removes "
                "checkpoints it did not write)",
                entries[i].model_path, first_step, last_step);
        else
            code = cr_fail(err, CR_EUSAGE,
                           "%s is not this run's and this new model (steps %" PRId64 "..%" PRId64
                           ") would write over it: use --resume, or train into another --out "
                           "(a run never overwrites or removes checkpoints it did not write)",
                           entries[i].model_path, first_step, last_step);
    }
    free(entries);
    if (code)
        checkpoint_guard_close(guard);
    return code;
}

void checkpoint_guard_close(checkpoint_guard *guard)
{
    free(guard->foreign_steps);
    memset(guard, 0, sizeof *guard);
}

void checkpoint_prune(const char *dir, int keep, const checkpoint_guard *guard)
{
    if (keep <= 0)
        return;
    checkpoint_entry *entries;
    size_t count;
    if (checkpoint_list(dir, &entries, &count, NULL) != CR_OK)
        return;
    int kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (guard_protects(guard, entries[i].step) || kept++ < keep)
            continue;
        /* model first: a crash between the two leaves a state without a model, which no
         * listing sees, never a model without its state */
        unlink(entries[i].model_path);
        unlink(entries[i].state_path);
        cr_debug("removed %s (keeping the last %d)", entries[i].model_path, keep);
    }
    free(entries);
}

int checkpoint_resolve(const char *path, char *out, size_t out_size, cr_err *err)
{
    if (!cr_is_dir(path)) {
        snprintf(out, out_size, "%s", path);
        return CR_OK;
    }
    checkpoint_entry *entries;
    size_t count;
    int code = checkpoint_list(path, &entries, &count, err);
    if (code)
        return code;
    for (size_t i = 0; i < count; i++) {
        gpt2_config cfg;
        cr_err ignored;
        if (!entries[i].irregular &&
            gpt2_checkpoint_read_config(entries[i].model_path, &cfg, &ignored) == CR_OK) {
            snprintf(out, out_size, "%s", entries[i].model_path);
            free(entries);
            return CR_OK;
        }
    }
    free(entries);
    return cr_fail(err, CR_ENOINPUT, "no model_*.bin checkpoint in %s", path);
}
