/* engine.h — the scheduler and its event loop: one thread, one poll() over the event sources
 * registered by their owners (the engine's own signalfd and inotify fd; control.c's socket),
 * with the timers (settle, timeouts, retries, the orphan sweep) as the poll timeout. It takes
 * files in (settle and batch), starts runs under the concurrency limits, reaps them and asks
 * item.c what each item's end means; the record (record.c) is the queue. The daemon's lock,
 * socket and detaching live in control.c; the commands in commands.c. */
#ifndef ORCH_ENGINE_H
#define ORCH_ENGINE_H

#include <stdint.h>

#include "config.h"
#include "item.h" /* retry_delay_ms, which the tests reach through here */
#include "status.h"

typedef struct engine engine;

enum engine_mode {
    ENGINE_DAEMON = 0, /* watch the folders until stopped */
    ENGINE_ONCE,       /* `run STAGE [FILE...]`: run the seeded items to their end, then return */
};

/* Takes ownership of *config (it is moved out and zeroed). The current folder must be the
 * workspace (workspace_prepare, paths.h). */
int engine_open(engine **e, pipeline_config *config, int mode, cr_err *err);
void engine_close(engine *e);

/* An event source: fn is called from the loop when fd is readable (or hung up). The owner
 * keeps the fd and closes it after engine_run returns. */
#define ENGINE_HANDLERS_MAX 8
typedef void (*engine_event_fn)(engine *e, int fd, void *ctx);
int engine_add_handler(engine *e, int fd, engine_event_fn fn, void *ctx, cr_err *err);

/* ENGINE_ONCE: the files to run (paths as given; none: the files waiting in the stage's
 * folders). *seeded is the number of items to run. */
int engine_seed(engine *e, const char *stage, char *const *files, int file_count, int *seeded,
                cr_err *err);

/* Runs the loop until stopped (daemon) or until the seeded items are finished (once).
 * Returns 0, or for ENGINE_ONCE the exit code of the worst outcome (65 quarantined bad data,
 * the last failing exit code otherwise). */
int engine_run(engine *e, cr_err *err);

/* Requests, from the control socket or signals. */
void engine_request_stop(engine *e, int now); /* now: end the runs (they are run again later) */
int engine_reload(engine *e, cr_err *err);    /* keeps the old config when the new one is bad */
int engine_running_count(const engine *e);
/* Per stage (config order), the files waiting for the settle time: not in the record yet. */
void engine_settling(const engine *e, int *counts);
/* ENGINE_ONCE, after engine_run: how the seeded items ended. */
void engine_once_summary(engine *e, int *done, int *failed, int *other);
struct record *engine_record(engine *e);
const pipeline_config *engine_config(const engine *e);

/* Whether name (a file name, no folder) is one the watcher takes: not a dot file, not a
 * "*.tmp.*" temporary, and matching one of the patterns. */
int name_matches(const char *name, char *const *patterns, int pattern_count);

#endif
