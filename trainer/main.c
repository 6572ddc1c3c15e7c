/* main.c — the trainer's command line: subcommands, their options, exit codes. Nothing else:
 * each subcommand's work is in train.c, generate.c, eval.c, info.c and bench.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "data.h"
#include "log.h"
#include "matmul.h"
#include "parse.h"
#include "progress.h"
#include "schedule.h"
#include "status.h"
#include "train.h"
#include "ranks.h"

static const char usage_text[] =
    "usage: trainer COMMAND [OPTIONS]\n"
    "Trains GPT-2-architecture models on token shards with the 12-sphere SIMD core.\n"
    "\n"
    "commands:\n"
    "  train     --data DIR --out DIR [options]   train (or resume) a model\n"
    "  generate  --model PATH [options]           sample text with a KV cache\n"
    "  eval      --model PATH --data DIR          validation loss and perplexity\n"
    "  info      PATH                             a checkpoint's shape, size, step\n"
    "  bench     [--config A|B|tiny]              training tokens/s and GFLOP/s\n"
    "\n"
    "train options:\n"
    "  --data DIR            token shards (*.bin, llm.c format); sub-folders are ignored\n"
    "  -o, --out DIR         checkpoints model_<step>.bin/.state and metrics.jsonl\n"
    "  --init new|PATH       a new model (default) or the weights of an llm.c checkpoint\n"
    "  --resume              continue from the newest good checkpoint in --out (new if none)\n"
    "  --layers L            transformer blocks (default 4; with --time and no shape option\n"
    "                        the budget chooses layers, channels, heads, seq-len and batch)\n"
    "  --channels C          embedding width (default 192)\n"
    "  --heads H             attention heads (default 6)\n"
    "  --seq-len T           tokens per sequence (default 64)\n"
    "  --vocab V             vocabulary size (default: the tokenizer file DIR/tokenizer, else\n"
    "                        the largest token id + 1)\n"
    "  --tokenizer PATH      tokenizer file to take the vocabulary size from\n"
    "  --batch B             sequences per step (default 12: one per sphere); per rank under\n"
    "                        mpirun -np R (global batch R x B; docs/trainer.md)\n"
    "  --steps N|+N          train up to step N, or N more steps than the resumed checkpoint\n"
    "  --epochs E            train E passes over the data (default 1 when --steps is absent)\n"
    "  --time DURATION       train for a wall-clock budget (90s, 10m, 1h): measures the speed\n"
    "                        on the first steps, then fixes and prints the step count, which\n"
    "                        --resume keeps; the schedule ends at the budget's end. Without a\n"
    "                        shape option it also chooses the shape from the budget, the speed\n"
    "                        and the data, and stops early past the shape's epoch ceiling\n"
    "  --data-order ORDER    shuffle (default): seeded random windows, every window once an\n"
    "                        epoch; or sequential: the shards in order (llm.c's loader)\n"
    "  --optimizer OPT       adamw (default); or muon: Muon (lr 0.02 x the schedule) for the\n"
    "                        attention and MLP matrices, AdamW for the rest (one process)\n"
    "  --lr X                peak learning rate (default 1e-3)\n"
    "  --warmup N            linear warmup steps (default 20)\n"
    "  --min-lr X            learning rate at the end of the cosine decay (default 1e-4)\n"
    "  --decay-steps N       step where the decay reaches --min-lr (default: the target step;\n"
    "                        given, it is one schedule for all runs, resumed or not)\n"
    "  --schedule KIND       wsd (default): warmup, stable, then a decay over the last\n"
    "                        --decay-fraction of each run, a resumed run re-warming from\n"
    "                        --min-lr; or cosine: one cosine from the warmup to the target\n"
    "  --decay-fraction F    wsd: the share of each run spent decaying (default 0.2)\n"
    "  --weight-decay X      AdamW weight decay on matrices (default 0.1)\n"
    "  --grad-clip X         global gradient norm limit, 0 for none (default 1.0)\n"
    "  --beta1 X, --beta2 X  AdamW moments (default 0.9, 0.99)\n"
    "  --threads N           worker threads (default: the number of cores)\n"
    "  --seed S              initialisation seed (default 1337)\n"
    "  --val-every K         validate every K steps and at the end, 0 for never (default 100)\n"
    "  --val-tokens M        tokens per validation (default 8192)\n"
    "  --val-data DIR        validation shards (default: the last 5% of each training shard)\n"
    "  --checkpoint-every K  also checkpoint every K steps (default 100; always at the end)\n"
    "  --keep K              keep the last K checkpoints (default 3, 0 for all)\n"
    "  --log-every K         log a line every K steps (default 10)\n"
    "\n"
    "generate options:\n"
    "  --model PATH          a checkpoint, or a folder (its newest model_*.bin)\n"
    "  --tokenizer PATH      tokenizer file to print text (default: none, ids are printed)\n"
    "  --prompt-ids LIST     prompt as comma-separated token ids (default: end-of-text)\n"
    "  --prompt TEXT         prompt text, BPE-encoded with --tokenizer's ranks (without its\n"
    "                        pre-tokenisation regex: use --prompt-ids for the exact ids)\n"
    "  --max-tokens N        tokens to generate (default 64)\n"
    "  --temperature X       0 for greedy (default 0.5: the most valid C, docs/trainer.md)\n"
    "  --top-k K, --top-p P  sampling filters (default 40, 0.95)\n"
    "  --slide               go on past the model's positions: the cache is refilled with\n"
    "                        the last half of them (default: stop there)\n"
    "  --seed S              sampling seed (default 1337)\n"
    "\n"
    "eval options:\n"
    "  --model PATH --data DIR [--batch B] [--seq-len T] [--max-batches N] [--threads N]\n"
    "\n"
    "bench options:\n"
    "  --config A|B|default|tiny  A: 4x256, vocab 8192, seq 128, batch 24; B: GPT-2 small,\n"
    "                        seq 256, batch 12; default: train's defaults (4x192, seq 64,\n"
    "                        batch 12, vocab 2048) (default A)\n"
    "  --steps N             timed steps after one warm-up step (default 5)\n"
    "\n"
    "common options:\n"
    "  --simd LEVEL          highest kernel level: scalar, avx2, avx512 (default: the best)\n"
    "  --precision P         auto, fp32 or bf16: bf16 rounds matrix operands to bfloat16 and\n"
    "                        keeps weights, moments, gradients and sums in fp32 (default auto:\n"
    "                        bf16 where the CPU has AVX512-BF16 or AMX-BF16, else fp32)\n"
    "  --json                a JSON summary on stdout\n"
    "  --progress            (train) a progress line even on a pipe\n"
    "  -q, --quiet           errors only;  -v, --verbose: more log detail (repeatable)\n"
    "  -h, --help, -V, --version\n"
    "An option a command does not take is refused (exit 2).\n"
    "exit status: 0 ok, 2 usage, 65 bad data, 66 missing input, 74 I/O error, 1 other\n";

/* Everything the command line sets; each command reads its own part. */
typedef struct trainer_args {
    train_options train;
    generate_options generate;
    eval_options eval;
    bench_options bench;
    int quiet, verbose, json, kernel_max, precision;
    char **operands;
    int operand_count;
} trainer_args;

/* The commands, as bits: an option row names the commands that take it. */
enum { TRAIN = 1 << 0, GENERATE = 1 << 1, EVAL = 1 << 2, INFO = 1 << 3, BENCH = 1 << 4 };
#define KERNELS (TRAIN | GENERATE | EVAL | BENCH) /* the commands that run the model */

/* Options main() handles itself (their values do not go straight into a field). */
enum {
    OPT_STEPS = 1,
    OPT_BENCH_STEPS,
    OPT_TIME,
    OPT_SCHEDULE,
    OPT_DATA_ORDER,
    OPT_OPTIMIZER,
    OPT_SEED,
    OPT_SIMD,
    OPT_PRECISION,
};

#define A trainer_args
/* One row an option of one command: adding an option is adding its row (and its line in
 * usage_text). The same name may have a row per command when the value goes elsewhere. */
static const cr_option options[] = {
    /* train */
    {"data", 0, TRAIN, CR_TEXT(A, train.data_dir)},
    {"out", 'o', TRAIN, CR_TEXT(A, train.out_dir)},
    {"init", 0, TRAIN, CR_TEXT(A, train.init)},
    {"resume", 0, TRAIN, CR_FLAG(A, train.resume)},
    {"layers", 0, TRAIN, CR_INT(A, train.layers, 1, 256)},
    {"channels", 0, TRAIN, CR_INT(A, train.channels, 1, 16384)},
    {"heads", 0, TRAIN, CR_INT(A, train.heads, 1, 1024)},
    {"seq-len", 0, TRAIN, CR_INT(A, train.seq_len, 1, 65536)},
    {"vocab", 0, TRAIN, CR_INT(A, train.vocab, 2, 1 << 24)},
    {"tokenizer", 0, TRAIN, CR_TEXT(A, train.tokenizer)},
    {"batch", 0, TRAIN, CR_INT(A, train.batch, 1, 1 << 16)},
    {"steps", 0, TRAIN, CR_CALL(OPT_STEPS, 1)},
    {"epochs", 0, TRAIN, CR_DOUBLE(A, train.epochs, 1e-9, 1e6)},
    {"time", 0, TRAIN, CR_CALL(OPT_TIME, 1)},
    {"schedule", 0, TRAIN, CR_CALL(OPT_SCHEDULE, 1)},
    {"data-order", 0, TRAIN, CR_CALL(OPT_DATA_ORDER, 1)},
    {"optimizer", 0, TRAIN, CR_CALL(OPT_OPTIMIZER, 1)},
    {"decay-fraction", 0, TRAIN, CR_DOUBLE(A, train.decay_fraction, 0, 1)},
    {"lr", 0, TRAIN, CR_DOUBLE(A, train.lr, 0, 10)},
    {"warmup", 0, TRAIN, CR_LONG(A, train.warmup, 0, 1L << 40)},
    {"min-lr", 0, TRAIN, CR_DOUBLE(A, train.min_lr, 0, 10)},
    {"decay-steps", 0, TRAIN, CR_LONG(A, train.decay_steps, 1, 1L << 40)},
    {"weight-decay", 0, TRAIN, CR_DOUBLE(A, train.weight_decay, 0, 10)},
    {"grad-clip", 0, TRAIN, CR_DOUBLE(A, train.grad_clip, 0, 1e9)},
    {"beta1", 0, TRAIN, CR_DOUBLE(A, train.beta1, 0, 0.999999)},
    {"beta2", 0, TRAIN, CR_DOUBLE(A, train.beta2, 0, 0.999999)},
    {"threads", 0, TRAIN, CR_INT(A, train.threads, 1, 64)},
    {"seed", 0, TRAIN | GENERATE, CR_CALL(OPT_SEED, 1)},
    {"val-every", 0, TRAIN, CR_LONG(A, train.val_every, 0, 1L << 40)},
    {"val-tokens", 0, TRAIN, CR_LONG(A, train.val_tokens, 1, 1L << 40)},
    {"val-data", 0, TRAIN, CR_TEXT(A, train.val_data)},
    {"checkpoint-every", 0, TRAIN, CR_LONG(A, train.checkpoint_every, 0, 1L << 40)},
    {"keep", 0, TRAIN, CR_INT(A, train.keep, 0, 1 << 20)},
    {"log-every", 0, TRAIN, CR_INT(A, train.log_every, 0, 1 << 30)},
    {"progress", 0, TRAIN, CR_SET(A, train.progress_mode, CR_PROGRESS_ALWAYS)},
    /* generate */
    {"model", 0, GENERATE, CR_TEXT(A, generate.model)},
    {"tokenizer", 0, GENERATE, CR_TEXT(A, generate.tokenizer)},
    {"prompt", 0, GENERATE, CR_TEXT(A, generate.prompt)},
    {"prompt-ids", 0, GENERATE, CR_TEXT(A, generate.prompt_ids)},
    {"max-tokens", 0, GENERATE, CR_INT(A, generate.max_tokens, 1, 1 << 20)},
    {"temperature", 0, GENERATE, CR_DOUBLE(A, generate.temperature, 0, 100)},
    {"top-k", 0, GENERATE, CR_INT(A, generate.top_k, 0, 1 << 24)},
    {"top-p", 0, GENERATE, CR_DOUBLE(A, generate.top_p, 0, 1)},
    {"slide", 0, GENERATE, CR_FLAG(A, generate.slide)},
    /* eval */
    {"model", 0, EVAL, CR_TEXT(A, eval.model)},
    {"data", 0, EVAL, CR_TEXT(A, eval.data_dir)},
    {"batch", 0, EVAL, CR_INT(A, eval.batch, 1, 1 << 16)},
    {"seq-len", 0, EVAL, CR_INT(A, eval.seq_len, 1, 65536)},
    {"max-batches", 0, EVAL, CR_LONG(A, eval.max_batches, 0, 1L << 40)},
    {"threads", 0, EVAL, CR_INT(A, eval.threads, 1, 64)},
    /* bench */
    {"config", 0, BENCH, CR_TEXT(A, bench.config)},
    {"steps", 0, BENCH, CR_CALL(OPT_BENCH_STEPS, 1)},
    {"threads", 0, BENCH, CR_INT(A, bench.threads, 1, 64)},
    /* common */
    {"simd", 0, KERNELS, CR_CALL(OPT_SIMD, 1)},
    {"precision", 0, KERNELS, CR_CALL(OPT_PRECISION, 1)},
    {"json", 0, CR_ANY_COMMAND, CR_FLAG(A, json)},
    CR_COMMON_OPTIONS(A, quiet, verbose),
    {NULL, 0, 0, CR_CALL(0, 0)},
};
#undef A

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "trainer: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see trainer --help)\n");
    return CR_EUSAGE;
}

static int default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
}

static void args_default(trainer_args *a)
{
    memset(a, 0, sizeof *a);
    train_options_default(&a->train);
    a->train.threads = default_threads();
    a->generate = (generate_options){
        .max_tokens = 64, .top_k = 40, .temperature = 0.5, .top_p = 0.95, .seed = 1337};
    a->eval = (eval_options){.batch = 4, .seq_len = 0, .threads = default_threads()};
    a->bench = (bench_options){
        .config = "A", .threads = default_threads(), .steps = 5, .kernel_max = KERNEL_AVX512};
    a->kernel_max = KERNEL_AVX512;
    a->precision = PRECISION_AUTO;
}

/* The options whose text is more than a number in a range. */
static int set_option(trainer_args *a, int id, const char *text, cr_err *err)
{
    long value;
    int code = CR_OK;
    switch (id) {
    case OPT_STEPS:
        a->train.steps_relative = text[0] == '+';
        code = cr_parse_long(text + a->train.steps_relative, 0, 1L << 40, &a->train.steps, err);
        break;
    case OPT_BENCH_STEPS: /* "+N" too, like train's; more than 1000 timed steps is 1000 */
        code = cr_parse_long(text + (text[0] == '+'), 0, 1L << 40, &value, err);
        a->bench.steps = (int)(value > 1000 ? 1000 : value);
        break;
    case OPT_TIME: {
        int64_t ms;
        code = cr_parse_duration_ms(text, &ms, err);
        if (!code && ms <= 0)
            code = cr_fail(err, CR_EUSAGE, "the budget must be longer than 0");
        a->train.time_ms = (long)ms;
        break;
    }
    case OPT_SCHEDULE:
        a->train.schedule_kind = schedule_kind_parse(text);
        if (a->train.schedule_kind < 0)
            code = cr_fail(err, CR_EUSAGE, "expected cosine or wsd, not \"%s\"", text);
        break;
    case OPT_OPTIMIZER:
        a->train.muon = !strcmp(text, "muon");
        if (!a->train.muon && strcmp(text, "adamw"))
            code = cr_fail(err, CR_EUSAGE, "expected adamw or muon, not \"%s\"", text);
        break;
    case OPT_DATA_ORDER:
        a->train.data_order = data_order_parse(text);
        if (a->train.data_order < 0)
            code = cr_fail(err, CR_EUSAGE, "expected shuffle or sequential, not \"%s\"", text);
        break;
    case OPT_SEED:
        code = cr_parse_long(text, 0, 1L << 62, &value, err);
        a->train.seed = a->generate.seed = (uint64_t)value;
        break;
    case OPT_SIMD:
        if (strcmp(text, "scalar") == 0)
            a->kernel_max = KERNEL_SCALAR;
        else if (strcmp(text, "avx2") == 0)
            a->kernel_max = KERNEL_AVX2;
        else if (strcmp(text, "avx512") == 0)
            a->kernel_max = KERNEL_AVX512;
        else
            code = cr_fail(err, CR_EUSAGE, "expected scalar, avx2 or avx512");
        break;
    case OPT_PRECISION:
        if (strcmp(text, "auto") == 0)
            a->precision = PRECISION_AUTO;
        else if (strcmp(text, "fp32") == 0)
            a->precision = PRECISION_FP32;
        else if (strcmp(text, "bf16") == 0)
            a->precision = PRECISION_BF16;
        else
            code = cr_fail(err, CR_EUSAGE, "expected auto, fp32 or bf16");
        break;
    }
    return code;
}

static int run_train(void *args, cr_err *err)
{
    trainer_args *a = args;
    train_options *t = &a->train;
    if (!t->data_dir || !t->out_dir)
        return usage_error("%s", "train needs --data DIR and --out DIR");
    if (t->time_ms > 0 && (t->steps >= 0 || t->epochs > 0))
        return usage_error("%s", "--time fixes the step count itself: not with --steps or "
                                 "--epochs");
    t->json = a->json;
    t->kernel_max = a->kernel_max;
    int code = ranks_open(err); /* MPI, when started by mpirun */
    if (!ranks_is_root())
        t->progress_mode = CR_PROGRESS_NEVER; /* rank 0 speaks for the job */
    if (!code)
        code = train_run(t, err);
    int status = code ? cr_err_report("trainer", err) : 0;
    ranks_close(status);
    err->code = CR_OK; /* reported here: rank 0's MPI teardown needs the status first */
    return status;
}

static int run_generate(void *args, cr_err *err)
{
    trainer_args *a = args;
    if (!a->generate.model)
        return usage_error("%s", "generate needs --model PATH");
    a->generate.json = a->json;
    return generate_run(&a->generate, err);
}

static int run_eval(void *args, cr_err *err)
{
    trainer_args *a = args;
    if (!a->eval.model || !a->eval.data_dir)
        return usage_error("%s", "eval needs --model PATH and --data DIR");
    a->eval.json = a->json;
    return eval_run(&a->eval, err);
}

static int run_info(void *args, cr_err *err)
{
    trainer_args *a = args;
    if (a->operand_count == 0)
        return usage_error("%s", "info needs a checkpoint PATH");
    return info_run(a->operands[0], a->json, err);
}

static int run_bench(void *args, cr_err *err)
{
    trainer_args *a = args;
    a->bench.json = a->json;
    a->bench.kernel_max = a->kernel_max;
    return bench_run(&a->bench, err);
}

/* name, the bit its option rows carry, what runs it (only info takes an operand: PATH) */
static const cr_command commands[] = {
    {"train", TRAIN, run_train}, {"generate", GENERATE, run_generate}, {"eval", EVAL, run_eval},
    {"info", INFO, run_info},    {"bench", BENCH, run_bench},          {NULL, 0, NULL},
};

int main(int argc, char **argv)
{
    cr_log_init("trainer", CR_LOG_INFO);
    if (argc < 2)
        return usage_error("%s", "a command is required");
    const char *name = argv[1];
    if (cr_cli_info_id(name)) { /* before a command: "trainer --help" */
        cr_cli_print_info(cr_cli_info_id(name), "trainer", usage_text);
        return 0;
    }
    const cr_command *command = cr_command_find(commands, name);
    if (!command)
        return usage_error("unknown command \"%s\"", name);

    trainer_args a;
    args_default(&a);
    cr_err err = {0};
    cr_cli cli;
    cr_cli_init(&cli, "trainer", name, command->bit, options, &a, argc - 1, argv + 1);
    int id;
    while ((id = cr_cli_next(&cli, &err)) > 0) {
        if (id == CR_CLI_HELP || id == CR_CLI_VERSION) {
            cr_cli_print_info(id, "trainer", usage_text);
            return 0;
        }
        if (set_option(&a, id, cli.arg, &err)) {
            cr_err_context(&err, "--%s", cli.name);
            break;
        }
    }
    if (err.code)
        return cr_err_report("trainer", &err);
    a.operands = cli.argv + cr_cli_operand_index(&cli);
    a.operand_count = cli.argc - cr_cli_operand_index(&cli);
    if (a.operand_count > (command->bit == INFO ? 1 : 0))
        return usage_error("unexpected argument \"%s\"", argv[argc - 1]);

    cr_log_verbosity(a.quiet, a.verbose);
    if (a.quiet)
        a.train.progress_mode = CR_PROGRESS_NEVER;
    if (command->bit & KERNELS) {
        char precision_reason[200];
        int level =
            precision_level(a.precision, a.kernel_max, precision_reason, sizeof precision_reason);
        if (level < 0) {
            fprintf(stderr, "trainer: --precision bf16: %s\n", precision_reason);
            return CR_EUSAGE;
        }
        kernels_select(level);
        cr_info("precision %s; kernels %s", precision_reason, kernels_level_name(kernels_level()));
    }
    int code = command->run(&a, &err);
    return code && err.code ? cr_err_report("trainer", &err) : code;
}
