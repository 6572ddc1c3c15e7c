/* runner.h — starting one child process the orchestrator's way: argv with placeholders
 * expanded (never a shell), vfork + exec in its own process group, stdin from /dev/null,
 * stdout and stderr to a log file, killed if the orchestrator dies. Waiting, timeouts and
 * retries are engine.c's; this file only starts, signals and inspects. */
#ifndef ORCH_RUNNER_H
#define ORCH_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

typedef struct argv_vars {
    const char *workspace;
    const char *stage;
    char *const *inputs;
    int input_count;
    const char *event; /* notifications: "success" or "failure" */
    const char *exit_text;
} argv_vars;

/* Expands {input} (the first input), {inputs} (an element of its own: one element per input),
 * {workspace}, {stage}, {event}, {exit} into a malloc'd NULL-terminated argv. */
int argv_expand(char *const *template_argv, int argc, const argv_vars *vars, char ***out,
                cr_err *err);
void argv_free(char **argv);

/* Starts program (a full path) with argv; output appended to log_path (NULL: /dev/null).
 * The child gets its own process group (so a timeout ends its children too), the default
 * signal mask, and dies with SIGKILL if the orchestrator dies. When exec fails the child
 * writes why to its log and exits 127. */
int runner_spawn(const char *program, char *const *argv, const char *log_path, pid_t *pid,
                 cr_err *err);

/* The start time of a process (field 22 of /proc/PID/stat), 0 when it is gone. Used to make
 * sure a pid recorded before a crash still names the same process. */
long long runner_pid_start(pid_t pid);

/* Sends sig to the process group of pid (and pid itself). */
void runner_signal(pid_t pid, int sig);

/* The last max_lines lines of a log (at most 4 KiB) into out. */
void runner_log_tail(const char *log_path, int max_lines, char *out, size_t out_size);

/* Keeps the logs from growing without end: the run logs (logs_dir/STAGE/RUN.log) of runs up to
 * last_removed_run are removed (the record keeps their outcome), and a daemon_log over
 * daemon_log_max bytes that is our stderr becomes daemon_log.1 (replacing the one before). */
void runner_tidy_logs(const char *logs_dir, int64_t last_removed_run, const char *daemon_log,
                      long daemon_log_max);

#endif
