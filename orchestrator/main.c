/* main.c — `orchestrator`: argument parsing and exit codes, nothing else. The commands are in
 * commands.c, the daemon's loop in engine.c, the config loader in config.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "options:\n"
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

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},  {"foreground", no_argument, NULL, 'F'},
        {"timeout", required_argument, NULL, 'T'}, {"json", no_argument, NULL, 'J'},
        {"follow", no_argument, NULL, 'f'},        {"runs", required_argument, NULL, 'n'},
        {"all-failed", no_argument, NULL, 'A'},    {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    const char *config_path = "pipeline.yaml";
    int foreground = 0, json = 0, follow = 0, all_failed = 0, verbose = 0, quiet = 0;
    int64_t timeout_ms = 10 * 60 * 1000;
    long run_count = 10;
    cr_err err = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:fn:vqhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'F':
            foreground = 1;
            break;
        case 'T':
            if (cr_parse_duration_ms(optarg, &timeout_ms, &err))
                return cr_err_report("orchestrator", &err);
            break;
        case 'J':
            json = 1;
            break;
        case 'f':
            follow = 1;
            break;
        case 'n':
            if (cr_parse_long(optarg, 1, 100000, &run_count, &err))
                return cr_err_report("orchestrator", &err);
            break;
        case 'A':
            all_failed = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("orchestrator %s\n", CR_VERSION);
            return 0;
        default:
            fputs(usage, stderr);
            return CR_EUSAGE;
        }
    }
    cr_log_init("orchestrator", CR_LOG_INFO);
    cr_log_verbosity(quiet, verbose);
    if (optind >= argc) {
        fputs(usage, stderr);
        return CR_EUSAGE;
    }
    const char *command = argv[optind];
    char **rest = argv + optind + 1;
    int rest_count = argc - optind - 1;
    int code;
#define NO_ARGS()                                                                                  \
    do {                                                                                           \
        if (rest_count) {                                                                          \
            fprintf(stderr, "orchestrator: %s: unexpected argument '%s'\n", command, rest[0]);     \
            return CR_EUSAGE;                                                                      \
        }                                                                                          \
    } while (0)
    if (!strcmp(command, "start")) {
        NO_ARGS();
        code = cmd_start(config_path, foreground, &err);
    } else if (!strcmp(command, "stop")) {
        NO_ARGS();
        code = cmd_stop(config_path, timeout_ms, &err);
    } else if (!strcmp(command, "status")) {
        NO_ARGS();
        code = cmd_status(config_path, json, &err);
    } else if (!strcmp(command, "validate")) {
        NO_ARGS();
        code = cmd_validate(config_path, &err);
    } else if (!strcmp(command, "run")) {
        if (rest_count < 1) {
            fprintf(stderr, "orchestrator: run: which stage? (run STAGE [FILE...])\n");
            return CR_EUSAGE;
        }
        code = cmd_run(config_path, rest[0], rest + 1, rest_count - 1, &err);
    } else if (!strcmp(command, "logs")) {
        if (rest_count > 1) {
            fprintf(stderr, "orchestrator: logs: one stage at most\n");
            return CR_EUSAGE;
        }
        code = cmd_logs(config_path, rest_count ? rest[0] : NULL, follow, (int)run_count, &err);
    } else if (!strcmp(command, "retry")) {
        if (all_failed == (rest_count == 1) || rest_count > 1) {
            fprintf(stderr, "orchestrator: retry: give one ITEM or --all-failed\n");
            return CR_EUSAGE;
        }
        code = cmd_retry(config_path, rest_count ? rest[0] : NULL, &err);
    } else if (!strcmp(command, "dashboard")) {
        NO_ARGS();
        code = dashboard_command(config_path, &err);
    } else {
        fprintf(stderr, "orchestrator: unknown command '%s' (see --help)\n", command);
        return CR_EUSAGE;
    }
    if (code && err.msg[0])
        cr_err_report("orchestrator", &err);
    return code;
}
