/* config.h — pipeline.yaml as the orchestrator sees it: stages, policies, notifications.
 * Loaded with libyaml's document API so that every error names file:line:column; the loader
 * checks shapes and values only. Whether programs exist and folders can be made is
 * config_check (used by `validate` and at start); the scheduler lives in engine.c. */
#ifndef ORCH_CONFIG_H
#define ORCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* How a stage's argv takes its inputs. */
enum input_mode {
    INPUT_ONE = 0, /* "{input}": one run per file */
    INPUT_MANY,    /* "{inputs}": up to batch.max_files files per run */
    INPUT_NONE,    /* neither: one run takes every waiting file (the run is about the folder) */
};

typedef struct retry_policy {
    int max_attempts;
    int64_t delay_ms;
    double backoff;
    int64_t max_delay_ms;
    double jitter; /* 0..1: each delay is lengthened by up to this fraction, never shortened */
} retry_policy;

typedef struct notify_config {
    char **on_failure; /* argv, NULL-terminated, or NULL */
    int on_failure_count;
    char **on_success;
    int on_success_count;
    char *webhook; /* URL or NULL */
} notify_config;

typedef struct stage_config {
    char *name;
    char **watch; /* folders, relative to the workspace (or absolute) */
    int watch_count;
    char **match; /* fnmatch patterns on the file's name */
    int match_count;
    char **argv; /* the run: argv[0] a program name or path; NULL-terminated */
    int argc;
    int input_mode;
    int batch_max_files; /* INPUT_MANY: files per run */
    int64_t settle_ms;   /* quiet time before waiting files are taken */
    int concurrency;     /* runs of this stage at once */
    retry_policy retry;
    int64_t timeout_ms; /* 0: none */
    int64_t grace_ms;   /* between SIGTERM and SIGKILL */
    notify_config notify;
    int line; /* where the stage starts in the file (1-based) */
} stage_config;

/* `dashboard:` (dashboard.c serves it). listen NULL: no dashboard. */
typedef struct dashboard_config {
    char *listen;     /* "ADDRESS:PORT" as written */
    char *address;    /* the numeric address, without brackets ("localhost" is 127.0.0.1) */
    int port;         /* 0: any free port (the daemon says which: `orchestrator dashboard`) */
    int loopback;     /* the address is 127.0.0.0/8 or ::1 */
    int allow_remote; /* must be set to listen on any other address */
    char **hosts;     /* more names accepted in the Host header (a name the machine has) */
    int host_count;
} dashboard_config;

typedef struct pipeline_config {
    char *path;      /* the config file, absolute */
    char *dir;       /* its folder */
    char *workspace; /* absolute */
    int concurrency; /* global limit on runs at once */
    stage_config *stages;
    int stage_count;
    dashboard_config dashboard;
} pipeline_config;

/* Loads and checks the shape of path. Errors are CR_EDATA "file:line:column: what is wrong"
 * (CR_ENOINPUT when the file is missing). */
int config_load(pipeline_config *config, const char *path, cr_err *err);
/* Same, from text in memory (path is only used in messages and for relative folders). */
int config_parse(pipeline_config *config, const char *path, const char *text, size_t len,
                 cr_err *err);
void config_free(pipeline_config *config);

/* Checks what the loader cannot: each stage's program can be found (see program_resolve) and
 * each folder exists or can be made. CR_ENOINPUT for a missing program, CR_EIO for a folder. */
int config_check(const pipeline_config *config, cr_err *err);

/* 1 when path, as written, is relative and has no ".." part: it names something inside the
 * folder it is relative to, unless a symlink leads out (paths.h's path_inside judges that).
 * Watch folders are held to it, and the paths the dashboard serves. */
int path_stays_inside(const char *path);

const stage_config *config_stage(const pipeline_config *config, const char *name);

/* Finds a program named in a run: a name with a '/' is used as written (relative to the
 * config's folder, resolved at load); a bare name is looked for first in the folder of the
 * orchestrator's own executable (bin/, so the pipeline works without bin/ on PATH), then on
 * PATH. Writes the full path to out; CR_ENOINPUT when it is nowhere. */
int program_resolve(const char *name, char *out, size_t out_size, cr_err *err);

#endif
