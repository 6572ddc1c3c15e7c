/* notify.h — telling someone that a run succeeded or an input failed for good: the stage's
 * notify commands (argv, fork + exec, never waited for) and a webhook (a JSON POST with
 * libcurl on a thread of its own, retried), so the scheduler never blocks on either.
 * What a notification says is decided by engine.c; runner.c starts the commands. */
#ifndef ORCH_NOTIFY_H
#define ORCH_NOTIFY_H

#include "config.h"
#include "status.h"

typedef struct notifier notifier;

typedef struct notify_event {
    const char *event; /* "success" or "failure" */
    const char *stage;
    const char *workspace;
    char *const *inputs;
    int input_count;
    long long run_id;
    int exit_code;
    int attempts;
    const char *error;    /* NULL on success */
    const char *moved_to; /* failure: where the input went */
} notify_event;

/* command_log: where the commands' output goes (kept, not copied: it must outlive n). */
int notifier_start(notifier **n, const char *command_log, cr_err *err);
void notifier_send(notifier *n, const notify_config *config, const notify_event *event);
/* Waits up to wait_ms for queued webhooks to be delivered, then stops the thread. */
void notifier_stop(notifier *n, int wait_ms);

#endif
