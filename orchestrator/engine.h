/* engine.h — the scheduler: inotify watches, settle and batch, dispatch under the concurrency
 * limits, runs with timeouts, retries with backoff, quarantine, notifications, SIGHUP reload.
 * One thread, one poll() loop; the record (record.c) is the queue. The daemon's lock, socket
 * and detaching live in control.c; the commands in main.c. */
#ifndef ORCH_ENGINE_H
#define ORCH_ENGINE_H

#include <stdint.h>

#include "config.h"
#include "record.h"
#include "status.h"

typedef struct engine engine;

enum engine_mode {
    ENGINE_DAEMON = 0, /* watch the folders until stopped */
    ENGINE_ONCE,       /* `run STAGE [FILE...]`: run the seeded items to their end, then return */
};

/* Names inside the workspace's state folder. */
#define STATE_DIR ".orchestrator"
#define STATE_RECORD STATE_DIR "/record.sqlite"
#define STATE_PIDFILE STATE_DIR "/pid"
#define STATE_SOCKET STATE_DIR "/control.sock"
#define STATE_LOG STATE_DIR "/daemon.log"
#define STATE_RUN_LOGS STATE_DIR "/logs"
#define FAILED_DIR "failed"

/* Makes the workspace, its state folder, failed/ and every watch folder, and changes into the
 * workspace (runs use it as their working folder; every relative path is inside it). */
int workspace_prepare(const pipeline_config *config, cr_err *err);

/* Takes ownership of *config (it is moved out and zeroed). The current folder must be the
 * workspace (workspace_prepare). */
int engine_open(engine **e, pipeline_config *config, int mode, cr_err *err);
void engine_close(engine *e);

/* ENGINE_ONCE: the files to run (paths as given; none: the files waiting in the stage's
 * folders). *seeded is the number of items to run. */
int engine_seed(engine *e, const char *stage, char *const *files, int file_count, int *seeded,
                cr_err *err);

/* Control socket to poll (ENGINE_DAEMON); the engine calls control_serve for each client. */
void engine_set_control_fd(engine *e, int listen_fd);

/* Runs the loop until stopped (daemon) or until the seeded items are finished (once).
 * Returns 0, or for ENGINE_ONCE the exit code of the worst outcome (65 quarantined bad data,
 * the last failing exit code otherwise). */
int engine_run(engine *e, cr_err *err);

/* Requests, from the control socket or signals. */
void engine_request_stop(engine *e, int now); /* now: end the runs (they are run again later) */
int engine_reload(engine *e, cr_err *err);    /* keeps the old config when the new one is bad */
int engine_running_count(const engine *e);
/* Per stage (config order), the files waiting for the settle time: not in the record yet. */
const int *engine_settling(engine *e);
/* ENGINE_ONCE, after engine_run: how the seeded items ended. */
void engine_once_summary(engine *e, int *done, int *failed, int *other);
record *engine_record(engine *e);
const pipeline_config *engine_config(const engine *e);

/* The delay before attempt number attempts_done + 1 (attempts_done >= 1), with jitter drawn
 * from unit in [0, 1): min(delay * backoff^(attempts_done-1), max_delay) * (1 + jitter*unit).
 * Jitter only lengthens a delay, so no retry comes before the policy's delay. */
int64_t retry_delay_ms(const retry_policy *policy, int attempts_done, double unit);

/* Whether name (a file name, no folder) is one the watcher takes: not a dot file, not a
 * "*.tmp.*" temporary, and matching one of the patterns. */
int name_matches(const char *name, char *const *patterns, int pattern_count);

int64_t wall_ms(void);
int64_t mono_ms(void);

#endif
