/* main.c — the tokenizer command line: train, encode, decode, import, export, info.
 * Argument parsing, reports and exit codes only; the work is in train.c, encode.c, bpe.c,
 * convert.c and vocab.c. Errors come back as cr_err and leave through cr_err_report here. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "cli.h"
#include "convert.h"
#include "encode.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "parse.h"
#include "progress.h"
#include "status.h"
#include "train.h"
#include "vocab.h"

#define PROGRAM "tokenizer"
#define MAX_SPECIALS 256

static const char usage_text[] =
    "usage: tokenizer COMMAND [OPTIONS] ...\n"
    "\n"
    "Byte-level BPE: learns a vocabulary, encodes documents into llm.c token shards exactly as\n"
    "tiktoken would with the same ranks and pattern, and decodes them back.\n"
    "\n"
    "commands:\n"
    "  train   --vocab-size N -o PATH [--pattern gpt2|gpt4|REGEX] [--special NAME]...\n"
    "          [--min-frequency K] [--threads N] INPUT...\n"
    "          learn a vocabulary from files or folders of text (any bytes accepted;\n"
    "          *.meta.json sidecars, dot files and *.tmp.* are skipped)\n"
    "  encode  --tokenizer PATH -o DIR [--threads N] [--shard-tokens M]\n"
    "          [--train-if-missing --vocab-size N [--pattern P] [--train-from DIR]] INPUT...\n"
    "          one document per file, each starting with the end-of-text token; writes\n"
    "          DIR/shard-RUN-K.bin and DIR/shard-RUN.manifest.tsv\n"
    "  decode  --tokenizer PATH [--no-special] [-o FILE] SHARD|-\n"
    "          the bytes of a shard's tokens (special tokens as their names)\n"
    "  import  (--tiktoken FILE --pattern gpt2|gpt4|REGEX [--special NAME=ID]... |\n"
    "           --gpt2 ENCODER.JSON VOCAB.BPE) -o PATH\n"
    "  export  --tokenizer PATH (--hf TOKENIZER.JSON | --tiktoken FILE)\n"
    "  info    PATH        vocab size, pattern, special tokens, longest token\n"
    "\n"
    "options:\n"
    "  -o, --out PATH        where the command writes: train and import the tokenizer file,\n"
    "                        encode the shard folder, decode the bytes (default: stdout);\n"
    "                        --output is the same option\n"
    "  --tokenizer PATH      the tokenizer file (docs/tokenizer.md)\n"
    "  --vocab-size N        tokens in all, the 256 bytes and the special tokens included\n"
    "  --pattern P           pre-tokenisation regex: gpt2, gpt4 (default) or a regex in\n"
    "                        tiktoken's syntax (compiled by PCRE2)\n"
    "  --special NAME        (train) a special token, repeatable; default <|endoftext|>\n"
    "  --special NAME=ID     (import) a special token with its id, repeatable\n"
    "  --min-frequency K     (train) do not merge pairs seen fewer than K times (default 2)\n"
    "  --threads N           worker threads (default: the number of CPUs)\n"
    "  --shard-tokens M      (encode) most tokens per shard (default 100000000)\n"
    "  --train-if-missing    (encode) train on the inputs first when --tokenizer does not exist\n"
    "  --train-from PATH     (encode) with --train-if-missing: train on PATH (a file, or the\n"
    "                        *.txt files under a folder such as clean/) instead of the inputs\n"
    "  --no-special          (decode) leave special tokens out\n"
    "  --hf FILE             (export) Hugging Face tokenizer.json\n"
    "  --tiktoken FILE       (import/export) tiktoken ranks: base64 token, space, rank\n"
    "  --gpt2 ENC VOCAB      (import) GPT-2's encoder.json and vocab.bpe\n"
    "  --json                machine-readable report on stdout\n"
    "  --progress            progress lines on stderr even when it is not a terminal\n"
    "  -q, --quiet           no progress, no report, errors only\n"
    "  -v, --verbose         more log lines (repeatable)\n"
    "  -h, --help            this text\n"
    "  -V, --version         the version\n"
    "\n"
    "An option a command does not take is refused (exit 2).\n"
    "\n"
    "exit status: 0 ok, 2 usage, 65 bad data, 66 input missing, 74 I/O error, 1 other\n";

typedef struct options {
    const char *out, *tokenizer, *pattern, *hf, *tiktoken, *gpt2_encoder, *gpt2_vocab, *train_from;
    const char *specials[MAX_SPECIALS];
    int special_count;
    long vocab_size;
    long min_frequency;
    long threads;
    uint64_t shard_tokens;
    int train_if_missing, no_special, json, quiet, verbose, progress_mode;
    char **inputs;
    int input_count;
} options;

/* The commands, as bits: an option row names the commands that take it. */
enum {
    TRAIN = 1 << 0,
    ENCODE = 1 << 1,
    DECODE = 1 << 2,
    IMPORT = 1 << 3,
    EXPORT = 1 << 4,
    INFO = 1 << 5
};

/* Options main() handles itself (their values do not go straight into a field). */
enum { OPT_SPECIAL = 1, OPT_GPT2, OPT_SHARD_TOKENS };

#define O options
/* One row an option: adding an option is adding its row (and its line in usage_text). */
static const cr_option option_rows[] = {
    {"out", 'o', TRAIN | ENCODE | DECODE | IMPORT, CR_TEXT(O, out)},
    {"output", 0, TRAIN | ENCODE | DECODE | IMPORT, CR_TEXT(O, out)}, /* the old name of --out */
    {"tokenizer", 0, ENCODE | DECODE | EXPORT | INFO, CR_TEXT(O, tokenizer)},
    {"vocab-size", 0, TRAIN | ENCODE, CR_LONG(O, vocab_size, 1, TOK_MAX_VOCAB)},
    {"pattern", 0, TRAIN | ENCODE | IMPORT, CR_TEXT(O, pattern)},
    {"special", 0, TRAIN | ENCODE | IMPORT, CR_CALL(OPT_SPECIAL, 1)},
    {"min-frequency", 0, TRAIN | ENCODE, CR_LONG(O, min_frequency, 1, 0x7fffffffL)},
    {"threads", 0, TRAIN | ENCODE, CR_LONG(O, threads, 1, 256)},
    {"shard-tokens", 0, ENCODE, CR_CALL(OPT_SHARD_TOKENS, 1)},
    {"train-if-missing", 0, ENCODE, CR_FLAG(O, train_if_missing)},
    {"train-from", 0, ENCODE, CR_TEXT(O, train_from)},
    {"no-special", 0, DECODE, CR_FLAG(O, no_special)},
    {"hf", 0, EXPORT, CR_TEXT(O, hf)},
    {"tiktoken", 0, IMPORT | EXPORT, CR_TEXT(O, tiktoken)},
    {"gpt2", 0, IMPORT, CR_CALL(OPT_GPT2, 1)},
    {"json", 0, TRAIN | ENCODE | INFO, CR_FLAG(O, json)},
    {"progress", 0, TRAIN | ENCODE, CR_SET(O, progress_mode, CR_PROGRESS_ALWAYS)},
    CR_COMMON_OPTIONS(O, quiet, verbose),
    {NULL, 0, 0, CR_CALL(0, 0)},
};
#undef O

static int usage_error(const char *fmt, const char *detail)
{
    fprintf(stderr, "%s: ", PROGRAM);
    fprintf(stderr, fmt, detail);
    fprintf(stderr, " (try: tokenizer --help)\n");
    return CR_EUSAGE;
}

static void options_default(options *o)
{
    memset(o, 0, sizeof *o);
    o->min_frequency = 2;
    o->threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->threads < 1)
        o->threads = 1;
    o->shard_tokens = TOK_DEFAULT_SHARD_TOKENS;
}

/* The options whose text is more than a value in a range. */
static int set_option(cr_cli *cli, options *o, int id, cr_err *err)
{
    int code = CR_OK;
    switch (id) {
    case OPT_GPT2:
        o->gpt2_encoder = cli->arg;
        o->gpt2_vocab = cr_cli_take_word(cli);
        if (!o->gpt2_vocab)
            return cr_fail(err, CR_EUSAGE, "--gpt2 needs two files: encoder.json vocab.bpe");
        break;
    case OPT_SPECIAL:
        if (o->special_count == MAX_SPECIALS)
            return cr_fail(err, CR_EUSAGE, "more than %d special tokens", MAX_SPECIALS);
        o->specials[o->special_count++] = cli->arg;
        break;
    case OPT_SHARD_TOKENS:
        code = cr_parse_size(cli->arg, &o->shard_tokens, err);
        if (!code && (o->shard_tokens == 0 || o->shard_tokens > 0x7fffffffULL))
            code = cr_fail(err, CR_EUSAGE, "%s is out of range (1..2147483647)", cli->arg);
        if (code) /* a value that does not parse: say whose */
            cr_err_context(err, "--%s", cli->name);
        break;
    }
    return code;
}

static void print_json(cr_buf *out)
{
    fwrite(out->data, 1, out->len, stdout);
    fputc('\n', stdout);
}

/* Drops the *.meta.json sidecars that the crawler and preprocess write beside each document:
 * `tokenizer encode clean/` tokenizes the documents, not their descriptions. */
static void drop_sidecars(char **paths, size_t *path_count)
{
    size_t kept = 0;
    for (size_t i = 0; i < *path_count; i++) {
        size_t len = strlen(paths[i]);
        if (len > 10 && strcmp(paths[i] + len - 10, ".meta.json") == 0)
            free(paths[i]);
        else
            paths[kept++] = paths[i];
    }
    *path_count = kept;
}

/* A *.meta.json named on the command line is refused rather than dropped in silence: every
 * input the user names is tokenized or reported (CR_EDATA, naming it). Inside a folder the
 * sidecars are skipped as documented. */
static int check_named_inputs(char *const *inputs, int input_count, cr_err *err)
{
    for (int i = 0; i < input_count; i++) {
        size_t len = strlen(inputs[i]);
        if (len > 10 && strcmp(inputs[i] + len - 10, ".meta.json") == 0 && !cr_is_dir(inputs[i]))
            return cr_fail(err, CR_EDATA,
                           "%s: a metadata sidecar, not a document (name the document, or its "
                           "folder)",
                           inputs[i]);
    }
    return CR_OK;
}

/* Says which named folders gave no document, and refuses a run with none at all
 * (CR_ENOINPUT): "0 documents" with exit 0 would hide a wrong path. */
static int check_documents_found(char *const *inputs, int input_count, char *const *paths,
                                 size_t path_count, cr_err *err)
{
    for (int i = 0; i < input_count; i++) {
        if (!cr_is_dir(inputs[i]))
            continue;
        size_t len = strlen(inputs[i]);
        int found = 0;
        for (size_t k = 0; k < path_count && !found; k++)
            found = strncmp(paths[k], inputs[i], len) == 0 &&
                    (paths[k][len] == '/' || (len && inputs[i][len - 1] == '/'));
        if (!found)
            cr_warn("%s: no document in this folder", inputs[i]);
    }
    if (path_count == 0)
        return cr_fail(err, CR_ENOINPUT,
                       "no document to tokenize in the inputs (folders hold no file but "
                       "*.meta.json sidecars, dot files or temporaries)");
    return CR_OK;
}

/* only_txt: keep the *.txt files of the listing (a clean/ folder also holds *.meta.json). */
static int run_train_into(const options *o, char *const *inputs, int input_count, int only_txt,
                          tok_vocab *v, cr_err *err)
{
    tok_vocab_init(v);
    char **paths;
    size_t path_count;
    int code = check_named_inputs(inputs, input_count, err);
    if (!code)
        code = cr_list_inputs(inputs, input_count, &paths, &path_count, err);
    if (code)
        return code;
    drop_sidecars(paths, &path_count);
    if (only_txt) {
        size_t kept = 0;
        for (size_t i = 0; i < path_count; i++) {
            size_t len = strlen(paths[i]);
            if (len > 4 && strcmp(paths[i] + len - 4, ".txt") == 0)
                paths[kept++] = paths[i];
            else
                free(paths[i]);
        }
        path_count = kept;
    }
    if ((code = check_documents_found(inputs, input_count, paths, path_count, err))) {
        cr_free_list(paths, path_count);
        return code;
    }
    tok_train_options to = {
        .vocab_size = (uint32_t)o->vocab_size,
        .pattern = o->pattern ? o->pattern : "gpt4",
        .specials = o->specials,
        .special_count = o->special_count,
        .min_frequency = (uint64_t)o->min_frequency,
        .threads = (int)o->threads,
        .progress_mode = o->progress_mode,
    };
    tok_train_report report;
    double started = cr_now_s();
    code = tok_train(&to, paths, path_count, v, &report, err);
    cr_free_list(paths, path_count);
    if (code)
        return code;
    if (report.stopped_early)
        cr_warn("stopped at %u tokens of %ld: no pair seen %ld times or more is left",
                v->vocab_size, o->vocab_size, o->min_frequency);
    cr_info("trained %u tokens (%llu merges) on %llu bytes of %llu documents in %.2f s",
            v->vocab_size, (unsigned long long)report.merges, (unsigned long long)report.bytes,
            (unsigned long long)report.documents, cr_now_s() - started);
    return CR_OK;
}

/* An output named where a folder is: refused before any work (the rename at the end would
 * fail after it all). */
static int check_output_path(const char *path, cr_err *err)
{
    if (path && cr_is_dir(path))
        return cr_fail(err, CR_EUSAGE, "%s is a folder: name a file to write", path);
    return CR_OK;
}

static int cmd_train(void *args, cr_err *err)
{
    const options *o = args;
    if (!o->out || !o->vocab_size || o->input_count == 0)
        return cr_fail(err, CR_EUSAGE, "train needs --vocab-size N, -o PATH and inputs");
    tok_vocab v;
    int code = check_output_path(o->out, err);
    if (code)
        return code;
    code = run_train_into(o, o->inputs, o->input_count, 0, &v, err);
    if (!code)
        code = tok_vocab_save(&v, o->out, err);
    if (!code && o->json) {
        cr_buf out;
        cr_buf_init(&out);
        cr_json j;
        cr_json_init(&j, &out);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "tokenizer", o->out);
        cr_json_kv_int(&j, "vocab_size", v.vocab_size);
        cr_json_kv_string(&j, "pattern", v.pattern_name);
        cr_json_object_end(&j);
        print_json(&out);
        cr_buf_free(&out);
    }
    tok_vocab_free(&v);
    return code;
}

/* --train-if-missing: one process trains, the others wait on the lock and then load it. */
static int load_or_train(const options *o, tok_vocab *v, cr_err *err)
{
    if (!o->train_if_missing || cr_is_file(o->tokenizer))
        return tok_vocab_load(v, o->tokenizer, err);
    if (!o->vocab_size)
        return cr_fail(err, CR_EUSAGE, "--train-if-missing needs --vocab-size N");
    char dir[4096], lock_path[4200];
    cr_path_dirname(o->tokenizer, dir, sizeof dir);
    int code = cr_mkdir_p(dir, err);
    if (code)
        return code;
    snprintf(lock_path, sizeof lock_path, "%s.lock", o->tokenizer);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        return cr_fail_errno(err, CR_EIO, "creating %s", lock_path);
    if (flock(lock, LOCK_EX) < 0) {
        close(lock);
        return cr_fail_errno(err, CR_ETEMP, "locking %s", lock_path);
    }
    if (cr_is_file(o->tokenizer)) {
        code = tok_vocab_load(v, o->tokenizer, err);
    } else {
        cr_info("%s does not exist: training a vocabulary of %ld on the inputs", o->tokenizer,
                o->vocab_size);
        char *from[1] = {(char *)o->train_from};
        if (o->train_from)
            code = run_train_into(o, from, 1, cr_is_dir(o->train_from), v, err);
        else
            code = run_train_into(o, o->inputs, o->input_count, 0, v, err);
        if (!code)
            code = tok_vocab_save(v, o->tokenizer, err);
    }
    close(lock);
    return code;
}

static int cmd_encode(void *args, cr_err *err)
{
    const options *o = args;
    if (!o->tokenizer || !o->out || o->input_count == 0)
        return cr_fail(err, CR_EUSAGE, "encode needs --tokenizer PATH, --out DIR and inputs");
    char **paths;
    size_t path_count;
    int code = check_named_inputs(o->inputs, o->input_count, err);
    if (!code)
        code = cr_list_inputs(o->inputs, o->input_count, &paths, &path_count, err);
    if (code)
        return code;
    drop_sidecars(paths, &path_count);
    if ((code = check_documents_found(o->inputs, o->input_count, paths, path_count, err))) {
        cr_free_list(paths, path_count);
        return code;
    }
    tok_vocab v;
    code = load_or_train(o, &v, err);
    if (code) {
        cr_free_list(paths, path_count);
        return code;
    }
    tok_encode_options eo = {o->out, (int)o->threads, o->shard_tokens, o->progress_mode};
    tok_encode_report r;
    code = tok_encode_files(&v, &eo, paths, path_count, &r, err);
    cr_free_list(paths, path_count);
    tok_vocab_free(&v);
    if (code)
        return code;
    double bytes_per_token = r.tokens ? (double)r.bytes / (double)r.tokens : 0;
    double mb_per_s = r.seconds > 0 ? (double)r.bytes / 1e6 / r.seconds : 0;
    if (o->json) {
        cr_buf out;
        cr_buf_init(&out);
        cr_json j;
        cr_json_init(&j, &out);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "run", r.run_id);
        cr_json_kv_int(&j, "documents", (int64_t)r.documents);
        cr_json_kv_int(&j, "skipped", (int64_t)r.skipped);
        cr_json_kv_int(&j, "bytes", (int64_t)r.bytes);
        cr_json_kv_int(&j, "tokens", (int64_t)r.tokens);
        cr_json_kv_int(&j, "shards", (int64_t)r.shards);
        cr_json_kv_double(&j, "bytes_per_token", bytes_per_token);
        cr_json_kv_double(&j, "mb_per_s", mb_per_s);
        cr_json_kv_double(&j, "seconds", r.seconds);
        cr_json_object_end(&j);
        print_json(&out);
        cr_buf_free(&out);
    } else if (!o->quiet) {
        printf("%llu documents (%llu skipped), %llu bytes, %llu tokens, %.3f bytes/token, "
               "%.1f MB/s, %llu shard%s (run %s)\n",
               (unsigned long long)r.documents, (unsigned long long)r.skipped,
               (unsigned long long)r.bytes, (unsigned long long)r.tokens, bytes_per_token, mb_per_s,
               (unsigned long long)r.shards, r.shards == 1 ? "" : "s", r.run_id);
    }
    return CR_OK;
}

static int cmd_decode(void *args, cr_err *err)
{
    const options *o = args;
    if (!o->tokenizer || o->input_count != 1)
        return cr_fail(err, CR_EUSAGE, "decode needs --tokenizer PATH and one SHARD (or -)");
    if (check_output_path(o->out, err))
        return err->code;
    tok_vocab v;
    int code = tok_vocab_load(&v, o->tokenizer, err);
    if (code)
        return code;
    uint64_t tokens = 0;
    if (o->out) {
        /* Written atomically like every output, as it is decoded (nothing held in memory); the
         * temporary file is removed if a signal ends the run. */
        cr_atomic_file file;
        code = cr_atomic_open(&file, o->out, err);
        if (!code) {
            cr_cleanup_track(file.tmp_path);
            int fd = dup(file.fd);
            FILE *stream = fd >= 0 ? fdopen(fd, "w") : NULL;
            if (!stream) {
                code = cr_fail_errno(err, CR_EIO, "writing %s", file.tmp_path);
                if (fd >= 0)
                    close(fd);
            }
            if (!code)
                code = tok_decode_shard(&v, o->inputs[0], stream, o->no_special, &tokens, err);
            if (stream && fclose(stream) != 0 && !code)
                code = cr_fail_errno(err, CR_EIO, "writing %s", file.tmp_path);
            if (!code)
                code = cr_atomic_commit(&file, err);
            else
                cr_atomic_abort(&file);
            cr_cleanup_untrack(file.tmp_path);
        }
    } else {
        code = tok_decode_shard(&v, o->inputs[0], stdout, o->no_special, &tokens, err);
    }
    tok_vocab_free(&v);
    return code;
}

static int cmd_import(void *args, cr_err *err)
{
    const options *o = args;
    if (!o->out || (!o->tiktoken == !o->gpt2_encoder))
        return cr_fail(err, CR_EUSAGE,
                       "import needs -o PATH and one of --tiktoken FILE or --gpt2 ENC VOCAB");
    if (check_output_path(o->out, err))
        return err->code;
    tok_vocab v;
    int code;
    if (o->tiktoken) {
        if (!o->pattern)
            return cr_fail(err, CR_EUSAGE, "import --tiktoken needs --pattern gpt2|gpt4|REGEX");
        code = tok_import_tiktoken(&v, o->tiktoken, o->pattern, o->specials, o->special_count, err);
    } else {
        code = tok_import_gpt2(&v, o->gpt2_encoder, o->gpt2_vocab, o->pattern, err);
    }
    if (!code)
        code = tok_vocab_save(&v, o->out, err);
    if (!code)
        cr_info("imported %u tokens (%u special) into %s", v.vocab_size, v.special_count, o->out);
    tok_vocab_free(&v);
    return code;
}

static int cmd_export(void *args, cr_err *err)
{
    const options *o = args;
    if (!o->tokenizer || (!o->hf == !o->tiktoken))
        return cr_fail(err, CR_EUSAGE,
                       "export needs --tokenizer PATH and one of --hf FILE or --tiktoken FILE");
    if (check_output_path(o->hf ? o->hf : o->tiktoken, err))
        return err->code;
    tok_vocab v;
    int code = tok_vocab_load(&v, o->tokenizer, err);
    if (code)
        return code;
    code = o->hf ? tok_export_hf(&v, o->hf, err) : tok_export_tiktoken(&v, o->tiktoken, err);
    tok_vocab_free(&v);
    return code;
}

static int cmd_info(void *args, cr_err *err)
{
    const options *o = args;
    const char *path = o->input_count == 1 ? o->inputs[0] : o->tokenizer;
    if (!path || o->input_count > 1)
        return cr_fail(err, CR_EUSAGE, "info needs one tokenizer PATH");
    tok_vocab v;
    int code = tok_vocab_load(&v, path, err);
    if (code)
        return code;
    cr_buf out;
    cr_buf_init(&out);
    tok_info(&v, path, o->json, &out);
    fwrite(out.data, 1, out.len, stdout);
    cr_buf_free(&out);
    tok_vocab_free(&v);
    return CR_OK;
}

static const cr_command commands[] = {
    {"train", TRAIN, cmd_train},
    {"encode", ENCODE, cmd_encode},
    {"decode", DECODE, cmd_decode},
    {"import", IMPORT, cmd_import},
    {"export", EXPORT, cmd_export},
    {"info", INFO, cmd_info},
    {NULL, 0, NULL},
};

int main(int argc, char **argv)
{
    cr_log_init(PROGRAM, CR_LOG_INFO);
    /* A file size limit then fails the write (EFBIG, exit 74) instead of killing us. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2)
        return usage_error("%s", "missing COMMAND");
    const char *name = argv[1];
    if (cr_cli_info_id(name)) { /* before a command: "tokenizer --help" */
        cr_cli_print_info(cr_cli_info_id(name), PROGRAM, usage_text);
        return 0;
    }
    if (name[0] == '-')
        return usage_error("%s", "missing COMMAND");
    const cr_command *command = cr_command_find(commands, name);
    if (!command)
        return usage_error("unknown command \"%s\"", name);
    options o;
    options_default(&o);
    cr_err err = {0};
    cr_cli cli;
    cr_cli_init(&cli, PROGRAM, name, command->bit, option_rows, &o, argc - 1, argv + 1);
    int id;
    while ((id = cr_cli_next(&cli, &err)) > 0) {
        if (id == CR_CLI_HELP || id == CR_CLI_VERSION) {
            cr_cli_print_info(id, PROGRAM, usage_text);
            return 0;
        }
        if (set_option(&cli, &o, id, &err))
            break;
    }
    if (err.code)
        return cr_err_report(PROGRAM, &err);
    if (o.quiet)
        o.progress_mode = CR_PROGRESS_NEVER;
    o.inputs = cli.argv + cr_cli_operand_index(&cli);
    o.input_count = cli.argc - cr_cli_operand_index(&cli);
    cr_log_verbosity(o.quiet, o.verbose);
    int code = command->run(&o, &err);
    return code ? cr_err_report(PROGRAM, &err) : 0;
}
