/* main.c — the trainer's command line: subcommands, their options, exit codes. Nothing else:
 * each subcommand's work is in train.c, generate.c, eval.c, info.c and bench.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "  --out DIR             checkpoints model_<step>.bin/.state and metrics.jsonl\n"
    "  --init new|PATH       a new model (default) or the weights of an llm.c checkpoint\n"
    "  --resume              continue from the newest good checkpoint in --out (new if none)\n"
    "  --layers L            transformer blocks (default 4)\n"
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
    "                        --resume keeps; the schedule ends at the budget's end\n"
    "  --data-order ORDER    shuffle (default): seeded random windows, every window once an\n"
    "                        epoch; or sequential: the shards in order (llm.c's loader)\n"
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
    "  --progress            a progress line even on a pipe;  --quiet: errors only\n"
    "  -v                    more log detail;  --help, --version\n"
    "exit status: 0 ok, 2 usage, 65 bad data, 66 missing input, 74 I/O error, 1 other\n";

enum {
    OPT_DATA = 256,
    OPT_OUT,
    OPT_INIT,
    OPT_RESUME,
    OPT_LAYERS,
    OPT_CHANNELS,
    OPT_HEADS,
    OPT_SEQ_LEN,
    OPT_VOCAB,
    OPT_TOKENIZER,
    OPT_BATCH,
    OPT_STEPS,
    OPT_EPOCHS,
    OPT_TIME,
    OPT_SCHEDULE,
    OPT_DECAY_FRACTION,
    OPT_DATA_ORDER,
    OPT_LR,
    OPT_WARMUP,
    OPT_MIN_LR,
    OPT_DECAY_STEPS,
    OPT_WEIGHT_DECAY,
    OPT_GRAD_CLIP,
    OPT_BETA1,
    OPT_BETA2,
    OPT_THREADS,
    OPT_SEED,
    OPT_VAL_EVERY,
    OPT_VAL_TOKENS,
    OPT_VAL_DATA,
    OPT_CKPT_EVERY,
    OPT_KEEP,
    OPT_LOG_EVERY,
    OPT_MODEL,
    OPT_PROMPT,
    OPT_PROMPT_IDS,
    OPT_MAX_TOKENS,
    OPT_TEMPERATURE,
    OPT_TOP_K,
    OPT_TOP_P,
    OPT_SLIDE,
    OPT_MAX_BATCHES,
    OPT_CONFIG,
    OPT_SIMD,
    OPT_PRECISION,
    OPT_JSON,
    OPT_PROGRESS,
    OPT_QUIET,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"data", required_argument, 0, OPT_DATA},
    {"out", required_argument, 0, OPT_OUT},
    {"init", required_argument, 0, OPT_INIT},
    {"resume", no_argument, 0, OPT_RESUME},
    {"layers", required_argument, 0, OPT_LAYERS},
    {"channels", required_argument, 0, OPT_CHANNELS},
    {"heads", required_argument, 0, OPT_HEADS},
    {"seq-len", required_argument, 0, OPT_SEQ_LEN},
    {"vocab", required_argument, 0, OPT_VOCAB},
    {"tokenizer", required_argument, 0, OPT_TOKENIZER},
    {"batch", required_argument, 0, OPT_BATCH},
    {"steps", required_argument, 0, OPT_STEPS},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"time", required_argument, 0, OPT_TIME},
    {"schedule", required_argument, 0, OPT_SCHEDULE},
    {"decay-fraction", required_argument, 0, OPT_DECAY_FRACTION},
    {"data-order", required_argument, 0, OPT_DATA_ORDER},
    {"lr", required_argument, 0, OPT_LR},
    {"warmup", required_argument, 0, OPT_WARMUP},
    {"min-lr", required_argument, 0, OPT_MIN_LR},
    {"decay-steps", required_argument, 0, OPT_DECAY_STEPS},
    {"weight-decay", required_argument, 0, OPT_WEIGHT_DECAY},
    {"grad-clip", required_argument, 0, OPT_GRAD_CLIP},
    {"beta1", required_argument, 0, OPT_BETA1},
    {"beta2", required_argument, 0, OPT_BETA2},
    {"threads", required_argument, 0, OPT_THREADS},
    {"seed", required_argument, 0, OPT_SEED},
    {"val-every", required_argument, 0, OPT_VAL_EVERY},
    {"val-tokens", required_argument, 0, OPT_VAL_TOKENS},
    {"val-data", required_argument, 0, OPT_VAL_DATA},
    {"checkpoint-every", required_argument, 0, OPT_CKPT_EVERY},
    {"keep", required_argument, 0, OPT_KEEP},
    {"log-every", required_argument, 0, OPT_LOG_EVERY},
    {"model", required_argument, 0, OPT_MODEL},
    {"prompt", required_argument, 0, OPT_PROMPT},
    {"prompt-ids", required_argument, 0, OPT_PROMPT_IDS},
    {"max-tokens", required_argument, 0, OPT_MAX_TOKENS},
    {"temperature", required_argument, 0, OPT_TEMPERATURE},
    {"top-k", required_argument, 0, OPT_TOP_K},
    {"top-p", required_argument, 0, OPT_TOP_P},
    {"slide", no_argument, 0, OPT_SLIDE},
    {"max-batches", required_argument, 0, OPT_MAX_BATCHES},
    {"config", required_argument, 0, OPT_CONFIG},
    {"simd", required_argument, 0, OPT_SIMD},
    {"precision", required_argument, 0, OPT_PRECISION},
    {"json", no_argument, 0, OPT_JSON},
    {"progress", no_argument, 0, OPT_PROGRESS},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"help", no_argument, 0, OPT_HELP},
    {"version", no_argument, 0, OPT_VERSION},
    {0, 0, 0, 0},
};

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "trainer: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see trainer --help)\n");
    return CR_EUSAGE;
}

static int parse_int(const char *text, long min, long max, int *out, cr_err *err)
{
    long value;
    int code = cr_parse_long(text, min, max, &value, err);
    if (!code)
        *out = (int)value;
    return code;
}

static int default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
}

int main(int argc, char **argv)
{
    cr_log_init("trainer", CR_LOG_INFO);
    if (argc < 2)
        return usage_error("%s", "a command is required");
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
        printf("trainer %s\n", CR_VERSION);
        return 0;
    }
    int is_train = strcmp(command, "train") == 0, is_gen = strcmp(command, "generate") == 0;
    int is_eval = strcmp(command, "eval") == 0, is_info = strcmp(command, "info") == 0;
    int is_bench = strcmp(command, "bench") == 0;
    if (!is_train && !is_gen && !is_eval && !is_info && !is_bench)
        return usage_error("unknown command \"%s\"", command);

    train_options t;
    train_options_default(&t);
    t.threads = default_threads();
    generate_options g = {
        .max_tokens = 64, .top_k = 40, .temperature = 0.5, .top_p = 0.95, .seed = 1337};
    eval_options e = {.batch = 4, .seq_len = 0, .threads = default_threads()};
    bench_options b = {
        .config = "A", .threads = default_threads(), .steps = 5, .kernel_max = KERNEL_AVX512};
    int quiet = 0, verbose = 0, json = 0, progress = CR_PROGRESS_AUTO, kernel_max = KERNEL_AVX512;
    int precision = PRECISION_AUTO;
    cr_err err = {0};
    int code = CR_OK, opt, option_index = 0;
    optind = 2;
    while (code == CR_OK &&
           (opt = getopt_long(argc, argv, "v", long_options, &option_index)) != -1) {
        const char *a = optarg;
        long lvalue;
        switch (opt) {
        case OPT_DATA:
            t.data_dir = a;
            e.data_dir = a;
            break;
        case OPT_OUT:
            t.out_dir = a;
            break;
        case OPT_INIT:
            t.init = a;
            break;
        case OPT_RESUME:
            t.resume = 1;
            break;
        case OPT_LAYERS:
            code = parse_int(a, 1, 256, &t.layers, &err);
            break;
        case OPT_CHANNELS:
            code = parse_int(a, 1, 16384, &t.channels, &err);
            break;
        case OPT_HEADS:
            code = parse_int(a, 1, 1024, &t.heads, &err);
            break;
        case OPT_SEQ_LEN:
            code = parse_int(a, 1, 65536, &t.seq_len, &err);
            e.seq_len = t.seq_len;
            break;
        case OPT_VOCAB:
            code = parse_int(a, 2, 1 << 24, &t.vocab, &err);
            break;
        case OPT_TOKENIZER:
            t.tokenizer = a;
            g.tokenizer = a;
            break;
        case OPT_BATCH:
            code = parse_int(a, 1, 1 << 16, &t.batch, &err);
            e.batch = t.batch;
            break;
        case OPT_STEPS:
            t.steps_relative = a[0] == '+';
            code = cr_parse_long(a + t.steps_relative, 0, 1L << 40, &t.steps, &err);
            b.steps = (int)(t.steps > 1000 ? 1000 : t.steps);
            break;
        case OPT_EPOCHS:
            code = cr_parse_double(a, 1e-9, 1e6, &t.epochs, &err);
            break;
        case OPT_TIME: {
            int64_t ms;
            code = cr_parse_duration_ms(a, &ms, &err);
            if (!code && ms <= 0)
                code = cr_fail(&err, CR_EUSAGE, "the budget must be longer than 0");
            t.time_ms = (long)ms;
            break;
        }
        case OPT_SCHEDULE:
            t.schedule_kind = schedule_kind_parse(a);
            if (t.schedule_kind < 0)
                code = cr_fail(&err, CR_EUSAGE, "expected cosine or wsd, not \"%s\"", a);
            break;
        case OPT_DECAY_FRACTION:
            code = cr_parse_double(a, 0, 1, &t.decay_fraction, &err);
            break;
        case OPT_DATA_ORDER:
            t.data_order = data_order_parse(a);
            if (t.data_order < 0)
                code = cr_fail(&err, CR_EUSAGE, "expected shuffle or sequential, not \"%s\"", a);
            break;
        case OPT_LR:
            code = cr_parse_double(a, 0, 10, &t.lr, &err);
            break;
        case OPT_WARMUP:
            code = cr_parse_long(a, 0, 1L << 40, &t.warmup, &err);
            break;
        case OPT_MIN_LR:
            code = cr_parse_double(a, 0, 10, &t.min_lr, &err);
            break;
        case OPT_DECAY_STEPS:
            code = cr_parse_long(a, 1, 1L << 40, &t.decay_steps, &err);
            break;
        case OPT_WEIGHT_DECAY:
            code = cr_parse_double(a, 0, 10, &t.weight_decay, &err);
            break;
        case OPT_GRAD_CLIP:
            code = cr_parse_double(a, 0, 1e9, &t.grad_clip, &err);
            break;
        case OPT_BETA1:
            code = cr_parse_double(a, 0, 0.999999, &t.beta1, &err);
            break;
        case OPT_BETA2:
            code = cr_parse_double(a, 0, 0.999999, &t.beta2, &err);
            break;
        case OPT_THREADS:
            code = parse_int(a, 1, 64, &t.threads, &err);
            e.threads = b.threads = t.threads;
            break;
        case OPT_SEED:
            code = cr_parse_long(a, 0, 1L << 62, &lvalue, &err);
            t.seed = g.seed = (uint64_t)lvalue;
            break;
        case OPT_VAL_EVERY:
            code = cr_parse_long(a, 0, 1L << 40, &t.val_every, &err);
            break;
        case OPT_VAL_TOKENS:
            code = cr_parse_long(a, 1, 1L << 40, &t.val_tokens, &err);
            break;
        case OPT_VAL_DATA:
            t.val_data = a;
            break;
        case OPT_CKPT_EVERY:
            code = cr_parse_long(a, 0, 1L << 40, &t.checkpoint_every, &err);
            break;
        case OPT_KEEP:
            code = parse_int(a, 0, 1 << 20, &t.keep, &err);
            break;
        case OPT_LOG_EVERY:
            code = parse_int(a, 0, 1 << 30, &t.log_every, &err);
            break;
        case OPT_MODEL:
            g.model = e.model = a;
            break;
        case OPT_PROMPT:
            g.prompt = a;
            break;
        case OPT_PROMPT_IDS:
            g.prompt_ids = a;
            break;
        case OPT_MAX_TOKENS:
            code = parse_int(a, 1, 1 << 20, &g.max_tokens, &err);
            break;
        case OPT_TEMPERATURE:
            code = cr_parse_double(a, 0, 100, &g.temperature, &err);
            break;
        case OPT_TOP_K:
            code = parse_int(a, 0, 1 << 24, &g.top_k, &err);
            break;
        case OPT_TOP_P:
            code = cr_parse_double(a, 0, 1, &g.top_p, &err);
            break;
        case OPT_SLIDE:
            g.slide = 1;
            break;
        case OPT_MAX_BATCHES:
            code = cr_parse_long(a, 0, 1L << 40, &e.max_batches, &err);
            break;
        case OPT_CONFIG:
            b.config = a;
            break;
        case OPT_SIMD:
            if (strcmp(a, "scalar") == 0)
                kernel_max = KERNEL_SCALAR;
            else if (strcmp(a, "avx2") == 0)
                kernel_max = KERNEL_AVX2;
            else if (strcmp(a, "avx512") == 0)
                kernel_max = KERNEL_AVX512;
            else
                code = cr_fail(&err, CR_EUSAGE, "expected scalar, avx2 or avx512");
            break;
        case OPT_PRECISION:
            if (strcmp(a, "auto") == 0)
                precision = PRECISION_AUTO;
            else if (strcmp(a, "fp32") == 0)
                precision = PRECISION_FP32;
            else if (strcmp(a, "bf16") == 0)
                precision = PRECISION_BF16;
            else
                code = cr_fail(&err, CR_EUSAGE, "expected auto, fp32 or bf16");
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_PROGRESS:
            progress = CR_PROGRESS_ALWAYS;
            break;
        case OPT_QUIET:
            quiet = 1;
            break;
        case 'v':
            verbose++;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            printf("trainer %s\n", CR_VERSION);
            return 0;
        default:
            return usage_error("%s", "bad option");
        }
    }
    if (code) {
        cr_err_context(&err, "--%s", long_options[option_index].name);
        return cr_err_report("trainer", &err);
    }
    cr_log_verbosity(quiet, verbose);
    if (quiet)
        progress = CR_PROGRESS_NEVER;
    char precision_reason[200];
    int level = precision_level(precision, kernel_max, precision_reason, sizeof precision_reason);
    if (level < 0) {
        fprintf(stderr, "trainer: --precision bf16: %s\n", precision_reason);
        return CR_EUSAGE;
    }
    kernels_select(level);
    if (!is_info)
        cr_info("precision %s; kernels %s", precision_reason, kernels_level_name(kernels_level()));
    const char *positional = optind < argc ? argv[optind] : NULL;
    if (optind + (is_info ? 1 : 0) < argc)
        return usage_error("unexpected argument \"%s\"", argv[argc - 1]);

    if (is_train) {
        if (!t.data_dir || !t.out_dir)
            return usage_error("%s", "train needs --data DIR and --out DIR");
        if (t.time_ms > 0 && (t.steps >= 0 || t.epochs > 0))
            return usage_error("%s", "--time fixes the step count itself: not with --steps or "
                                     "--epochs");
        t.json = json;
        t.progress_mode = progress;
        t.kernel_max = kernel_max;
        code = ranks_open(&err); /* MPI, when started by mpirun */
        if (!ranks_is_root())
            t.progress_mode = CR_PROGRESS_NEVER; /* rank 0 speaks for the job */
        if (!code)
            code = train_run(&t, &err);
        int status = code ? cr_err_report("trainer", &err) : 0;
        ranks_close(status);
        return status;
    } else if (is_gen) {
        if (!g.model)
            return usage_error("%s", "generate needs --model PATH");
        g.json = json;
        code = generate_run(&g, &err);
    } else if (is_eval) {
        if (!e.model || !e.data_dir)
            return usage_error("%s", "eval needs --model PATH and --data DIR");
        e.json = json;
        code = eval_run(&e, &err);
    } else if (is_info) {
        if (!positional)
            return usage_error("%s", "info needs a checkpoint PATH");
        code = info_run(positional, json, &err);
    } else {
        b.json = json;
        b.kernel_max = kernel_max;
        code = bench_run(&b, &err);
    }
    return code ? cr_err_report("trainer", &err) : 0;
}
