/* commands.h — what each `orchestrator` command does, once main.c has parsed its arguments:
 * start, stop, status, run, validate, logs, retry. Each loads the config, works in its
 * workspace and returns an exit code from status.h with the reason in err; main.c prints. */
#ifndef ORCH_COMMANDS_H
#define ORCH_COMMANDS_H

#include <stdint.h>

#include "status.h"

int cmd_validate(const char *config_path, cr_err *err);
int cmd_start(const char *config_path, int foreground, cr_err *err);
int cmd_stop(const char *config_path, int64_t timeout_ms, cr_err *err);
int cmd_status(const char *config_path, int json, cr_err *err);
int cmd_run(const char *config_path, const char *stage, char *const *files, int file_count,
            cr_err *err);
int cmd_logs(const char *config_path, const char *stage, int follow, int run_count, cr_err *err);
/* item: an item number (from `status`), an input path or a path in failed/; NULL: all. */
int cmd_retry(const char *config_path, const char *item, cr_err *err);

#endif
