/* train.c — `trainer train` (train.h): Node Zero's loop around the sphere engine. It never
 * computes a batch itself: it reads the next window, hands it to the engine, sets the learning
 * rate, logs, validates and checkpoints. Resume picks the newest checkpoint pair that verifies
 * and falls back to older ones. The model maths is layers_impl.h, the threads spheres.c. */
#include "train.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "budget.h"
#include "checkpoint.h"
#include "data.h"
#include "fs.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "matmul.h"
#include "muon.h"
#include "parse.h"
#include "progress.h"
#include "ranks.h"
#include "rng.h"
#include "schedule.h"
#include "spheres.h"
#include "state.h"
#include "vocab.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

#define DEFAULT_LAYERS 4
#define DEFAULT_CHANNELS 192
#define DEFAULT_HEADS 6
#define DEFAULT_SEQ_LEN 64
#define DEFAULT_BATCH 12

void train_options_default(train_options *o)
{
    memset(o, 0, sizeof *o);
    o->init = "new";
    /* layers, channels, heads, seq_len, batch 0: not given (a new model takes the DEFAULT_
     * ones, or under --time the budget's shape; a resumed one keeps its own shape, and says
     * so when one was given that differs) */
    o->steps = -1;
    o->lr = 1e-3;
    o->min_lr = 1e-4;
    o->warmup = 20;
    o->decay_fraction = 0.2;
    o->schedule_kind = SCHEDULE_WSD;
    o->data_order = DATA_ORDER_SHUFFLE;
    o->weight_decay = 0.1;
    o->grad_clip = 1.0;
    o->beta1 = 0.9;
    o->beta2 = 0.99; /* 0.95 -> 0.99: held-out loss -2.2% (docs/trainer.md) */
    o->eps = 1e-8;
    o->seed = 1337;
    o->val_every = 100;
    o->val_tokens = 8192;
    o->checkpoint_every = 100;
    o->keep = 3;
    o->log_every = 10;
    o->kernel_max = KERNEL_AVX512;
}

/* The newest checkpoint pair that verifies: model header and size, state checksum, and the
 * state's record of the model file's checksum. Refused pairs are named in a warning. */
static int load_resume_point(const char *dir, gpt2_config *cfg, float **params, float **m,
                             float **v, train_state *state, char *used, size_t used_size,
                             cr_err *err)
{
    checkpoint_entry *entries;
    size_t count;
    int code = checkpoint_list(dir, &entries, &count, err);
    if (code)
        return code;
    for (size_t i = 0; i < count; i++) {
        cr_err why;
        float *p = NULL, *mm = NULL, *vv = NULL;
        int bad = entries[i].irregular
                      ? cr_fail(&why, CR_EDATA, "it or its state is not a regular file")
                      : gpt2_checkpoint_read(entries[i].model_path, cfg, &p, &why);
        if (!bad) {
            size_t sizes[GPT2_NUM_TENSORS];
            size_t P = gpt2_tensor_sizes(cfg, sizes);
            mm = malloc(P * sizeof *mm);
            vv = malloc(P * sizeof *vv);
            if (!mm || !vv)
                bad = cr_fail(&why, CR_EOTHER, "out of memory");
            else
                bad = state_read(entries[i].state_path, state, P, mm, vv, &why);
            if (!bad) {
                char hex[65];
                checkpoint_sha256(cfg, p, hex);
                if (strcmp(hex, state->model_sha256) != 0)
                    bad = cr_fail(&why, CR_EDATA, "state %s belongs to another model file",
                                  entries[i].state_path);
                else if (state->step != entries[i].step) /* renamed, or crafted */
                    bad = cr_fail(&why, CR_EDATA, "state %s is of step %" PRId64 ", not %" PRId64,
                                  entries[i].state_path, state->step, entries[i].step);
            }
        }
        if (!bad) {
            *params = p;
            *m = mm;
            *v = vv;
            snprintf(used, used_size, "%s", entries[i].model_path);
            free(entries);
            return CR_OK;
        }
        cr_warn("not resuming from %s: %s", entries[i].model_path, why.msg);
        free(p);
        free(mm);
        free(vv);
    }
    free(entries);
    used[0] = 0;
    return CR_OK;
}

/* metrics.jsonl keeps only the steps up to the one this run starts from (cut): a run killed
 * after its last checkpoint logged steps that the resumed run trains again. Read line by line
 * and rewritten atomically (a reader sees the old file or the new one); a line without its
 * newline (torn) goes too. A metrics.jsonl that is not a regular file (a FIFO would block every
 * step) is refused. */
static int metrics_prepare(const char *dir, long start_step, int cut, cr_err *err)
{
    char path[4096];
    int code = cr_path_join(path, sizeof path, dir, "metrics.jsonl", err);
    struct stat st;
    if (code || lstat(path, &st) != 0)
        return code;
    if (!S_ISREG(st.st_mode))
        return cr_fail(err, CR_EDATA, "%s is not a regular file: move it away", path);
    if (!cut)
        return CR_OK;
    FILE *in = fopen(path, "re");
    if (!in)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening %s", path);
    char *line = NULL;
    size_t line_cap = 0;
    off_t kept = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, in)) > 0) {
        const char *step = strstr(line, "\"step\":"); /* first key of every line */
        if (line[len - 1] != '\n' || !step || strtol(step + 7, NULL, 10) > start_step)
            break; /* later lines are later steps */
        kept += len;
    }
    free(line);
    if (kept == st.st_size) {
        fclose(in);
        return CR_OK;
    }
    cr_info("metrics.jsonl: keeping the steps up to %ld (%lld bytes removed)", start_step,
            (long long)(st.st_size - kept));
    cr_atomic_file out;
    code = cr_atomic_open(&out, path, err);
    char buffer[1 << 16];
    rewind(in);
    for (off_t left = kept; !code && left > 0;) {
        size_t want = left < (off_t)sizeof buffer ? (size_t)left : sizeof buffer;
        size_t got = fread(buffer, 1, want, in);
        if (got == 0)
            code = cr_fail(err, CR_EIO, "reading %s", path);
        else
            code = cr_atomic_write(&out, buffer, got, err);
        left -= (off_t)got;
    }
    fclose(in);
    if (code) {
        cr_atomic_abort(&out);
        return code;
    }
    return cr_atomic_commit(&out, err);
}

static void append_metrics(const char *dir, const cr_buf *line)
{
    char path[4096];
    if (cr_path_join(path, sizeof path, dir, "metrics.jsonl", NULL) != CR_OK)
        return;
    /* O_NONBLOCK: never blocks on a FIFO put there during the run (ENXIO instead) */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
        cr_warn("cannot append to %s: %s", path, strerror(errno));
        return;
    }
    if (write(fd, line->data, line->len) != (ssize_t)line->len)
        cr_warn("short write to %s", path);
    close(fd);
}

/* Mean loss over up to max_tokens of validation sequences, batch by batch. */
static double validate(sphere_engine *e, const token_data *d, int whole, int B, int T,
                       long max_tokens, int *inputs, int *targets)
{
    uint64_t available = data_val_count(d, T, whole);
    uint64_t wanted = (uint64_t)(max_tokens > 0 ? max_tokens : 0) / (uint64_t)T;
    if (wanted < 1)
        wanted = 1;
    uint64_t count = available < wanted ? available : wanted;
    if (count == 0)
        return NAN;
    double total = 0;
    for (uint64_t first = 0; first < count; first += (uint64_t)B) {
        int n = (int)(count - first < (uint64_t)B ? count - first : (uint64_t)B);
        for (int i = 0; i < n; i++)
            data_val_sequence(d, T, whole, first + (uint64_t)i, inputs + (size_t)i * T,
                              targets + (size_t)i * T);
        total += engine_loss(e, inputs, targets, n) * n;
    }
    return total / (double)count;
}

static uint32_t vocab_for_new_model(const train_options *o, const token_data *d, cr_err *err,
                                    int *code)
{
    *code = CR_OK;
    if (o->vocab > 0)
        return (uint32_t)o->vocab;
    char path[4096];
    const char *tok = o->tokenizer;
    if (!tok && cr_path_join(path, sizeof path, o->data_dir, "tokenizer", NULL) == CR_OK &&
        cr_is_file(path))
        tok = path;
    if (tok) {
        tok_vocab v;
        tok_vocab_init(&v);
        *code = tok_vocab_load(&v, tok, err);
        uint32_t size = v.vocab_size;
        tok_vocab_free(&v);
        if (*code)
            return 0;
        cr_info("vocabulary: %u tokens, from the tokenizer file %s", size, tok);
        return size;
    }
    cr_info("vocabulary: %u tokens (largest token id in the shards + 1; no tokenizer file, "
            "no --vocab)",
            d->max_token + 1);
    return d->max_token + 1;
}

struct run {
    const train_options *o; /* &opts */
    train_options opts;     /* the options, the shape filled in (train_run, settle_shape) */
    int shape_given;        /* a shape option was given: no budget shape, no epoch ceiling */
    int rung;               /* the shape's rung of budget_ladder, -1 for none */
    long max_steps;         /* --time: the rung's epoch ceiling in steps a run, 0 for none */
    double started_s;       /* cr_now_s() at the start: the budget counts from there */
    long first_step;        /* the step this run started from */
    gpt2_config cfg;
    sphere_engine *engine;
    token_data data, val_data;
    int have_val_data, whole_val;
    data_cursor cursor;
    train_state state;
    int *inputs, *targets;
    char last_checkpoint[4096];
    cr_buf metrics;
    rank_exchange *exchange; /* NULL on one rank (ranks.h) */
};

static int save(struct run *r, cr_err *err)
{
    ranks_gather_moments(r->exchange, r->engine);
    if (!ranks_is_root())
        return CR_OK; /* rank 0 alone writes --out */
    const data_cursor *c = &r->cursor;
    snprintf(r->state.shard_name, sizeof r->state.shard_name, "%s", r->data.names[c->shard]);
    r->state.shard_offset = c->offset;
    r->state.epoch = c->epoch;
    r->state.param_count = engine_param_count(r->engine);
    int code = checkpoint_save(r->o->out_dir, &r->cfg, engine_params(r->engine), &r->state,
                               engine_adam_m(r->engine), engine_adam_v(r->engine),
                               r->last_checkpoint, sizeof r->last_checkpoint, err);
    if (!code)
        cr_info("checkpoint %s (step %" PRId64 ")", r->last_checkpoint, r->state.step);
    return code;
}

/* Anonymous resident memory now, in KiB (RssAnon of /proc/self/status: the heap and the
 * engine's buffers, not the code pages of libraries first used mid-run); 0 where unknown. */
static long resident_kib(void)
{
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = 0;
    const char *at = strstr(text, "RssAnon:");
    return at ? strtol(at + 8, NULL, 10) : 0;
}

static void metrics_line(struct run *r, double loss, double val_loss, double lr, double norm,
                         double tokens_per_s)
{
    cr_buf *line = &r->metrics; /* reused: no allocation in a training step */
    cr_buf_reset(line);
    cr_json j;
    cr_json_init(&j, line);
    cr_json_object_begin(&j);
    cr_json_kv_int(&j, "step", r->state.step);
    cr_json_kv_double(&j, "loss", loss);
    if (!isnan(val_loss))
        cr_json_kv_double(&j, "val_loss", val_loss);
    cr_json_kv_double(&j, "lr", lr);
    cr_json_kv_double(&j, "grad_norm", norm);
    cr_json_kv_double(&j, "tokens_per_s", tokens_per_s);
    cr_json_kv_int(&j, "epoch", (int64_t)r->cursor.epoch);
    cr_json_kv_int(&j, "ranks", ranks_count());
    cr_json_kv_int(&j, "global_batch", (int64_t)r->o->batch * ranks_count());
    if (r->exchange)
        cr_json_kv_double(&j, "exchange_ms", ranks_exchange_ms(r->exchange));
    cr_json_kv_int(&j, "rss_kib", resident_kib());
    cr_json_key(&j, "spheres");
    cr_json_array_begin(&j);
    const sphere_stats *stats = engine_sphere_stats(r->engine);
    for (int s = 0; s < engine_active_spheres(r->engine); s++) {
        cr_json_object_begin(&j);
        cr_json_kv_int(&j, "sphere", s);
        cr_json_kv_int(&j, "tokens", (int64_t)stats[s].sequences * r->o->seq_len);
        cr_json_kv_double(&j, "loss",
                          stats[s].sequences
                              ? stats[s].loss_sum / ((double)stats[s].sequences * r->o->seq_len)
                              : NAN);
        cr_json_kv_double(&j, "busy_ms", stats[s].busy_s * 1000.0);
        cr_json_kv_int(&j, "worker", stats[s].worker);
        cr_json_object_end(&j);
    }
    cr_json_array_end(&j);
    cr_json_object_end(&j);
    cr_buf_putc(line, '\n');
    if (!line->failed)
        append_metrics(r->o->out_dir, line);
}

/* A resumed model keeps its shape: an option asking for another one is named, not obeyed
 * silently. */
static void warn_ignored_shape(const train_options *o, const gpt2_config *cfg, const char *used)
{
    const struct {
        const char *option;
        int given, has;
    } shape[] = {{"--layers", o->layers, cfg->num_layers},
                 {"--channels", o->channels, cfg->channels},
                 {"--heads", o->heads, cfg->num_heads},
                 {"--vocab", o->vocab, cfg->vocab_size}};
    for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++)
        if (shape[i].given && shape[i].given != shape[i].has)
            cr_warn("%s %d ignored: the resumed model %s has %d (a model keeps its shape; train "
                    "into another --out for a new one)",
                    shape[i].option, shape[i].given, used, shape[i].has);
    if (o->init && strcmp(o->init, "new") != 0)
        cr_warn("--init %s ignored: resuming from %s", o->init, used);
}

/* The first rung's speed (budget_ladder[0]) here and now, in tokens/s: a throwaway engine, one
 * warm-up pass and three timed forward-backward passes over the first window (nothing is updated,
 * nothing kept). */
static int probe_first_rung(const struct run *r, int vocab, double *tokens_per_s, cr_err *err)
{
    const budget_shape *s = &budget_ladder[0];
    gpt2_config cfg = budget_shape_config(s, vocab);
    size_t window = (size_t)s->batch * (size_t)s->seq_len;
    *tokens_per_s = 0;
    if (!budget_rung_fits(s, r->data.total_train))
        return CR_OK; /* too little data for one batch: train_run says so */
    sphere_engine *e;
    int code = engine_new(&e, &cfg, s->batch, s->seq_len, r->o->threads, err);
    if (code)
        return code;
    gpt2_init_params(&cfg, engine_params(e), r->o->seed);
    int *inputs = malloc(window * sizeof *inputs), *targets = malloc(window * sizeof *targets);
    if (!inputs || !targets)
        code = cr_fail(err, CR_EOTHER, "out of memory");
    else {
        data_cursor cursor = {0};
        data_next_window(&r->data, &cursor, inputs, targets, window);
        double loss, norm, timed_from = 0;
        for (int pass = 0; pass < 4; pass++) {
            if (pass == 1)
                timed_from = cr_now_s();
            engine_forward_backward(e, inputs, targets, s->batch, &loss, &norm);
        }
        double seconds = cr_now_s() - timed_from;
        *tokens_per_s = seconds > 0 ? 3.0 * (double)window / seconds : 0;
    }
    free(inputs);
    free(targets);
    engine_free(e);
    return code;
}

static void use_rung(struct run *r, int rung)
{
    const budget_shape *s = &budget_ladder[rung];
    r->rung = rung;
    r->opts.layers = s->layers;
    r->opts.channels = s->channels;
    r->opts.heads = s->heads;
    r->opts.seq_len = s->seq_len;
    r->opts.batch = s->batch;
}

/* --time without a shape option, a new model: the ladder's choice (budget.h) from the
 * budget left, the first rung's measured speed and the training tokens; said with why. */
static int choose_shape(struct run *r, int vocab, cr_err *err)
{
    int code = data_check_vocab(&r->data, (uint32_t)vocab, err); /* before the probe reads */
    double first_tokens_per_s;
    if (!code)
        code = probe_first_rung(r, vocab, &first_tokens_per_s, err);
    if (code)
        return code;
    double left_s = (double)r->o->time_ms / 1000.0 - (cr_now_s() - r->started_s);
    budget_choice c = budget_choose(left_s, first_tokens_per_s, r->data.total_train, vocab);
    use_rung(r, c.rung);
    const budget_shape *s = &budget_ladder[c.rung];
    char why[256], cap[200] = "";
    const budget_shape *next = c.rung + 1 < budget_ladder_count ? s + 1 : NULL;
    if (next && !budget_rung_fits(next, r->data.total_train))
        snprintf(why, sizeof why, "the next rung needs %d tokens for one batch",
                 next->batch * next->seq_len + 1);
    else if (next)
        snprintf(why, sizeof why, "the next rung would get fewer than its %g epochs",
                 next->epochs_min);
    else
        snprintf(why, sizeof why, "the largest rung");
    if (c.capped)
        snprintf(cap, sizeof cap,
                 "; more than its %g epochs: the run stops after %ld steps, before the budget's "
                 "end (more would memorise the data)",
                 s->epochs_max, c.max_steps);
    char budget_text[32];
    cr_format_duration(r->o->time_ms, budget_text, sizeof budget_text);
    cr_info("shape for the budget %s: rung %d of %d, %d layers x %d channels, %d heads, seq %d, "
            "batch %d; about %.1f epochs of %llu tokens at an estimated %.0f tokens/s (rung 1 "
            "measured %.0f); %s%s",
            budget_text, c.rung + 1, budget_ladder_count, s->layers, s->channels, s->heads,
            s->seq_len, s->batch, c.epochs, (unsigned long long)r->data.total_train, c.tokens_per_s,
            first_tokens_per_s, why, cap);
    return CR_OK;
}

/* Once the model is open. --time without a shape option: a resumed model whose shape is a
 * rung of the ladder trains at that rung's context and batch, with its epoch ceiling (the
 * model file is the record of the budget's choice). The data is opened again when the context
 * is not the one it was opened for (what is held back for validation depends on it). */
static int settle_shape(struct run *r, int resumed, int opened_seq_len, cr_err *err)
{
    const gpt2_config *c = &r->cfg;
    if (resumed && r->o->time_ms > 0 && !r->shape_given) {
        int rung = budget_ladder_find(c->num_layers, c->channels, c->num_heads, c->max_seq_len,
                                      DEFAULT_BATCH);
        if (rung >= 0) {
            use_rung(r, rung);
            cr_info("shape: the resumed model's, rung %d of %d of the budget's ladder (seq %d, "
                    "batch %d; at most %g epochs a budget)",
                    rung + 1, budget_ladder_count, r->o->seq_len, r->o->batch,
                    budget_ladder[rung].epochs_max);
        }
    }
    if (r->o->seq_len != opened_seq_len) {
        data_close(&r->data);
        int code = data_open(&r->data, r->o->data_dir, r->o->val_data == NULL,
                             (uint64_t)r->o->seq_len + 1, err);
        if (code)
            return code;
    }
    if (r->rung >= 0)
        r->max_steps = budget_epoch_steps(budget_ladder[r->rung].epochs_max, r->data.total_train,
                                          r->o->batch, r->o->seq_len);
    return CR_OK;
}

static int open_model(struct run *r, float **params, float **m, float **v, int *resumed,
                      cr_err *err)
{
    const train_options *o = r->o;
    *params = *m = *v = NULL;
    *resumed = 0;
    char used[4096] = "";
    if (o->resume) {
        int code =
            load_resume_point(o->out_dir, &r->cfg, params, m, v, &r->state, used, sizeof used, err);
        if (code)
            return code;
        if (used[0]) {
            *resumed = 1;
            cr_info("resuming from %s at step %" PRId64, used, r->state.step);
            warn_ignored_shape(o, &r->cfg, used);
            return CR_OK;
        }
        cr_info("no checkpoint to resume in %s: starting a new model", o->out_dir);
    }
    memset(&r->state, 0, sizeof r->state);
    rng_state rng;
    rng_seed(&rng, o->seed);
    memcpy(r->state.rng, rng.s, sizeof rng.s);
    r->state.seed = o->seed;
    if (o->init && strcmp(o->init, "new") != 0) {
        int code = gpt2_checkpoint_read(o->init, &r->cfg, params, err);
        if (code)
            return code;
        cr_info("starting from the weights of %s", o->init);
        return CR_OK;
    }
    int code;
    uint32_t vocab = vocab_for_new_model(o, &r->data, err, &code);
    if (code)
        return code;
    if (o->time_ms > 0 && !r->shape_given) {
        if (ranks_count() > 1) /* rank 0 alone would change its context and batch */
            cr_info("shape: the defaults (the budget chooses a shape in one process only)");
        else if ((code = choose_shape(r, (int)vocab, err)) != 0)
            return code;
    }
    r->cfg.max_seq_len = o->seq_len;
    r->cfg.vocab_size = (int)vocab;
    r->cfg.padded_vocab_size = gpt2_padded_vocab((int)vocab);
    r->cfg.num_layers = o->layers ? o->layers : DEFAULT_LAYERS;
    r->cfg.num_heads = o->heads ? o->heads : DEFAULT_HEADS;
    r->cfg.channels = o->channels ? o->channels : DEFAULT_CHANNELS;
    code = gpt2_config_check(&r->cfg, err);
    if (code)
        return code;
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&r->cfg, sizes);
    *params = malloc(P * sizeof **params);
    if (!*params)
        return cr_fail(err, CR_EOTHER, "out of memory for %zu parameters", P);
    gpt2_init_params(&r->cfg, *params, o->seed);
    return CR_OK;
}

static void print_mapping(const struct run *r)
{
    char acts[32], grads[32], total[32];
    cr_format_size(engine_bytes_activations(r->engine), acts, sizeof acts);
    cr_format_size((size_t)engine_gradient_buffers(r->engine) * engine_param_count(r->engine) *
                       sizeof(float),
                   grads, sizeof grads);
    cr_format_size(engine_bytes_total(r->engine), total, sizeof total);
    cr_info("model: %d layers, %d channels, %d heads, vocabulary %d (padded %d), %zu parameters",
            r->cfg.num_layers, r->cfg.channels, r->cfg.num_heads, r->cfg.vocab_size,
            r->cfg.padded_vocab_size, engine_param_count(r->engine));
    cr_info("12 spheres on %d worker threads + Node Zero; kernels %s; batch %d x %d tokens",
            engine_threads(r->engine), kernels_level_name(kernels_level()), r->o->batch,
            r->o->seq_len);
    cr_info("%d rank%s x %d threads x %d spheres; global batch %d sequences (%d per rank)",
            ranks_count(), ranks_count() > 1 ? "s" : "", engine_threads(r->engine), SPHERE_COUNT,
            r->o->batch * ranks_count(), r->o->batch);
    for (int s = 0; s < SPHERE_COUNT; s++) {
        char seqs[128] = "";
        size_t used = 0;
        for (int b = s; b < r->o->batch && used + 8 < sizeof seqs; b += SPHERE_COUNT)
            used += (size_t)snprintf(seqs + used, sizeof seqs - used, "%s%d", used ? "," : "", b);
        cr_info("sphere %2d: sequences {%s}%s", s, seqs,
                s < engine_active_spheres(r->engine) ? "" : " (idle: batch < 12)");
    }
    cr_info("memory: %s of activations per sphere worker (%d), %s in %d gradient buffers, %s in "
            "all",
            acts, engine_sphere_workers(r->engine), grads, engine_gradient_buffers(r->engine),
            total);
}

/* The run's target step and schedule. --time: an interrupted budgeted run (its state names a
 * target it did not reach) continues that very schedule; otherwise a new segment starts here
 * and its target is fixed by the budget (LONG_MAX until then). --steps: a resumed run whose
 * target is the one in its state continues that segment; any other starts a new one. */
static long plan_run(const struct run *r, int resumed, long start, lr_schedule *sched,
                     int *continuing)
{
    const train_options *o = r->o;
    const train_state *st = &r->state;
    *sched = (lr_schedule){.kind = o->schedule_kind,
                           .lr = o->lr,
                           .min_lr = o->min_lr,
                           .warmup = o->warmup,
                           .segment_start = start,
                           .decay_fraction = o->decay_fraction};
    *continuing = 0;
    long target;
    if (o->time_ms > 0) {
        if (resumed && st->budget_ms > 0 && st->target_steps > start) {
            *continuing = 1;
            sched->kind = st->schedule_kind;
            sched->segment_start = (long)st->segment_start;
            sched->decay_fraction = st->decay_fraction;
            target = (long)st->target_steps;
        } else
            target = LONG_MAX;
    } else if (o->steps >= 0)
        target = o->steps_relative ? start + o->steps : o->steps;
    else {
        double epochs = o->epochs > 0 ? o->epochs : 1.0;
        uint64_t window = (uint64_t)o->batch * (uint64_t)o->seq_len;
        target = (long)ceil(epochs * (double)r->data.total_train / (double)window);
    }
    if (o->time_ms == 0 && resumed && st->target_steps == target &&
        st->schedule_kind == o->schedule_kind && st->segment_start <= start)
        sched->segment_start = (long)st->segment_start;
    if (sched->kind != SCHEDULE_WSD || o->decay_steps > 0) /* one schedule for every run */
        sched->segment_start = 0;
    sched->end = o->decay_steps > 0 ? o->decay_steps : target;
    return target;
}

/* The global batch of the next step. Shuffled, the sequences are numbered by the tokens seen
 * so far (kept in the state file): a resume continues exactly, whatever the batch. */
static void next_window(struct run *r, uint64_t window)
{
    const train_options *o = r->o;
    if (o->data_order == DATA_ORDER_SEQUENTIAL)
        data_next_window(&r->data, &r->cursor, r->inputs, r->targets, window);
    else
        r->cursor.epoch = data_shuffled_window(
            &r->data, r->state.seed, o->seq_len, r->state.tokens_seen / (uint64_t)o->seq_len,
            window / (uint64_t)o->seq_len, r->inputs, r->targets);
}

/* The step count of a --time run, now that its speed is measured. */
static long fix_budget(struct run *r, budget *bud, lr_schedule *sched, long steps_done)
{
    const train_options *o = r->o;
    budget_costs costs = {.val_every = o->val_every,
                          .checkpoint_every = o->checkpoint_every,
                          .param_count = engine_param_count(r->engine)};
    long val_sequences = o->val_tokens / o->seq_len > 0 ? o->val_tokens / o->seq_len : 1;
    costs.val_batches = (val_sequences + o->batch - 1) / o->batch;
    /* Under mpirun every rank takes rank 0's count, so that all run the same schedule. */
    long target = ranks_agree_long(budget_fix(bud, steps_done, cr_now_s(), &costs));
    if (target < steps_done)
        target = steps_done;
    long budget_target = target;
    if (r->max_steps > 0 && target > r->first_step + r->max_steps)
        target =
            r->first_step + r->max_steps > steps_done ? r->first_step + r->max_steps : steps_done;
    if (o->decay_steps <= 0)
        sched->end = schedule_end_for_decay_after(sched, steps_done, target);
    if (o->decay_steps <= 0 && sched->end > target)
        target = sched->end;
    r->state.target_steps = target;
    r->state.decay_steps = sched->end;
    char budget_text[32];
    cr_format_duration(o->time_ms, budget_text, sizeof budget_text);
    cr_info("budget %s: %.1f ms a step over %d measured steps; %ld steps in all (validation "
            "%.2f s, checkpoint %.2f s each)",
            budget_text, bud->step_s * 1000.0, bud->measured, target, bud->val_s, bud->save_s);
    if (target < budget_target)
        cr_info("budget %s: stopping at step %ld, %g epochs of the data at this shape, not the %ld "
                "steps the budget buys: more would memorise the data (the run ends early)",
                budget_text, target, budget_ladder[r->rung].epochs_max, budget_target);
    return target;
}

int train_run(const train_options *given, cr_err *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    double run_started_s = r.started_s = cr_now_s();
    r.opts = *given;
    const train_options *o = r.o = &r.opts;
    r.rung = -1;
    r.shape_given = o->layers || o->channels || o->heads || o->seq_len || o->batch;
    r.opts.seq_len = o->seq_len ? o->seq_len : DEFAULT_SEQ_LEN;
    r.opts.batch = o->batch ? o->batch : DEFAULT_BATCH;
    int opened_seq_len = o->seq_len;
    float *params = NULL, *m = NULL, *v = NULL;
    checkpoint_guard guard = {0};
    int code = data_open(&r.data, o->data_dir, o->val_data == NULL, (uint64_t)o->seq_len + 1, err);
    if (code)
        return code;
    if (o->val_data) {
        code = data_open(&r.val_data, o->val_data, 0, 0, err);
        if (code) {
            data_close(&r.data);
            return code;
        }
        r.have_val_data = 1;
        r.whole_val = 1;
    }
    code = ranks_is_root() ? cr_mkdir_p(o->out_dir, err) : CR_OK;
    if (code)
        goto done;
    if (ranks_is_root())
        cr_remove_stale_temporaries(o->out_dir);
    int resumed = 0;
    if (ranks_is_root()) /* the other ranks take rank 0's model (ranks.h) */
        code = open_model(&r, &params, &m, &v, &resumed, err);
    if (!code)
        code =
            ranks_share_start(&r.cfg, &params, &m, &v, &r.state, &resumed, r.data.total_train, err);
    if (!code)
        code = settle_shape(&r, resumed, opened_seq_len, err);
    if (code)
        goto done;
    if (o->seq_len > r.cfg.max_seq_len) {
        code = cr_fail(err, CR_EUSAGE, "--seq-len %d exceeds the model's maximum %d", o->seq_len,
                       r.cfg.max_seq_len);
        goto done;
    }
    code = data_check_vocab(&r.data, (uint32_t)r.cfg.vocab_size, err);
    if (!code && r.have_val_data)
        code = data_check_vocab(&r.val_data, (uint32_t)r.cfg.vocab_size, err);
    if (code)
        goto done;
    /* the global batch: rank q trains on sequences [q * batch, (q + 1) * batch) of it */
    uint64_t window = (uint64_t)o->batch * (uint64_t)o->seq_len * (uint64_t)ranks_count();
    size_t rank_first = (size_t)ranks_rank() * (size_t)o->batch * (size_t)o->seq_len;
    if (r.data.total_train < window + 1) {
        code = cr_fail(err, CR_EDATA,
                       "too few tokens for one batch in %s: %llu training tokens, a batch of "
                       "%d x %d needs %llu",
                       o->data_dir, (unsigned long long)r.data.total_train, o->batch, o->seq_len,
                       (unsigned long long)window + 1);
        goto done;
    }
    const token_data *val = r.have_val_data ? &r.val_data : &r.data;
    if (r.have_val_data)
        cr_info("validation: %s (%llu tokens)", o->val_data,
                (unsigned long long)r.val_data.shards[0].token_count);
    else if (r.data.total_val > 0)
        cr_info("validation: the held-back last 5%% of each shard (%llu tokens), never trained on",
                (unsigned long long)r.data.total_val);
    else
        cr_info("validation: none (shards too small to hold back 5%%; use --val-data)");
    cr_info("optimizer: %s", o->muon ? "muon (hidden matrices) + adamw (the rest)" : "adamw");
    cr_info("data order: %s", o->data_order == DATA_ORDER_SEQUENTIAL
                                  ? "sequential (the shards in order, by name)"
                                  : "shuffle (seeded random windows, each once an epoch)");

    long start = r.first_step = (long)r.state.step;
    lr_schedule sched;
    int continuing;
    long target = plan_run(&r, resumed, start, &sched, &continuing);
    if (ranks_is_root()) { /* only rank 0 reads or writes --out */
        /* the checkpoints this run finds and does not own are never written over nor pruned;
         * a budgeted run's target is open (LONG_MAX) until its speed is measured */
        code = checkpoint_guard_open(&guard, o->out_dir, o->resume, resumed ? (int64_t)start : -1,
                                     resumed ? start + 1 : start, target > start ? target : start,
                                     err);
        /* cut, but not over the metrics of another run whose checkpoints stay here */
        if (!code)
            code = metrics_prepare(o->out_dir, start, resumed || guard.foreign_count == 0, err);
        if (code)
            goto done;
    }

    code = engine_new(&r.engine, &r.cfg, o->batch, o->seq_len, o->threads, err);
    if (code)
        goto done;
    if (o->muon && ranks_count() > 1) {
        code =
            cr_fail(err, CR_EUSAGE, "--optimizer muon runs in one process only (not under mpirun)");
        goto done;
    }
    if (resumed && r.state.optimizer != o->muon) { /* m would be read as the other's moment */
        code = cr_fail(err, CR_EUSAGE,
                       "the state was written with --optimizer %s: resume with the same optimizer",
                       r.state.optimizer ? "muon" : "adamw");
        goto done;
    }
    if (o->muon && (code = engine_use_muon(r.engine, err)) != 0)
        goto done;
    size_t P = engine_param_count(r.engine);
    code = rank_exchange_new(&r.exchange, P, err);
    if (code)
        goto done;
    memcpy(engine_params(r.engine), params, P * sizeof(float));
    if (m) {
        memcpy(engine_adam_m(r.engine), m, P * sizeof(float));
        memcpy(engine_adam_v(r.engine), v, P * sizeof(float));
    }
    free(params);
    free(m);
    free(v);
    params = m = v = NULL;
    target = ranks_agree_long(target); /* every rank runs rank 0's step count */
    if (resumed && o->data_order == DATA_ORDER_SEQUENTIAL) {
        if (!data_seek(&r.data, &r.cursor, r.state.shard_name, r.state.shard_offset, r.state.epoch))
            cr_info("data position: shard %s is gone or changed; continuing at %s",
                    r.state.shard_name, r.data.names[r.cursor.shard]);
    }
    r.state.lr = o->lr;
    r.state.min_lr = o->min_lr;
    r.state.weight_decay = o->weight_decay;
    r.state.grad_clip = o->grad_clip;
    r.state.beta1 = o->beta1;
    r.state.beta2 = o->beta2;
    r.state.eps = o->eps;
    r.state.warmup = o->warmup;
    r.state.decay_steps = sched.end;
    r.state.target_steps = target == LONG_MAX ? 0 : target;
    r.state.segment_start = sched.segment_start;
    r.state.budget_ms = o->time_ms;
    r.state.schedule_kind = sched.kind;
    r.state.decay_fraction = sched.decay_fraction;
    r.state.optimizer = o->muon;
    print_mapping(&r);
    /* libcrypto allocates its tables on first use: do that now, not at the first checkpoint,
     * so resident memory is flat from step 1 */
    uint8_t warm[32];
    cr_sha256_bytes("", 0, warm);
    cr_buf_init(&r.metrics);
    cr_buf_reserve(&r.metrics, 4096);
    r.inputs = malloc(window * sizeof(int));
    r.targets = malloc(window * sizeof(int));
    if (!r.inputs || !r.targets) {
        code = cr_fail(err, CR_EOTHER, "out of memory");
        goto done;
    }
    if (start >= target) {
        cr_info("already at step %ld of %ld: nothing to train", start, target);
        if (!resumed)
            code = save(&r, err);
        goto done;
    }
    budget bud;
    int measuring = o->time_ms > 0 && !continuing;
    if (measuring) {
        long free_until = o->decay_steps > 0 ? LONG_MAX : schedule_end_free_until(&sched);
        /* an epoch ceiling bounds the count: fix it within the first quarter of the ceiling */
        if (r.max_steps > 0 && free_until - start > r.max_steps / 4)
            free_until = start + (r.max_steps / 4 > 2 ? r.max_steps / 4 : 2);
        budget_begin(&bud, (double)o->time_ms / 1000.0, run_started_s, free_until);
        if (bud.measure_until - start < 2) {
            /* no step of this segment may run before its end is known (a resumed cosine past
             * its warmup): time three forward-backward probes that update nothing */
            data_cursor probe_cursor = r.cursor;
            data_next_window(&r.data, &probe_cursor, r.inputs, r.targets, window);
            for (int i = 0; i < 3; i++) {
                double probe_loss, probe_norm;
                engine_forward_backward(r.engine, r.inputs, r.targets, o->batch, &probe_loss,
                                        &probe_norm);
                budget_record(&bud, cr_now_s());
            }
            target = fix_budget(&r, &bud, &sched, start);
            measuring = 0;
        }
    } else if (continuing)
        cr_info("continuing the budgeted run: its %" PRId64 " steps were fixed by the run "
                "that was interrupted",
                r.state.target_steps);
    if (start >= target) {
        cr_info("the budget leaves no step to train at step %ld", start);
        if (!resumed)
            code = save(&r, err);
        goto done;
    }
    if (measuring)
        cr_info("training from step %ld for %ld ms (learning rate %g, warmup %ld, %s schedule); "
                "measuring the speed first",
                start + 1, o->time_ms, o->lr, o->warmup, schedule_kind_name(sched.kind));
    else
        cr_info("training steps %ld..%ld (learning rate %g, warmup %ld, %s to %g at step %ld)",
                start + 1, target, o->lr, o->warmup, schedule_kind_name(sched.kind), o->min_lr,
                sched.end);

    struct sigaction action, old_int, old_term;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    stop_requested = 0;

    engine_hparams hp = {(float)o->beta1,        (float)o->beta2,     (float)o->eps,
                         (float)o->weight_decay, (float)o->grad_clip, 0.0f,
                         (float)MUON_MOMENTUM};
    cr_progress progress;
    cr_progress_begin(&progress, "train", "steps",
                      target == LONG_MAX ? 0 : (uint64_t)(target - start), o->progress_mode);
    double run_start = cr_now_s(), loss = NAN, val_loss = NAN;
    long steps_done = 0;
    int stopped = 0;
    for (long step = start; step < target; step++) {
        double step_start = cr_now_s(), norm;
        next_window(&r, window);
        /* with several ranks, the norm is the ranks' (ranks_reduce) */
        engine_forward_backward(r.engine, r.inputs + rank_first, r.targets + rank_first, o->batch,
                                &loss, r.exchange ? NULL : &norm);
        /* every rank ends the same step, whichever got the signal */
        stopped = ranks_reduce(r.exchange, r.engine, &loss, &norm, stop_requested);
        if (!isfinite(loss) || !isfinite(norm)) {
            code = cr_fail(err, CR_EOTHER,
                           "training diverged at step %ld (loss %g, gradient norm %g); the last "
                           "checkpoint is kept",
                           step + 1, loss, norm);
            break;
        }
        double lr = schedule_lr(&sched, step);
        /* Muon's rate follows the schedule: MUON_LR at the peak */
        hp.muon_lr = o->lr > 0 ? (float)(MUON_LR * lr / o->lr) : 0.0f;
        ranks_adamw(r.exchange, r.engine, &hp, (float)lr, step + 1);
        r.state.step = step + 1;
        r.state.tokens_seen += window;
        steps_done++;
        double seconds = cr_now_s() - step_start;
        double tokens_per_s = seconds > 0 ? (double)window / seconds : 0;
        if (!r.exchange)
            stopped = stop_requested; /* one process: a signal up to now ends this step */
        int last = step + 1 == target || stopped;
        val_loss = NAN;
        if (o->val_every > 0 && (r.state.step % o->val_every == 0 || last))
            val_loss = validate(r.engine, val, r.whole_val, o->batch, o->seq_len, o->val_tokens,
                                r.inputs, r.targets);
        if (ranks_is_root())
            metrics_line(&r, loss, val_loss, lr, norm, tokens_per_s);
        cr_progress_add(&progress, 1);
        if (o->log_every > 0 && (r.state.step % o->log_every == 0 || last)) {
            if (isnan(val_loss))
                cr_info("step %" PRId64 "/%ld loss %.4f lr %.2e grad-norm %.3f %.0f tok/s",
                        r.state.step, target, loss, lr, norm, tokens_per_s);
            else
                cr_info("step %" PRId64 "/%ld loss %.4f val-loss %.4f lr %.2e grad-norm %.3f "
                        "%.0f tok/s",
                        r.state.step, target, loss, val_loss, lr, norm, tokens_per_s);
        }
        if (last)
            break;
        if (o->checkpoint_every > 0 && r.state.step % o->checkpoint_every == 0) {
            code = save(&r, err);
            if (code)
                break;
        }
        if (measuring) { /* the whole iteration: step, metrics, log, validation, checkpoint */
            budget_record(&bud, cr_now_s());
            /* Readiness is read off each rank's clock: rank 0 decides for all, in the same step. */
            if (ranks_agree_long(budget_ready(&bud, step + 1, cr_now_s()))) {
                target = fix_budget(&r, &bud, &sched, step + 1);
                progress.total = (uint64_t)(target - start);
                measuring = 0;
            }
        }
    }
    cr_progress_end(&progress);
    if (!code) {
        if (stopped)
            cr_info("stopping on a signal after step %" PRId64, r.state.step);
        code = save(&r, err);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!code && ranks_is_root()) {
        checkpoint_prune(o->out_dir, o->keep, &guard);
        double seconds = cr_now_s() - run_start;
        cr_info("trained %ld steps in %.1f s (%.0f tokens/s), loss %.4f", steps_done, seconds,
                seconds > 0 ? (double)steps_done * (double)window / seconds : 0, loss);
        if (o->json) {
            cr_buf out;
            cr_buf_init(&out);
            cr_json j;
            cr_json_init(&j, &out);
            cr_json_object_begin(&j);
            cr_json_kv_int(&j, "step", r.state.step);
            cr_json_kv_int(&j, "steps_run", steps_done);
            if (r.state.target_steps > 0)
                cr_json_kv_int(&j, "target_steps", r.state.target_steps);
            cr_json_kv_double(&j, "loss", loss);
            if (!isnan(val_loss))
                cr_json_kv_double(&j, "val_loss", val_loss);
            cr_json_kv_double(&j, "seconds", seconds);
            cr_json_kv_double(&j, "tokens_per_s",
                              seconds > 0 ? (double)steps_done * (double)window / seconds : 0);
            cr_json_kv_string(&j, "checkpoint", r.last_checkpoint);
            cr_json_kv_bool(&j, "stopped_by_signal", stopped != 0);
            cr_json_object_end(&j);
            printf("%s\n", out.data);
            cr_buf_free(&out);
        }
    }
done:
    checkpoint_guard_close(&guard);
    cr_buf_free(&r.metrics);
    rank_exchange_free(r.exchange);
    free(params);
    free(m);
    free(v);
    free(r.inputs);
    free(r.targets);
    engine_free(r.engine);
    data_close(&r.data);
    if (r.have_val_data)
        data_close(&r.val_data);
    return code;
}
