/* main.c — `orchestrator`: argument parsing and exit codes, nothing else. The commands are in
 * commands.c, the daemon's loop in engine.c, the config loader in config.c. The command line
 * follows lib/cli.h: a table of commands, and option rows that say which commands take them,
 * so an option another command owns is refused. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dashboard.h"
#include "log.h"
#include "parse.h"
#include "status.h"

static const char usage[] =
    "usage: orchestrator [-c FILE] COMMAND [ARGS]\n"
    "\n"
    "Runs crystalline's stages when files arrive, as pipeline.yaml says.\n"
    "\n"
    "commands:\n"
    "  start [--foreground]   start the daemon for the config's workspace (one per workspace)\n"
    "  stop [--timeout D]     stop it; waits for running stages (default 10m), then ends them\n"
    "  status [--json]        per stage: queued, running, retrying, done, failed; last runs\n"
    "  run STAGE [FILE...]    run a stage once by hand, with its retry policy (no FILE: what\n"
    "                         waits in its folders)\n"
    "  validate               check the config, its programs and folders\n"
    "  logs [STAGE] [-f]      output of the last runs (-n N of them); -f follows new runs\n"
    "  retry ITEM|--all-failed  move failed inputs back from failed/ and queue them again\n"
    "                         (ITEM: a number from status, the input's path or its failed/ path)\n"
    "  dashboard              print the URL of the daemon's live dashboard (pipeline.yaml:\n"
    "                         dashboard: {listen: 127.0.0.1:8080})\n"
    "\n"
    "options (before or after the command; each only with the commands named):\n"
    "  -c, --config FILE      the pipeline config (default ./pipeline.yaml)\n"
    "      --foreground       start: stay attached, log to stderr\n"
    "      --timeout D        stop: how long to wait for running stages (e.g. 30s, 10m)\n"
    "      --json             status: machine-readable\n"
    "  -f, --follow           logs: keep printing runs as they end\n"
    "  -n, --runs N           logs: how many past runs to print (default 10)\n"
    "      --all-failed       retry: every failed input\n"
    "  -v, --verbose          more log lines (repeat for debug)\n"
    "  -q, --quiet            errors only\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n"
    "\n"
    "exit status: 0 ok, 2 usage, 65 bad config or bad input data, 66 missing file or\n"
    "program, 74 I/O error, 75 temporary (the daemon is already running), 1 other\n";

typedef struct orch_args {
    const char *config;
    int foreground, json, follow, all_failed, verbose, quiet;
    long run_count;
    int64_t timeout_ms;
    char **operands;
    int operand_count;
} orch_args;

/* A bit per command: the option rows say which take them. */
enum {
    START = 1 << 0,
    STOP = 1 << 1,
    STATUS = 1 << 2,
    RUN = 1 << 3,
    VALIDATE = 1 << 4,
    LOGS = 1 << 5,
    RETRY = 1 << 6,
    DASHBOARD = 1 << 7,
};
enum { OPT_TIMEOUT = 1, OPT_HELP, OPT_VERSION };

#define A orch_args
static const cr_option options[] = {
    {"config", 'c', CR_ANY_COMMAND, CR_TEXT(A, config)},
    {"foreground", 0, START, CR_FLAG(A, foreground)},
    {"timeout", 0, STOP, CR_CALL(OPT_TIMEOUT, 1)},
    {"json", 0, STATUS, CR_FLAG(A, json)},
    {"follow", 'f', LOGS, CR_FLAG(A, follow)},
    {"runs", 'n', LOGS, CR_LONG(A, run_count, 1, 100000)},
    {"all-failed", 0, RETRY, CR_FLAG(A, all_failed)},
    {"verbose", 'v', CR_ANY_COMMAND, CR_COUNT(A, verbose)},
    {"quiet", 'q', CR_ANY_COMMAND, CR_FLAG(A, quiet)},
    {"help", 'h', CR_ANY_COMMAND, CR_CALL(OPT_HELP, 0)},
    {"version", 'V', CR_ANY_COMMAND, CR_CALL(OPT_VERSION, 0)},
    {NULL, 0, 0, CR_CALL(0, 0)},
};
#undef A

/* The commands that take no operand. */
#define NO_OPERANDS (START | STOP | STATUS | VALIDATE | DASHBOARD)

static int run_start(void *args, cr_err *err)
{
    orch_args *a = args;
    return cmd_start(a->config, a->foreground, err);
}

static int run_stop(void *args, cr_err *err)
{
    orch_args *a = args;
    return cmd_stop(a->config, a->timeout_ms, err);
}

static int run_status(void *args, cr_err *err)
{
    orch_args *a = args;
    return cmd_status(a->config, a->json, err);
}

static int run_validate(void *args, cr_err *err)
{
    return cmd_validate(((orch_args *)args)->config, err);
}

static int run_dashboard(void *args, cr_err *err)
{
    return dashboard_command(((orch_args *)args)->config, err);
}

static int run_run(void *args, cr_err *err)
{
    orch_args *a = args;
    if (a->operand_count < 1)
        return cr_fail(err, CR_EUSAGE, "run: which stage? (run STAGE [FILE...])");
    return cmd_run(a->config, a->operands[0], a->operands + 1, a->operand_count - 1, err);
}

static int run_logs(void *args, cr_err *err)
{
    orch_args *a = args;
    if (a->operand_count > 1)
        return cr_fail(err, CR_EUSAGE, "logs: one stage at most");
    return cmd_logs(a->config, a->operand_count ? a->operands[0] : NULL, a->follow,
                    (int)a->run_count, err);
}

static int run_retry(void *args, cr_err *err)
{
    orch_args *a = args;
    if (a->all_failed == (a->operand_count == 1) || a->operand_count > 1)
        return cr_fail(err, CR_EUSAGE, "retry: give one ITEM or --all-failed");
    return cmd_retry(a->config, a->operand_count ? a->operands[0] : NULL, err);
}

static const cr_command commands[] = {
    {"start", START, run_start},
    {"stop", STOP, run_stop},
    {"status", STATUS, run_status},
    {"run", RUN, run_run},
    {"validate", VALIDATE, run_validate},
    {"logs", LOGS, run_logs},
    {"retry", RETRY, run_retry},
    {"dashboard", DASHBOARD, run_dashboard},
    {NULL, 0, NULL},
};

/* Walks the options for command_bit; 1 when --help or --version was answered. */
static int parse(cr_cli *cli, orch_args *a, cr_err *err)
{
    int id;
    while ((id = cr_cli_next(cli, err)) > 0) {
        if (id == OPT_HELP) {
            fputs(usage, stdout);
            return 1;
        }
        if (id == OPT_VERSION) {
            printf("orchestrator %s\n", CR_VERSION);
            return 1;
        }
        if (id == OPT_TIMEOUT && cr_parse_duration_ms(cli->arg, &a->timeout_ms, err)) {
            cr_err_context(err, "--timeout");
            return -1;
        }
    }
    return id < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    orch_args a = {.config = "pipeline.yaml", .run_count = 10, .timeout_ms = 10 * 60 * 1000};
    cr_err err = {0};
    /* First the options before the command (-c FILE, -v, -q, -h, -V), to find the command:
     * getopt moves the operands, the command first, behind the options. */
    cr_cli cli;
    cr_cli_init(&cli, "orchestrator", NULL, CR_ANY_COMMAND, options, &a, argc, argv);
    int done = parse(&cli, &a, &err);
    if (done)
        return done > 0 ? 0 : cr_err_report("orchestrator", &err);
    int at = cr_cli_operand_index(&cli);
    if (at >= argc) {
        fputs(usage, stderr);
        return CR_EUSAGE;
    }
    const cr_command *command = cr_command_find(commands, argv[at]);
    if (!command) {
        fprintf(stderr, "orchestrator: unknown command '%s' (see --help)\n", argv[at]);
        return CR_EUSAGE;
    }
    /* Then the words again without the command, with the rows of that command only. */
    orch_args fresh = {.config = "pipeline.yaml", .run_count = 10, .timeout_ms = 10 * 60 * 1000};
    a = fresh;
    memmove(argv + at, argv + at + 1, (size_t)(argc - at - 1) * sizeof *argv);
    argc--;
    cr_cli_init(&cli, "orchestrator", command->name, command->bit, options, &a, argc, argv);
    done = parse(&cli, &a, &err);
    if (done)
        return done > 0 ? 0 : cr_err_report("orchestrator", &err);
    a.operands = argv + cr_cli_operand_index(&cli);
    a.operand_count = argc - cr_cli_operand_index(&cli);
    if ((command->bit & NO_OPERANDS) && a.operand_count) {
        cr_fail(&err, CR_EUSAGE, "%s: unexpected argument '%s'", command->name, a.operands[0]);
        return cr_err_report("orchestrator", &err);
    }
    cr_log_init("orchestrator", CR_LOG_INFO);
    cr_log_verbosity(a.quiet, a.verbose);
    int code = command->run(&a, &err);
    if (code && err.msg[0])
        cr_err_report("orchestrator", &err);
    return code;
}
