/* dashboard.h — the daemon's live dashboard: one page (SSE, no reload), GET /api/status and
 * /api/metrics as JSON, POST /api/retry, served by libmicrohttpd on pipeline.yaml's
 * `dashboard: {listen: ADDRESS:PORT}`. It reads the record (its own connection), the
 * trainer's metrics.jsonl and checkpoints and the crawler's state; it never schedules
 * anything (engine.c does). The page itself is in orchestrator/dashboard/, built into the
 * binary by dashboard_assets.c. */
#ifndef ORCH_DASHBOARD_H
#define ORCH_DASHBOARD_H

#include <sys/types.h>

#include "config.h"
#include "status.h"

typedef struct dashboard dashboard;

/* What the page's "retry" button does: `orchestrator retry ITEM` (commands.c passes cmd_retry,
 * so this file does not depend on the commands that start it). */
typedef int (*dashboard_retry_fn)(const char *config_path, const char *item, cr_err *err);

/* Binds config->dashboard.listen and starts serving (threads of its own). The current folder
 * must be the workspace. CR_ETEMP when the address is in use (the daemon then runs without). */
int dashboard_start(dashboard **out, const pipeline_config *config, pid_t daemon_pid,
                    dashboard_retry_fn retry, cr_err *err);
/* "http://127.0.0.1:PORT/" */
const char *dashboard_url(const dashboard *d);
/* Ends the open connections (event streams included) and the threads; NULL is fine. */
void dashboard_stop(dashboard *d);

/* `orchestrator dashboard`: prints the running daemon's dashboard URL. CR_ENOINPUT when the
 * config has no dashboard, CR_ETEMP when no daemon serves it. */
int dashboard_command(const char *config_path, cr_err *err);

#endif
