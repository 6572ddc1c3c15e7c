/* commands.h — the subcommands besides train (train.h): generate (generate.c), eval (eval.c),
 * info (info.c), bench (bench.c). Each takes its parsed options and returns an exit code from
 * status.h with err set; main.c parses and exits. */
#ifndef TRAINER_COMMANDS_H
#define TRAINER_COMMANDS_H

#include <stdint.h>

#include "status.h"

typedef struct generate_options {
    const char *model, *tokenizer, *prompt, *prompt_ids;
    int max_tokens, top_k, json;
    int slide; /* past the model's positions: refill the cache with the last T/2 tokens */
    double temperature, top_p;
    uint64_t seed;
} generate_options;
int generate_run(const generate_options *o, cr_err *err);

typedef struct eval_options {
    const char *model, *data_dir;
    int batch, seq_len, threads, json;
    long max_batches; /* 0: all */
} eval_options;
int eval_run(const eval_options *o, cr_err *err);

int info_run(const char *path, int json, cr_err *err);

typedef struct bench_options {
    const char *config; /* "A", "B", "tiny" */
    int threads, steps, json, kernel_max;
} bench_options;
int bench_run(const bench_options *o, cr_err *err);

#endif
